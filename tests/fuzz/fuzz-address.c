/* libFuzzer target for what a client's name goes through before and
   after the database: the address splitter, the delimiter candidates,
   the name comparison, the mail path builder and Dovecot 2.3's field
   syntax (the account's names are the fuzzed parts, as a hostile row
   could hold them). */

#include "mr-address.h"
#include "mr-config.h"
#include "mr-dovecot-fields.h"
#include "mr-userdb-fields.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mr_config *config;
	struct mr_candidate candidates[MR_MAX_CANDIDATES];
	struct mr_address address;
	struct mr_userdb_fields fields;
	struct mr_dovecot_fields dovecot;
	struct mr_account account;
	struct mr_error error;
	const char *reason;
	unsigned int count;
	char *name;

	if (config == NULL && (config = mr_config_new_defaults()) == NULL)
		abort();
	name = strndup((const char *)data, size);
	if (name == NULL)
		abort();
	if (mr_address_parse(name, &address, &reason)) {
		count = mr_address_candidates(address.localpart, "+-", candidates);
		for (unsigned int i = 0; i < count; i++) {
			if (!mr_address_name_equal(address.localpart,
						   candidates[i].length,
						   address.localpart,
						   candidates[i].length))
				abort();
		}
		memset(&account, 0, sizeof(account));
		memcpy(account.localpart, address.localpart, sizeof(account.localpart));
		memcpy(account.domain, address.domain, sizeof(account.domain));
		account.continuity = (size & 1) != 0;
		account.has_storage_days = (size & 2) != 0;
		account.storage_days = size * 7919;
		account.has_quota = (size & 4) != 0;
		account.quota_mb = size;
		if (mr_userdb_fields_build(config, &account, &fields, &error) == 0 &&
		    mr_dovecot_fields_make(config, &fields, &dovecot, &error) == 0)
			mr_dovecot_fields_free(&dovecot);
		mr_userdb_fields_free(&fields);
	}
	free(name);
	return 0;
}
