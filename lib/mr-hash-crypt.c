/* Hashes verified through libxcrypt's crypt_rn(): Django's bcrypt,
   bcrypt_sha256 and crypt hashers. Django re-hashes with the stored string
   as the setting and compares the results; so do we. */

#include "mr-hash-private.h"

#include <crypt.h>
#include <openssl/sha.h>
#include <sodium.h>

#include <stdlib.h>
#include <string.h>

/* crypt_rn(phrase, setting) == expected, compared in constant time. */
static enum mr_password_result crypt_equal(const char *phrase,
					   const char *setting,
					   const char **reason_r)
{
	struct crypt_data *data = calloc(1, sizeof(*data));
	const char *hashed;
	enum mr_password_result result;
	size_t len = strlen(setting);

	if (data == NULL) {
		*reason_r = "crypt: out of memory";
		return MR_PASSWORD_ERROR;
	}
	hashed = crypt_rn(phrase, setting, data, sizeof(*data));
	if (hashed == NULL || hashed[0] == '*') {
		*reason_r = "crypt: libxcrypt refused the setting";
		result = MR_PASSWORD_MALFORMED;
	} else {
		result = strlen(hashed) == len &&
			sodium_memcmp(hashed, setting, len) == 0 ?
			MR_PASSWORD_MATCH : MR_PASSWORD_MISMATCH;
	}
	sodium_memzero(data, sizeof(*data));
	free(data);
	return result;
}

/* The alphabet of crypt(3) salts and hashes, DES and bcrypt alike */
static bool crypt_alphabet_string(const char *data, size_t len)
{
	static const char alphabet[] =
		"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

	for (size_t i = 0; i < len; i++) {
		if (strchr(alphabet, data[i]) == NULL)
			return false;
	}
	return true;
}

/* "$2a$", "$2b$" or "$2y$", a two-digit cost, '$', 53 characters. */
static enum mr_password_result
bcrypt_verify(const struct mr_hash_limits *limits, const char *phrase,
	      const char *setting, const char **reason_r)
{
	unsigned long cost;

	if (strlen(setting) != 60 || setting[0] != '$' || setting[1] != '2' ||
	    strchr("aby", setting[2]) == NULL || setting[3] != '$' ||
	    setting[4] < '0' || setting[4] > '9' ||
	    setting[5] < '0' || setting[5] > '9' || setting[6] != '$' ||
	    !crypt_alphabet_string(setting + 7, 53)) {
		*reason_r = "bcrypt: not a $2a$/$2b$/$2y$ string";
		return MR_PASSWORD_MALFORMED;
	}
	cost = (unsigned long)(setting[4] - '0') * 10 +
		(unsigned long)(setting[5] - '0');
	if (cost > limits->bcrypt_max_cost) {
		*reason_r = "bcrypt: cost above hash_max_bcrypt_cost";
		return MR_PASSWORD_TOO_COSTLY;
	}
	if (phrase == NULL)
		return MR_PASSWORD_MISMATCH;
	return crypt_equal(phrase, setting, reason_r);
}

enum mr_password_result
mr_hash_bcrypt_verify(const struct mr_hash_limits *limits,
		      const char *password, const char *stored,
		      const char **reason_r)
{
	/* "bcrypt$" + the $2b$ string */
	return bcrypt_verify(limits, password, stored + strlen("bcrypt$"),
			     reason_r);
}

enum mr_password_result
mr_hash_bcrypt_sha256_verify(const struct mr_hash_limits *limits,
			     const char *password, const char *stored,
			     const char **reason_r)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	char hex[SHA256_DIGEST_LENGTH * 2 + 1];
	enum mr_password_result result;

	if (password == NULL)
		return bcrypt_verify(limits, NULL,
				     stored + strlen("bcrypt_sha256$"), reason_r);
	/* bcrypt of the lowercase hex SHA-256, so long passwords count whole */
	SHA256((const unsigned char *)password, strlen(password), digest);
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	result = bcrypt_verify(limits, hex, stored + strlen("bcrypt_sha256$"),
			       reason_r);
	sodium_memzero(digest, sizeof(digest));
	sodium_memzero(hex, sizeof(hex));
	return result;
}

/* Traditional DES crypt: 2 salt + 11 hash characters of ./0-9A-Za-z. */
#define DES_CRYPT_LEN 13

enum mr_password_result
mr_hash_crypt_verify(const struct mr_hash_limits *limits,
		     const char *password, const char *stored,
		     const char **reason_r)
{
	struct mr_hash_field fields[3];

	(void)limits;
	/* crypt$<salt>$<data>: Django hashes with data as the setting. Its
	   make_password writes DES crypt only; any other setting
	   ($2b$18$..., $6$rounds=50000000$...) would hand crypt_rn() a cost
	   no cap bounds. */
	if (!mr_hash_split(stored, fields, 3) ||
	    fields[2].len != DES_CRYPT_LEN ||
	    !crypt_alphabet_string(fields[2].data, fields[2].len)) {
		*reason_r = "crypt: not a 13-character DES crypt string";
		return MR_PASSWORD_MALFORMED;
	}
	if (password == NULL)
		return MR_PASSWORD_MISMATCH;
	return crypt_equal(password, fields[2].data, reason_r);
}
