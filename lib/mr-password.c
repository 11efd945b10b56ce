#include "mr-password.h"
#include "mr-hash-private.h"
#include "mr-text.h"

#include <sodium.h>

#include <limits.h>
#include <string.h>

struct hash_format {
	/* the text before the first '$' */
	const char *prefix;
	mr_hash_verify_t *verify;
};

static const struct hash_format hash_formats[] = {
	{ "pbkdf2_sha256", mr_hash_pbkdf2_sha256_verify },
	{ "pbkdf2_sha1", mr_hash_pbkdf2_sha1_verify },
	{ "argon2", mr_hash_argon2_verify },
	{ "bcrypt_sha256", mr_hash_bcrypt_sha256_verify },
	{ "bcrypt", mr_hash_bcrypt_verify },
	{ "scrypt", mr_hash_scrypt_verify },
	/* "md5$$<hex>" and "sha1$$<hex>" are the unsalted forms: the same
	   computation with an empty salt */
	{ "md5", mr_hash_md5_verify },
	{ "sha1", mr_hash_sha1_verify },
	{ "crypt", mr_hash_crypt_verify },
};

static const struct hash_format bare_md5_format = {
	"unsalted_md5", mr_hash_bare_md5_verify
};

static const struct hash_format *find_format(const char *stored)
{
	const char *dollar = strchr(stored, '$');
	size_t len;

	if (mr_hash_is_bare_md5(stored))
		return &bare_md5_format;
	if (dollar == NULL)
		return NULL;
	len = (size_t)(dollar - stored);
	for (unsigned int i = 0; i < sizeof(hash_formats) / sizeof(hash_formats[0]);
	     i++) {
		if (strlen(hash_formats[i].prefix) == len &&
		    memcmp(hash_formats[i].prefix, stored, len) == 0)
			return &hash_formats[i];
	}
	return NULL;
}

int mr_password_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

/* password NULL: check the stored string only (mr_hash_verify_t) */
static enum mr_password_result
verify_or_check(const struct mr_hash_limits *limits, const char *password,
		const char *stored, const char **reason_r)
{
	const struct hash_format *format;

	*reason_r = NULL;
	if (stored[0] == '\0') {
		*reason_r = "no password set";
		return MR_PASSWORD_UNUSABLE;
	}
	if (stored[0] == '!') {
		*reason_r = "unusable password (Django set_unusable_password)";
		return MR_PASSWORD_UNUSABLE;
	}
	format = find_format(stored);
	if (format == NULL) {
		*reason_r = "unknown hash format";
		return MR_PASSWORD_UNUSABLE;
	}
	return format->verify(limits, password, stored, reason_r);
}

enum mr_password_result mr_password_verify(const struct mr_hash_limits *limits,
					   const char *password,
					   const char *stored,
					   const char **reason_r)
{
	return verify_or_check(limits, password, stored, reason_r);
}

enum mr_password_result
mr_password_check_stored(const struct mr_hash_limits *limits,
			 const char *stored, const char **reason_r)
{
	return verify_or_check(limits, NULL, stored, reason_r);
}

void mr_password_verify_dummy(const struct mr_hash_limits *limits,
			      const char *password)
{
	static const unsigned char salt[] = "mailroute-dummy-salt";
	unsigned char key[32];

	(void)mr_hash_pbkdf2_sha256(password, salt, sizeof(salt) - 1,
				    limits->dummy_pbkdf2_iterations, key);
	sodium_memzero(key, sizeof(key));
}

bool mr_password_pbkdf2_iterations(const char *stored,
				   unsigned long *iterations_r)
{
	const char *prefixes[] = { "pbkdf2_sha256$", "pbkdf2_sha1$" };

	for (unsigned int i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]);
	     i++) {
		size_t len = strlen(prefixes[i]);
		const char *end;

		if (strncmp(stored, prefixes[i], len) != 0)
			continue;
		end = strchr(stored + len, '$');
		return end != NULL &&
			mr_parse_ulong_n(stored + len, (size_t)(end - stored - len),
					 1, ULONG_MAX, iterations_r);
	}
	return false;
}

bool mr_password_may_match(const char *stored)
{
	return stored[0] != '\0' && stored[0] != '!' &&
		find_format(stored) != NULL;
}

const char *mr_password_format(const char *stored)
{
	const struct hash_format *format;
	size_t prefix_len;

	if (stored[0] == '\0')
		return "empty";
	if (stored[0] == '!')
		return "unusable";
	format = find_format(stored);
	if (format == NULL)
		return "unknown";
	/* "md5$$<hex>" and "sha1$$<hex>": Django's unsalted hashers, which
	   more systems can verify than the salted ones */
	prefix_len = strlen(format->prefix);
	if (strncmp(stored + prefix_len, "$$", 2) == 0) {
		if (strcmp(format->prefix, "md5") == 0)
			return "unsalted_md5";
		if (strcmp(format->prefix, "sha1") == 0)
			return "unsalted_sha1";
	}
	return format->prefix;
}
