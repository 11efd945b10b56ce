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

/* A DNS name as a domain's name may be: labels of ASCII letters, digits
   and '-', or non-ASCII characters (a name stored in Unicode), joined by
   single dots. */
static bool is_domain_name(const char *name, size_t len)
{
	size_t label = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (c >= 0x80 || (c >= 'a' && c <= 'z') ||
			   (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			   c == '-') {
			label++;
		} else {
			return false;
		}
	}
	return label > 0;
}

#define GROUP_NAME_FIRST "abcdefghijklmnopqrstuvwxyz0123456789"

/* One acl_groups element: <name>@<domain>, the name as mailroute_group's
   CHECK allows it ([a-z0-9][a-z0-9._-]*, at most 64), the domain a DNS
   name. Dovecot splits acl_groups at ',' (and 2.4 unescapes '\\' and
   '"'): checking each element, none of them can pass. */
static bool is_acl_group(const char *group, size_t len)
{
	const char *at = memchr(group, '@', len);
	size_t name_len = at == NULL ? 0 : (size_t)(at - group);

	if (name_len == 0 || name_len > 64 ||
	    strchr(GROUP_NAME_FIRST, group[0]) == NULL ||
	    strspn(group, GROUP_NAME_FIRST "._-") < name_len)
		return false;
	return is_domain_name(at + 1, len - name_len - 1);
}

/* The account's groups arrive ','-joined, their count checked
   (mr_account_groups_decode()): each one must be a name Dovecot takes as
   written. */
static bool refuse_unsafe_groups(const struct mr_account *account,
				 struct mr_error *error)
{
	const char *group = account->groups, *end;
	size_t chars;

	if (!mr_utf8_valid(group, &chars) || !mr_text_is_printable(group)) {
		mr_error_set(error, "account %llu: a group name is not "
			     "well-formed UTF-8 or holds a control character: "
			     "no acl_groups are built for it",
			     (unsigned long long)account->account_id);
		return true;
	}
	if (*group == '\0')
		return false;
	for (;; group = end + 1) {
		end = group + strcspn(group, ",");
		if (!is_acl_group(group, (size_t)(end - group))) {
			/* printable, checked above: shown as it is */
			mr_error_set(error, "account %llu: group '%.*s' is not "
				     "<name>@<domain name>: no acl_groups are "
				     "built for it",
				     (unsigned long long)account->account_id,
				     (int)(end - group > 200 ? 200 : end - group),
				     group);
			return true;
		}
		if (*end == '\0')
			return false;
	}
}

/* *joined_r = "continuity,sales@example.com", "continuity" or
   "sales@example.com": the continuity group (NULL: none) before the
   account's groups ("": none); NULL when there is neither. False when
   out of memory. */
static bool acl_groups_join(const char *continuity_group, const char *groups,
			    char **joined_r)
{
	if (continuity_group == NULL && groups[0] == '\0') {
		*joined_r = NULL;
		return true;
	}
	*joined_r = continuity_group == NULL ? strdup(groups) :
		mr_text_printf("%s%s%s", continuity_group,
			       groups[0] == '\0' ? "" : ",", groups);
	return *joined_r != NULL;
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
	bool groups_ok;

	memset(fields_r, 0, sizeof(*fields_r));
	if (refuse_unsafe_name(account, "domain", account->domain, 2, error) ||
	    refuse_unsafe_name(account, "localpart", account->localpart, 1,
			       error) ||
	    refuse_unsafe_groups(account, error))
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
	fields_r->tenant = strdup(account->tenant);
	fields_r->has_quota = account->has_quota;
	fields_r->quota_mb = account->quota_mb;
	groups_ok = acl_groups_join(continuity_only ?
		config->continuity_acl_group : NULL, account->groups,
		&fields_r->acl_groups);
	if (continuity_only && account->has_storage_days)
		fields_r->autoexpunge_days = account->storage_days;
	fields_r->shared_folders_off = continuity_only;
	fields_r->continuity_withheld = account->hosted && account->continuity;

	if (fields_r->user == NULL || fields_r->home == NULL ||
	    fields_r->index_dir == NULL || fields_r->mail_dir == NULL ||
	    fields_r->tenant == NULL || !groups_ok) {
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
	free(fields->acl_groups);
	free(fields->tenant);
	memset(fields, 0, sizeof(*fields));
}
