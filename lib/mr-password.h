#ifndef MR_PASSWORD_H
#define MR_PASSWORD_H

#include "mr-config.h"
#include "mr-password-result.h"

#include <stdbool.h>
#include <stddef.h>

/* Django password hashes verified natively, with the result Django's
   check_password gives (SPEC 5). Parameters are parsed from the stored
   string, canonical decimal only, and checked against the configured cost
   caps before any work. Comparison is constant-time; copies of the
   password and intermediate values are wiped. */


/* Only MR_PASSWORD_MATCH admits. For every other result but MISMATCH,
   *reason_r says why (static text, never the hash). */
enum mr_password_result mr_password_verify(const struct mr_hash_limits *limits,
					   const char *password,
					   const char *stored,
					   const char **reason_r);

/* What mr_password_verify() would say before computing anything: the
   stored string's format, fields and cost caps only. MR_PASSWORD_MISMATCH
   means "well-formed, within the caps"; every other result and reason is
   the one a verification gives. For reports (hash-census). */
enum mr_password_result
mr_password_check_stored(const struct mr_hash_limits *limits,
			 const char *stored, const char **reason_r);

/* Costs what verifying a hash of the usual cost costs, and matches
   nothing: run it for unknown users and unverifiable hashes so that they
   take as long as a wrong password. */
void mr_password_verify_dummy(const struct mr_hash_limits *limits,
			      const char *password);

/* False for hashes no password can match: empty, Django's unusable
   ("!..."), an unknown format. Cheap: parses nothing. */
bool mr_password_may_match(const char *stored);

/* Short name of the stored hash's format, for logs and reports: Django's
   hasher name ("pbkdf2_sha256", "md5", "unsalted_md5", ...), or "empty",
   "unusable", "unknown". Never the hash itself. */
const char *mr_password_format(const char *stored);

/* The iteration count of a pbkdf2_sha256 or pbkdf2_sha1 hash (canonical
   decimal), for reports; false for any other string. */
bool mr_password_pbkdf2_iterations(const char *stored,
				   unsigned long *iterations_r);

/* Makes a new Django pbkdf2_sha256 hash with a random 22-character salt,
   as Django's make_password does. out needs MR_PASSWORD_MAKE_SIZE bytes.
   Returns 0, or -1 on a library failure. */
#define MR_PASSWORD_MAKE_SIZE 128
int mr_password_make_pbkdf2_sha256(const char *password,
				   unsigned long iterations,
				   char *out, size_t out_size);

/* Initialises the crypto libraries; call once at start-up. */
int mr_password_init(void);

#endif
