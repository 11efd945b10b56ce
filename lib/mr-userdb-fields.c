#include "mr-userdb-fields.h"
#include "mr-text.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Why a name cannot be a path component, or NULL if it can. */
static const char *path_component_problem(const char *name,
					  size_t min_chars)
{
	size_t chars;

	if (!mr_utf8_valid(name, &chars))
		return "is not well-formed UTF-8";
	if (chars < min_chars)
		return min_chars > 1 ? "is shorter than 2 characters" :
			"is empty";
	if (!mr_text_is_printable(name))
		return "contains a control character";
	if (strchr(name, '/') != NULL)
		return "contains '/'";
	/* ':' separates the parts of a Dovecot mail location */
	if (strchr(name, ':') != NULL)
		return "contains ':'";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "is '.' or '..'";
	return NULL;
}

static char *format_string(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static char *format_string(const char *fmt, ...)
{
	va_list args;
	char *str;
	int ret;

	va_start(args, fmt);
	ret = vasprintf(&str, fmt, args);
	va_end(args);
	return ret < 0 ? NULL : str;
}

/* <root>/D[0]/D[1]/D/L[0]/L, where X[i] is the i-th character. */
static char *maildir_path(const char *root, const char *domain,
			  const char *localpart)
{
	size_t d0 = mr_utf8_char_len(domain);
	size_t d1 = mr_utf8_char_len(domain + d0);
	size_t l0 = mr_utf8_char_len(localpart);

	return format_string("%s/%.*s/%.*s/%s/%.*s/%s", root,
			     (int)d0, domain, (int)d1, domain + d0, domain,
			     (int)l0, localpart, localpart);
}

/* True (and error set, naming the account) when `name` cannot be used in
   a path. */
static bool refuse_unsafe_name(const struct mr_account *account,
			       const char *what, const char *name,
			       size_t min_chars, struct mr_error *error)
{
	const char *problem = path_component_problem(name, min_chars);

	if (problem == NULL)
		return false;
	mr_error_set(error, "account %llu: %s %s: no mail path is built for it",
		     (unsigned long long)account->account_id, what, problem);
	return true;
}

/* Dovecot keeps an autoexpunge interval as seconds in an unsigned int: a
   longer one is refused when the session starts, after a login that
   succeeded. */
#define MAX_AUTOEXPUNGE_DAYS (UINT_MAX / (24U * 60 * 60))

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

int mr_userdb_fields_build(const struct mr_config *config,
			   const struct mr_account *account,
			   struct mr_userdb_fields *fields_r,
			   struct mr_error *error)
{
	char *index_path;
	bool continuity_only = account->continuity && !account->hosted;

	memset(fields_r, 0, sizeof(*fields_r));
	if (refuse_unsafe_name(account, "domain", account->domain, 2, error) ||
	    refuse_unsafe_name(account, "localpart", account->localpart, 1,
			       error))
		return -1;
	if (continuity_only && account->has_storage_days &&
	    account->storage_days > MAX_AUTOEXPUNGE_DAYS) {
		mr_error_set(error, "account %llu: continuity_storage_days %lu "
			     "is over the %u days Dovecot accepts",
			     (unsigned long long)account->account_id,
			     account->storage_days, MAX_AUTOEXPUNGE_DAYS);
		return -1;
	}

	fields_r->home = maildir_path(config->mail_root, account->domain,
				      account->localpart);
	index_path = maildir_path(config->index_root, account->domain,
				  account->localpart);
	fields_r->user = format_string("%s@%s", account->localpart,
				       account->domain);
	if (fields_r->home != NULL && index_path != NULL) {
		fields_r->mail = format_string(
			"maildir:%s/mail:INDEX=%s:LAYOUT=fs",
			fields_r->home, index_path);
	}
	free(index_path);
	if (account->has_quota) {
		fields_r->quota_rule = format_string("*:storage=%luM",
						     account->quota_mb);
	}
	if (continuity_only) {
		fields_r->acl_groups = strdup(config->continuity_acl_group);
		if (account->has_storage_days && account->storage_days > 0)
			fields_r->userdb_import = autoexpunge_imports(
				config, account->storage_days);
	}
	fields_r->continuity_withheld = account->hosted && account->continuity;

	if (fields_r->user == NULL || fields_r->home == NULL ||
	    fields_r->mail == NULL ||
	    (account->has_quota && fields_r->quota_rule == NULL) ||
	    (continuity_only && fields_r->acl_groups == NULL) ||
	    (continuity_only && account->has_storage_days &&
	     account->storage_days > 0 && fields_r->userdb_import == NULL)) {
		mr_userdb_fields_free(fields_r);
		mr_error_set(error, "account %llu: out of memory",
			     (unsigned long long)account->account_id);
		return -1;
	}
	return 0;
}

void mr_userdb_fields_free(struct mr_userdb_fields *fields)
{
	free(fields->user);
	free(fields->home);
	free(fields->mail);
	free(fields->quota_rule);
	free(fields->acl_groups);
	free(fields->userdb_import);
	memset(fields, 0, sizeof(*fields));
}

unsigned int mr_userdb_fields_list(const struct mr_userdb_fields *fields,
				   struct mr_field list[MR_USERDB_FIELD_MAX])
{
	const struct mr_field all[MR_USERDB_FIELD_MAX] = {
		{ "home", fields->home },
		{ "mail", fields->mail },
		{ "quota_rule", fields->quota_rule },
		{ "acl_groups", fields->acl_groups },
		{ "userdb_import", fields->userdb_import },
	};
	unsigned int count = 0;

	for (unsigned int i = 0; i < MR_USERDB_FIELD_MAX; i++) {
		if (all[i].value != NULL)
			list[count++] = all[i];
	}
	return count;
}
