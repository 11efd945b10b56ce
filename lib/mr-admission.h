#ifndef MR_ADMISSION_H
#define MR_ADMISSION_H

#include "mr-config.h"
#include "mr-db.h"
#include "mr-error.h"
#include "mr-resolve.h"

/* The login and delivery decisions of SPEC 3, for callers that verify the
   password themselves (checkpassword binary, admin CLI). The Dovecot
   passdb hands the hash to Dovecot core instead and uses mr-resolve.h
   with mr_account_may_login(). */

enum mr_login_result {
	/* database unreachable, data error: the client should retry later */
	MR_LOGIN_TEMPFAIL = -1,
	/* unknown user or wrong password: the same to the client, and the
	   same time spent */
	MR_LOGIN_FAILED = 0,
	/* correct password, but the account is inactive or neither hosted
	   nor continuity */
	MR_LOGIN_DISABLED,
	MR_LOGIN_OK,
};

/* Resolves the login name (exact localpart), verifies the password, then
   applies admission. error tells why (for the log) on every result but
   MR_LOGIN_OK. The account stays in match_r for the caller; wipe it. */
enum mr_login_result mr_admission_login(struct mr_db *db,
					const struct mr_config *config,
					const char *name,
					const char *password,
					struct mr_match *match_r,
					struct mr_error *error);

/* The login admission that follows a verified password: false (reason in
   error) for an inactive account or one neither hosted nor continuity,
   which Dovecot reports as USER_DISABLED. */
bool mr_admission_after_password(const struct mr_account *account,
				 struct mr_error *error);

/* Resolves a recipient with the delimiter rules; MR_DB_FOUND only for an
   account that may receive mail (hosted or continuity). */
enum mr_db_result mr_admission_recipient(struct mr_db *db,
					 const struct mr_config *config,
					 const char *name,
					 struct mr_match *match_r,
					 struct mr_error *error);

const char *mr_login_result_name(enum mr_login_result result);

#endif
