#include "mr-admission.h"
#include "mr-clock.h"
#include "mr-password.h"

#include <string.h>
#include <time.h>

enum mr_login_result mr_admission_login(struct mr_db *db,
					const struct mr_config *config,
					struct mr_verify_cache *cache,
					const char *name,
					const char *password,
					struct mr_login *login_r,
					struct mr_error *error)
{
	const struct mr_account *account = &login_r->match.account;
	struct timespec start;
	const char *reason;

	memset(login_r, 0, sizeof(*login_r));
	mr_clock_start(&start);
	login_r->lookup = mr_resolve_login(db, name, &login_r->match, error);
	login_r->lookup_usecs = mr_clock_usecs_since(&start);
	switch (login_r->lookup) {
	case MR_DB_FAILED:
		return MR_LOGIN_TEMPFAIL;
	case MR_DB_NOT_FOUND:
		mr_password_verify_dummy(&config->hash, password);
		return MR_LOGIN_FAILED;
	case MR_DB_FOUND:
		break;
	}
	login_r->verified = mr_verify_cache_verify(cache, &config->hash,
						   password, account->password,
						   &login_r->cache_hit, &reason);
	return mr_admission_after_verify(config, account, password,
					 login_r->verified, reason, error);
}

enum mr_login_result
mr_admission_after_verify(const struct mr_config *config,
			  const struct mr_account *account,
			  const char *password,
			  enum mr_password_result verified,
			  const char *reason, struct mr_error *error)
{
	unsigned long long id = (unsigned long long)account->account_id;

	switch (verified) {
	case MR_PASSWORD_MATCH:
		break;
	case MR_PASSWORD_MISMATCH:
		mr_error_set(error, "password mismatch (account %llu)", id);
		return MR_LOGIN_FAILED;
	case MR_PASSWORD_ERROR:
		mr_error_set(error, "account %llu: password not verified: %s",
			     id, reason);
		return MR_LOGIN_TEMPFAIL;
	case MR_PASSWORD_UNUSABLE:
		mr_password_verify_dummy(&config->hash, password);
		mr_error_set(error, "account %llu: stored password never "
			     "matches: %s", id, reason);
		return MR_LOGIN_FAILED;
	case MR_PASSWORD_MALFORMED:
	case MR_PASSWORD_TOO_COSTLY:
		mr_password_verify_dummy(&config->hash, password);
		mr_error_set(error, "account %llu: stored %s hash refused: %s",
			     id, mr_password_format(account->password), reason);
		return MR_LOGIN_BAD_HASH;
	}
	if (!account->is_active) {
		mr_error_set(error, "account %llu: user is not active", id);
		return MR_LOGIN_DISABLED;
	}
	if (!mr_account_may_login(account)) {
		mr_error_set(error, "account %llu: neither hosted nor continuity",
			     id);
		return MR_LOGIN_DISABLED;
	}
	return MR_LOGIN_OK;
}

enum mr_db_result mr_admission_recipient(struct mr_db *db,
					 const struct mr_config *config,
					 const char *name,
					 struct mr_match *match_r,
					 struct mr_error *error)
{
	enum mr_db_result ret;

	ret = mr_resolve_recipient(db, config->recipient_delimiter, name,
				   match_r, error);
	if (ret != MR_DB_FOUND)
		return ret;
	if (!mr_account_may_receive(&match_r->account)) {
		mr_error_set(error, "account %llu: neither hosted nor continuity",
			     (unsigned long long)match_r->account.account_id);
		return MR_DB_NOT_FOUND;
	}
	return MR_DB_FOUND;
}

const char *mr_login_result_name(enum mr_login_result result)
{
	switch (result) {
	case MR_LOGIN_TEMPFAIL:
		return "temporary failure";
	case MR_LOGIN_FAILED:
		return "failed";
	case MR_LOGIN_BAD_HASH:
		return "bad stored hash";
	case MR_LOGIN_DISABLED:
		return "disabled";
	case MR_LOGIN_OK:
		return "ok";
	}
	return "?";
}
