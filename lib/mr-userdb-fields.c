#include "mr-userdb-fields.h"
#include "mr-text.h"

#include <limits.h>
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

/* <root>/D[0]/D[1]/D/L[0]/L, where X[i] is the i-th character. */
static char *maildir_path(const char *root, const char *domain,
			  const char *localpart)
{
	size_t d0 = mr_utf8_char_len(domain);
	size_t d1 = mr_utf8_char_len(domain + d0);
	size_t l0 = mr_utf8_char_len(localpart);

	return mr_text_printf("%s/%.*s/%.*s/%s/%.*s/%s", root,
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

int mr_userdb_fields_build(const struct mr_config *config,
			   const struct mr_account *account,
			   struct mr_userdb_fields *fields_r,
			   struct mr_error *error)
{
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

	fields_r->user = mr_text_printf("%s@%s", account->localpart,
				       account->domain);
	fields_r->home = maildir_path(config->mail_root, account->domain,
				      account->localpart);
	fields_r->index_dir = maildir_path(config->index_root, account->domain,
					   account->localpart);
	if (fields_r->home != NULL)
		fields_r->mail_dir = mr_text_printf("%s/mail", fields_r->home);
	fields_r->has_quota = account->has_quota;
	fields_r->quota_mb = account->quota_mb;
	if (continuity_only) {
		fields_r->acl_group = config->continuity_acl_group;
		if (account->has_storage_days)
			fields_r->autoexpunge_days = account->storage_days;
	}
	fields_r->continuity_withheld = account->hosted && account->continuity;

	if (fields_r->user == NULL || fields_r->home == NULL ||
	    fields_r->index_dir == NULL || fields_r->mail_dir == NULL) {
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
	free(fields->mail_dir);
	free(fields->index_dir);
	memset(fields, 0, sizeof(*fields));
}
