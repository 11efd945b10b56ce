#ifndef MR_USERDB_FIELDS_H
#define MR_USERDB_FIELDS_H

#include "mr-account.h"
#include "mr-config.h"
#include "mr-error.h"

/* What a userdb lookup returns for an account (SPEC 4): canonical user,
   maildir paths byte-identical to the legacy user_query, quota rule and
   the continuity settings. */

struct mr_userdb_fields {
	/* <account localpart>@<primary domain> */
	char *user;
	char *home;
	char *mail;
	/* NULL when the effective quota is NULL */
	char *quota_rule;
	/* NULL unless continuity without hosted */
	char *acl_groups;
	/* TAB-separated autoexpunge overrides; NULL unless continuity without
	   hosted and storage days > 0 */
	char *userdb_import;
	/* hosted and continuity both set: hosted wins, no autoexpunge (the
	   hosted mailbox is the customer's only copy). Worth a log line. */
	bool continuity_withheld;
};

/* Refuses (returns -1, error naming the account id) an account whose
   domain or localpart would not make a safe path: '/', ':', control
   characters, "." or "..", malformed UTF-8, a domain shorter than two
   characters. */
int mr_userdb_fields_build(const struct mr_config *config,
			   const struct mr_account *account,
			   struct mr_userdb_fields *fields_r,
			   struct mr_error *error);
void mr_userdb_fields_free(struct mr_userdb_fields *fields);

struct mr_field {
	const char *name;
	const char *value;
};

#define MR_USERDB_FIELD_MAX 5
/* The fields present, in a fixed order (home, mail, quota_rule,
   acl_groups, userdb_import), without user. Returns the count. */
unsigned int mr_userdb_fields_list(const struct mr_userdb_fields *fields,
				   struct mr_field list[MR_USERDB_FIELD_MAX]);

#endif
