/* libFuzzer target for an account's groups as a hostile row could hold
   them: the count read with them, then each name's check. Whatever is
   accepted must be names Dovecot takes as written: no separator or
   escape inside one, each <name>@<domain>. */

#include "mr-account.h"
#include "mr-config.h"
#include "mr-userdb-fields.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_names(const char *groups)
{
	size_t count = 1;

	if (strpbrk(groups, " \"\\\t\r\n") != NULL)
		abort();
	for (const char *p = groups; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
		count += *p == ',';
	}
	/* every name has its one '@' */
	for (const char *p = groups; *p != '\0'; p++)
		count -= *p == '@';
	if (count != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mr_config *config;
	struct mr_userdb_fields fields;
	struct mr_account account;
	struct mr_error error;

	if (config == NULL && (config = mr_config_new_defaults()) == NULL)
		abort();
	if (size >= sizeof(account.groups))
		return 0;
	memset(&account, 0, sizeof(account));
	strcpy(account.localpart, "john");
	strcpy(account.domain, "example.com");
	account.hosted = true;
	memcpy(account.groups, data, size);
	account.groups[size] = '\0';
	if (!mr_account_groups_decode(account.groups))
		return 0;
	if (mr_userdb_fields_build(config, &account, &fields, &error) == 0 &&
	    fields.acl_groups != NULL)
		check_names(fields.acl_groups);
	mr_userdb_fields_free(&fields);
	return 0;
}
