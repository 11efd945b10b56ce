#ifndef MR_HASH_PRIVATE_H
#define MR_HASH_PRIVATE_H

/* Shared by the per-family verifiers (mr-hash-*.c); not part of the core's
   public interface. */

#include "mr-config.h"
#include "mr-password-result.h"

#include <stdbool.h>
#include <stddef.h>

/* A '$'-separated field of a stored hash, not NUL-terminated. */
struct mr_hash_field {
	const char *data;
	size_t len;
};

/* Splits stored at '$' into exactly `count` fields, the last one taking the
   rest of the string (as Python's split('$', count - 1)). Returns false if
   there are fewer. */
bool mr_hash_split(const char *stored, struct mr_hash_field *fields,
		   unsigned int count);

/* Constant-time comparison of base64 (standard alphabet, padded) of
   `digest` with `expected`, the way Django compares re-encoded hashes. */
bool mr_hash_base64_equal(const unsigned char *digest, size_t digest_len,
			  const struct mr_hash_field *expected);

/* A verifier parses `stored`, checks it against the caps, then computes.
   With password NULL it stops before computing: MR_PASSWORD_MISMATCH then
   means "well-formed, within the caps" (mr_password_check_stored()). */
typedef enum mr_password_result
mr_hash_verify_t(const struct mr_hash_limits *limits, const char *password,
		 const char *stored, const char **reason_r);

mr_hash_verify_t mr_hash_pbkdf2_sha256_verify;
mr_hash_verify_t mr_hash_pbkdf2_sha1_verify;
mr_hash_verify_t mr_hash_argon2_verify;
mr_hash_verify_t mr_hash_bcrypt_verify;
mr_hash_verify_t mr_hash_bcrypt_sha256_verify;
mr_hash_verify_t mr_hash_crypt_verify;
mr_hash_verify_t mr_hash_scrypt_verify;
mr_hash_verify_t mr_hash_md5_verify;
mr_hash_verify_t mr_hash_sha1_verify;
mr_hash_verify_t mr_hash_bare_md5_verify;

/* Django's unsalted MD5 without prefix: 32 characters, no '$'. */
bool mr_hash_is_bare_md5(const char *stored);

/* PBKDF2-HMAC-SHA256 into out; used by the dummy verification too. */
int mr_hash_pbkdf2_sha256(const char *password, const unsigned char *salt,
			  size_t salt_len, unsigned long iterations,
			  unsigned char out[32]);

#endif
