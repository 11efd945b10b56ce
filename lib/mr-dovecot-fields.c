#include "mr-dovecot-fields.h"
#include "mr-text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One override per continuity mailbox, TAB-separated: Dovecot applies it
   only to a mailbox section of exactly that name (SPEC 4). */
static char *autoexpunge_imports(const struct mr_config *config,
				 unsigned long days)
{
	char *imports = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&imports, &size);

	if (out == NULL)
		return NULL;
	for (unsigned int i = 0; i < config->continuity_mailboxes_count; i++) {
		fprintf(out, "%snamespace/inbox/mailbox/%s/autoexpunge=%lud",
			i == 0 ? "" : "\t", config->continuity_mailboxes[i],
			days);
	}
	if (fclose(out) != 0) {
		free(imports);
		return NULL;
	}
	return imports;
}

/* Adds name=value (value NULL: out of memory); false then. */
static bool add_field(struct mr_dovecot_fields *dovecot, const char *name,
		      char *value)
{
	if (value == NULL)
		return false;
	dovecot->list[dovecot->count++] = (struct mr_field){ name, value };
	return true;
}

/* 2.3 puts the maildir, index and layout in one mail field and the quota
   in a quota rule; 2.4 has a setting for each. */
static bool add_location_fields(struct mr_dovecot_fields *dovecot,
				const struct mr_userdb_fields *fields,
				bool dovecot24)
{
	if (!dovecot24) {
		return add_field(dovecot, "mail",
			mr_text_printf("maildir:%s:INDEX=%s:LAYOUT=fs",
				       fields->mail_dir, fields->index_dir));
	}
	return add_field(dovecot, "mail_driver", strdup("maildir")) &&
		add_field(dovecot, "mail_path", strdup(fields->mail_dir)) &&
		add_field(dovecot, "mail_index_path",
			  strdup(fields->index_dir)) &&
		add_field(dovecot, "mailbox_list_layout", strdup("fs"));
}

static bool add_quota_field(struct mr_dovecot_fields *dovecot,
			    const struct mr_userdb_fields *fields,
			    bool dovecot24)
{
	if (!dovecot24) {
		return add_field(dovecot, "quota_rule",
				 mr_text_printf("*:storage=%luM",
						fields->quota_mb));
	}
	/* 2.3's storage=0 is no limit; 2.4 spells it */
	return add_field(dovecot, "quota_storage_size",
			 fields->quota_mb == 0 ? strdup("unlimited") :
			 mr_text_printf("%luM", fields->quota_mb));
}

static int fields_make(const struct mr_config *config,
		       const struct mr_userdb_fields *fields, bool dovecot24,
		       struct mr_dovecot_fields *dovecot_r,
		       struct mr_error *error)
{
	bool ok;

	memset(dovecot_r, 0, sizeof(*dovecot_r));
	ok = add_field(dovecot_r, "home", strdup(fields->home)) &&
		add_location_fields(dovecot_r, fields, dovecot24);
	if (ok && fields->has_quota)
		ok = add_quota_field(dovecot_r, fields, dovecot24);
	if (ok && fields->acl_groups != NULL)
		ok = add_field(dovecot_r, "acl_groups",
			       strdup(fields->acl_groups));
	/* read by the mailroute_tenant mail plugin; 2.4 knows it as a
	   setting from libmailroute_settings.so */
	if (ok && fields->tenant[0] != '\0')
		ok = add_field(dovecot_r, "mailroute_tenant",
			       strdup(fields->tenant));
	if (ok && fields->autoexpunge_days > 0) {
		ok = add_field(dovecot_r, "userdb_import",
			       autoexpunge_imports(config,
						   fields->autoexpunge_days));
	}
	/* the same name in 2.3 and 2.4 */
	if (ok && fields->shared_folders_off) {
		ok = add_field(dovecot_r, "namespace/shared/disabled",
			       strdup("yes"));
	}
	if (!ok) {
		mr_dovecot_fields_free(dovecot_r);
		mr_error_set(error, "%s: out of memory", fields->user);
		return -1;
	}
	return 0;
}

int mr_dovecot_fields_make(const struct mr_config *config,
			   const struct mr_userdb_fields *fields,
			   struct mr_dovecot_fields *dovecot_r,
			   struct mr_error *error)
{
	return fields_make(config, fields, false, dovecot_r, error);
}

int mr_dovecot24_fields_make(const struct mr_config *config,
			     const struct mr_userdb_fields *fields,
			     struct mr_dovecot_fields *dovecot_r,
			     struct mr_error *error)
{
	return fields_make(config, fields, true, dovecot_r, error);
}

void mr_dovecot_fields_free(struct mr_dovecot_fields *dovecot)
{
	for (unsigned int i = 0; i < dovecot->count; i++)
		free(dovecot->list[i].value);
	memset(dovecot, 0, sizeof(*dovecot));
}

int mr_dovecot_answer_make(const struct mr_config *config,
			   const struct mr_account *account, bool dovecot24,
			   struct mr_dovecot_answer *answer_r,
			   struct mr_error *error)
{
	memset(answer_r, 0, sizeof(*answer_r));
	if (mr_userdb_fields_build(config, account, &answer_r->fields,
				   error) < 0)
		return -1;
	return (dovecot24 ? mr_dovecot24_fields_make :
		mr_dovecot_fields_make)(config, &answer_r->fields,
					&answer_r->dovecot, error);
}

void mr_dovecot_answer_free(struct mr_dovecot_answer *answer)
{
	mr_dovecot_fields_free(&answer->dovecot);
	mr_userdb_fields_free(&answer->fields);
}
