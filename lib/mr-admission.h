#ifndef MR_ADMISSION_H
#define MR_ADMISSION_H

#include "mr-config.h"
#include "mr-db.h"
#include "mr-error.h"
#include "mr-password.h"
#include "mr-resolve.h"
#include "mr-verify-cache.h"

/* The login and delivery decisions of SPEC 3, made here for every front
   end: the Dovecot passdb and the checkpassword binary log in through
   mr_admission_login(), the userdb, checkpassword and the CLI find
   recipients through mr_admission_recipient(). */

enum mr_login_result {
	/* database unreachable, data error, a library or resource failure
	   while verifying: the client should retry later, Dovecot may use
	   its cache */
	MR_LOGIN_TEMPFAIL = -1,
	/* unknown user or wrong password: the same to the client, and the
	   same time spent */
	MR_LOGIN_FAILED = 0,
	/* the stored hash is malformed or over a cost cap: refused like a
	   wrong password, and an error for the log (error names the account)
	   since only an operator can mend it */
	MR_LOGIN_BAD_HASH,
	/* correct password, but the account is inactive or neither hosted
	   nor continuity */
	MR_LOGIN_DISABLED,
	MR_LOGIN_OK,
};

/* What a login came to beside the decision, for the front's logs and
   events. */
struct mr_login {
	/* the name's resolution: MR_DB_FOUND with the account in match (the
	   caller wipes it, mr_account_wipe), MR_DB_NOT_FOUND (an unknown
	   user: error says why), MR_DB_FAILED */
	enum mr_db_result lookup;
	/* how long the resolution took, verification apart */
	unsigned long long lookup_usecs;
	struct mr_match match;
	/* a found account's password check: MR_PASSWORD_MISMATCH tells a
	   wrong password from a refused stored hash */
	enum mr_password_result verified;
	/* the verified-credential cache answered the check */
	bool cache_hit;
};

/* The one login path: resolves the name (exact localpart), verifies the
   password through cache (NULL: none) and decides with
   mr_admission_after_verify(). An unknown user costs a decoy
   verification, so that it looks and takes like a wrong password. error
   tells why on every result but MR_LOGIN_OK. */
enum mr_login_result mr_admission_login(struct mr_db *db,
					const struct mr_config *config,
					struct mr_verify_cache *cache,
					const char *name,
					const char *password,
					struct mr_login *login_r,
					struct mr_error *error);

/* The login decision for a found account once `password` was checked
   against its stored hash (verified and reason as mr_password_verify()
   gave them). Where no real verification ran (an unusable, malformed or
   over-cap hash), spends the time of one, so that timing tells nothing.
   Admission comes after the password: a wrong password for a disabled
   account is MR_LOGIN_FAILED, a correct one MR_LOGIN_DISABLED. */
enum mr_login_result
mr_admission_after_verify(const struct mr_config *config,
			  const struct mr_account *account,
			  const char *password,
			  enum mr_password_result verified,
			  const char *reason, struct mr_error *error);

/* Resolves a recipient with the delimiter rules; MR_DB_FOUND only for an
   account that may receive mail (hosted or continuity). */
enum mr_db_result mr_admission_recipient(struct mr_db *db,
					 const struct mr_config *config,
					 const char *name,
					 struct mr_match *match_r,
					 struct mr_error *error);

const char *mr_login_result_name(enum mr_login_result result);

#endif
