#include "mr-account.h"

#include <sodium.h>
#include <string.h>

bool mr_account_groups_decode(char *groups)
{
	unsigned long count = 0, names = 1;
	char *p = groups;

	while (*p >= '0' && *p <= '9' && count < MR_GROUPS_SIZE)
		count = count * 10 + (unsigned long)(*p++ - '0');
	if (p == groups || *p != ':')
		return false;
	memmove(groups, p + 1, strlen(p + 1) + 1);
	for (p = groups; *p != '\0'; p++)
		names += *p == ',';
	return names == count;
}

void mr_account_wipe(struct mr_account *account)
{
	sodium_memzero(account, sizeof(*account));
}
