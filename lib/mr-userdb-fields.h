#ifndef MR_USERDB_FIELDS_H
#define MR_USERDB_FIELDS_H

#include "mr-account.h"
#include "mr-config.h"
#include "mr-error.h"

/* What a userdb lookup means for an account (SPEC 4), as values: the
   canonical user, the maildir layout byte-identical to the legacy
   user_query's, the quota and the continuity settings. How a Dovecot
   release names and spells them is its adapter's (mr-dovecot-fields.h for
   2.3's userdb). */

struct mr_userdb_fields {
	/* <account localpart>@<primary domain> */
	char *user;
	/* <mail_root>/D[0]/D[1]/D/L[0]/L, X[i] the i-th character */
	char *home;
	/* the maildir, <home>/mail, its folders in the fs layout */
	char *mail_dir;
	/* <index_root>/D[0]/D[1]/D/L[0]/L */
	char *index_dir;
	/* the effective quota in MB, 0 unlimited; has_quota false: none */
	bool has_quota;
	unsigned long quota_mb;
	/* Dovecot's acl_groups, comma-separated: the configuration's
	   continuity group for continuity without hosted, then the account's
	   shared-folder groups; NULL for none */
	char *acl_groups;
	/* the account's customer (mr_account's tenant): the mail plugin
	   mailroute_tenant lets no other customer's user open its folders */
	char *tenant;
	/* continuity without hosted keeping mail this many days in every
	   configured continuity mailbox; 0: nothing expires */
	unsigned long autoexpunge_days;
	/* continuity without hosted: no shared folders. Its read-only ACL
	   (group-override on every mailbox name) would otherwise also
	   reach every other user's mailboxes through the shared
	   namespace. */
	bool shared_folders_off;
	/* hosted and continuity both set: hosted wins, no autoexpunge (the
	   hosted mailbox is the customer's only copy). Worth a log line. */
	bool continuity_withheld;
};

/* Refuses (returns -1, error naming the account id) an account whose
   domain or localpart would not make a safe path: '/', ':', control
   characters, "." or "..", malformed UTF-8, a domain shorter than two
   characters; storage days longer than Dovecot can keep; and a group
   name with a byte Dovecot would read as a separator or an escape. */
int mr_userdb_fields_build(const struct mr_config *config,
			   const struct mr_account *account,
			   struct mr_userdb_fields *fields_r,
			   struct mr_error *error);
void mr_userdb_fields_free(struct mr_userdb_fields *fields);

#endif
