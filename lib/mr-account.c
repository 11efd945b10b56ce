#include "mr-account.h"

#include <sodium.h>

void mr_account_wipe(struct mr_account *account)
{
	sodium_memzero(account, sizeof(*account));
}
