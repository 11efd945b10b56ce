#ifndef MR_DOVECOT_FIELDS_H
#define MR_DOVECOT_FIELDS_H

#include "mr-config.h"
#include "mr-error.h"
#include "mr-userdb-fields.h"

/* Dovecot's userdb fields for an account's mr_userdb_fields: their names
   and value syntax in 2.3 (the checkpassword binary, the CLI and the 2.3
   module) and in 2.4 (the 2.4 module), where userdb fields are settings. */

struct mr_field {
	const char *name;
	char *value;
};

#define MR_DOVECOT_FIELD_MAX 10
struct mr_dovecot_fields {
	/* present fields in this order, without user:
	   2.3: home, mail (maildir:<mail_dir>:INDEX=<index_dir>:LAYOUT=fs),
	   quota_rule (*:storage=<MB>M), acl_groups, mailroute_tenant (the
	   account's customer, for the mailroute_tenant mail plugin),
	   userdb_import, namespace/shared/disabled (yes:
	   mailroute-shared.conf.ext's namespace off);
	   2.4: home, mail_driver (maildir), mail_path, mail_index_path,
	   mailbox_list_layout (fs), quota_storage_size (<MB>M or unlimited),
	   acl_groups, mailroute_tenant, userdb_import,
	   namespace/shared/disabled.
	   userdb_import: TAB-separated
	   namespace/inbox/mailbox/<box>/autoexpunge=<days>d, one per
	   continuity mailbox. */
	struct mr_field list[MR_DOVECOT_FIELD_MAX];
	unsigned int count;
};

/* Returns 0, or -1 with error set when out of memory. */
int mr_dovecot_fields_make(const struct mr_config *config,
			   const struct mr_userdb_fields *fields,
			   struct mr_dovecot_fields *dovecot_r,
			   struct mr_error *error);
/* The same in Dovecot 2.4's names. */
int mr_dovecot24_fields_make(const struct mr_config *config,
			     const struct mr_userdb_fields *fields,
			     struct mr_dovecot_fields *dovecot_r,
			     struct mr_error *error);
void mr_dovecot_fields_free(struct mr_dovecot_fields *dovecot);

/* An account's whole userdb answer, as every front sends it: its values
   (the canonical user, home, ...) and Dovecot's fields made of them, in
   2.3's names or, dovecot24, 2.4's. */
struct mr_dovecot_answer {
	struct mr_userdb_fields fields;
	struct mr_dovecot_fields dovecot;
};
/* -1 with error set for an account no safe path can be made for, or out
   of memory; free the answer either way. */
int mr_dovecot_answer_make(const struct mr_config *config,
			   const struct mr_account *account, bool dovecot24,
			   struct mr_dovecot_answer *answer_r,
			   struct mr_error *error);
void mr_dovecot_answer_free(struct mr_dovecot_answer *answer);

#endif
