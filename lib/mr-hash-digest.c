/* Django's legacy digest hashers: md5$<salt>$<hex>, sha1$<salt>$<hex>
   (H(salt + password)), their unsalted forms (empty salt) and the bare 32
   hex digits of unsalted MD5. Hex is lowercase, compared as a string. */

#include "mr-hash-private.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <string.h>

static bool lowercase_hex(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (strchr("0123456789abcdef", text[i]) == NULL)
			return false;
	}
	return true;
}

static enum mr_password_result
digest_verify(const EVP_MD *md, const char *salt, size_t salt_len,
	      const char *password, const char *expected_hex,
	      const char **reason_r)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	char hex[EVP_MAX_MD_SIZE * 2 + 1];
	unsigned int digest_len = 0;
	EVP_MD_CTX *ctx;
	size_t hex_len = (size_t)EVP_MD_size(md) * 2;
	bool equal;

	/* Django writes hexdigest(): any other text can never match */
	if (strlen(expected_hex) != hex_len ||
	    !lowercase_hex(expected_hex, hex_len)) {
		*reason_r = "digest: not the lowercase hex of the digest";
		return MR_PASSWORD_MALFORMED;
	}
	if (password == NULL)
		return MR_PASSWORD_MISMATCH;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, salt, salt_len) != 1 ||
	    EVP_DigestUpdate(ctx, password, strlen(password)) != 1 ||
	    EVP_DigestFinal_ex(ctx, digest, &digest_len) != 1) {
		EVP_MD_CTX_free(ctx);
		*reason_r = "digest: OpenSSL failed";
		return MR_PASSWORD_ERROR;
	}
	EVP_MD_CTX_free(ctx);
	sodium_bin2hex(hex, sizeof(hex), digest, digest_len);
	equal = strlen(hex) == hex_len &&
		sodium_memcmp(hex, expected_hex, hex_len) == 0;
	sodium_memzero(digest, sizeof(digest));
	sodium_memzero(hex, sizeof(hex));
	return equal ? MR_PASSWORD_MATCH : MR_PASSWORD_MISMATCH;
}

static enum mr_password_result
salted_verify(const EVP_MD *md, const char *password, const char *stored,
	      const char **reason_r)
{
	struct mr_hash_field fields[3];

	if (!mr_hash_split(stored, fields, 3)) {
		*reason_r = "digest: missing fields";
		return MR_PASSWORD_MALFORMED;
	}
	return digest_verify(md, fields[1].data, fields[1].len, password,
			     fields[2].data, reason_r);
}

enum mr_password_result
mr_hash_md5_verify(const struct mr_hash_limits *limits, const char *password,
		   const char *stored, const char **reason_r)
{
	(void)limits;
	return salted_verify(EVP_md5(), password, stored, reason_r);
}

enum mr_password_result
mr_hash_sha1_verify(const struct mr_hash_limits *limits, const char *password,
		    const char *stored, const char **reason_r)
{
	(void)limits;
	return salted_verify(EVP_sha1(), password, stored, reason_r);
}

bool mr_hash_is_bare_md5(const char *stored)
{
	return strlen(stored) == 32 && strchr(stored, '$') == NULL;
}

enum mr_password_result
mr_hash_bare_md5_verify(const struct mr_hash_limits *limits,
			const char *password, const char *stored,
			const char **reason_r)
{
	(void)limits;
	return digest_verify(EVP_md5(), "", 0, password, stored, reason_r);
}
