/* Django's PBKDF2PasswordHasher and PBKDF2SHA1PasswordHasher:
   <algorithm>$<iterations>$<salt>$<base64 of the derived key>. */

#include "mr-hash-private.h"
#include "mr-password.h"
#include "mr-text.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

static int pbkdf2(const EVP_MD *md, const char *password,
		  const unsigned char *salt, size_t salt_len,
		  unsigned long iterations, unsigned char *out, size_t out_len)
{
	if (iterations > INT_MAX || salt_len > INT_MAX)
		return -1;
	return PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt,
				 (int)salt_len, (int)iterations, md,
				 (int)out_len, out) == 1 ? 0 : -1;
}

int mr_hash_pbkdf2_sha256(const char *password, const unsigned char *salt,
			  size_t salt_len, unsigned long iterations,
			  unsigned char out[32])
{
	return pbkdf2(EVP_sha256(), password, salt, salt_len, iterations,
		      out, 32);
}

static enum mr_password_result
pbkdf2_verify(const EVP_MD *md, size_t key_len,
	      const struct mr_hash_limits *limits, const char *password,
	      const char *stored, const char **reason_r)
{
	struct mr_hash_field fields[4];
	unsigned char key[EVP_MAX_MD_SIZE];
	unsigned long iterations;
	bool equal;

	if (!mr_hash_split(stored, fields, 4)) {
		*reason_r = "pbkdf2: missing fields";
		return MR_PASSWORD_MALFORMED;
	}
	if (!mr_parse_ulong_n(fields[1].data, fields[1].len, 1, ULONG_MAX,
			      &iterations)) {
		*reason_r = "pbkdf2: iterations not a canonical decimal number";
		return MR_PASSWORD_MALFORMED;
	}
	if (iterations > limits->pbkdf2_max_iterations) {
		*reason_r = "pbkdf2: iterations above hash_max_pbkdf2_iterations";
		return MR_PASSWORD_TOO_COSTLY;
	}
	if (memchr(fields[3].data, '$', fields[3].len) != NULL) {
		*reason_r = "pbkdf2: extra '$' in the hash field";
		return MR_PASSWORD_MALFORMED;
	}
	if (password == NULL)
		return MR_PASSWORD_MISMATCH;
	if (pbkdf2(md, password, (const unsigned char *)fields[2].data,
		   fields[2].len, iterations, key, key_len) < 0) {
		*reason_r = "pbkdf2: OpenSSL PKCS5_PBKDF2_HMAC failed";
		return MR_PASSWORD_ERROR;
	}
	equal = mr_hash_base64_equal(key, key_len, &fields[3]);
	sodium_memzero(key, sizeof(key));
	return equal ? MR_PASSWORD_MATCH : MR_PASSWORD_MISMATCH;
}

enum mr_password_result
mr_hash_pbkdf2_sha256_verify(const struct mr_hash_limits *limits,
			     const char *password, const char *stored,
			     const char **reason_r)
{
	return pbkdf2_verify(EVP_sha256(), 32, limits, password, stored,
			     reason_r);
}

enum mr_password_result
mr_hash_pbkdf2_sha1_verify(const struct mr_hash_limits *limits,
			   const char *password, const char *stored,
			   const char **reason_r)
{
	return pbkdf2_verify(EVP_sha1(), 20, limits, password, stored,
			     reason_r);
}

/* Django's salt: 22 characters of [A-Za-z0-9], about 131 bits. */
#define DJANGO_SALT_LEN 22

int mr_password_make_pbkdf2_sha256(const char *password,
				   unsigned long iterations,
				   char *out, size_t out_size)
{
	static const char alphabet[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	char salt[DJANGO_SALT_LEN + 1];
	unsigned char key[32];
	char key_b64[sodium_base64_ENCODED_LEN(32,
		sodium_base64_VARIANT_ORIGINAL)];
	int len;

	for (unsigned int i = 0; i < DJANGO_SALT_LEN; i++)
		salt[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	salt[DJANGO_SALT_LEN] = '\0';
	if (mr_hash_pbkdf2_sha256(password, (const unsigned char *)salt,
				  DJANGO_SALT_LEN, iterations, key) < 0)
		return -1;
	sodium_bin2base64(key_b64, sizeof(key_b64), key, sizeof(key),
			  sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(key, sizeof(key));
	len = snprintf(out, out_size, "pbkdf2_sha256$%lu$%s$%s",
		       iterations, salt, key_b64);
	return len > 0 && (size_t)len < out_size ? 0 : -1;
}
