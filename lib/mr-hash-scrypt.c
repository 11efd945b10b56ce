/* Django >= 4.0's ScryptPasswordHasher:
   scrypt$<N>$<salt>$<r>$<p>$<base64 of 64 bytes>, hashlib.scrypt(password,
   salt, n, r, p, dklen=64). */

#include "mr-hash-private.h"
#include "mr-text.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <limits.h>
#include <stdint.h>
#include <string.h>

#define SCRYPT_KEY_LEN 64

enum mr_password_result
mr_hash_scrypt_verify(const struct mr_hash_limits *limits,
		      const char *password, const char *stored,
		      const char **reason_r)
{
	struct mr_hash_field fields[6];
	unsigned long n, r, p;
	unsigned char key[SCRYPT_KEY_LEN];
	uint64_t maxmem;
	bool equal;

	if (!mr_hash_split(stored, fields, 6) ||
	    !mr_parse_ulong_n(fields[1].data, fields[1].len, 2, ULONG_MAX, &n) ||
	    !mr_parse_ulong_n(fields[3].data, fields[3].len, 1, ULONG_MAX, &r) ||
	    !mr_parse_ulong_n(fields[4].data, fields[4].len, 1, ULONG_MAX, &p) ||
	    (n & (n - 1)) != 0 ||
	    memchr(fields[5].data, '$', fields[5].len) != NULL) {
		*reason_r = "scrypt: fields missing or not canonical";
		return MR_PASSWORD_MALFORMED;
	}
	/* overflow-safe n * r * p <= cap */
	if (n > limits->scrypt_max_work || r > limits->scrypt_max_work / n ||
	    p > limits->scrypt_max_work / (n * r)) {
		*reason_r = "scrypt: N*r*p above hash_max_scrypt_work";
		return MR_PASSWORD_TOO_COSTLY;
	}
	/* what scrypt allocates, 128 * r * (N + p) bytes (no overflow: each
	   factor is within the work cap, at most 2^30): N*r*p bounds time,
	   not memory (N = 2^21, r = 2 is 512 MiB) */
	maxmem = 128ULL * r * (n + p);
	if (maxmem / 1024 > limits->scrypt_max_memory_kib) {
		*reason_r = "scrypt: memory above hash_max_scrypt_memory_kib";
		return MR_PASSWORD_TOO_COSTLY;
	}
	if (password == NULL)
		return MR_PASSWORD_MISMATCH;
	maxmem += 1ULL << 20;
	if (EVP_PBE_scrypt(password, strlen(password),
			   (const unsigned char *)fields[2].data, fields[2].len,
			   n, r, p, maxmem, key, sizeof(key)) != 1) {
		*reason_r = "scrypt: OpenSSL EVP_PBE_scrypt failed (memory?)";
		return MR_PASSWORD_ERROR;
	}
	equal = mr_hash_base64_equal(key, sizeof(key), &fields[5]);
	sodium_memzero(key, sizeof(key));
	return equal ? MR_PASSWORD_MATCH : MR_PASSWORD_MISMATCH;
}
