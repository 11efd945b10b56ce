/* The DJANGO password scheme, as its own module (lib20_mailroute_django.so)
   so that any passdb can use it: Dovecot loads every module in the auth
   directory whose name is not authdb_* or mech_* at start-up, in the auth
   process and in every auth-worker. It is the one place that registers
   the name (registering it twice panics); passdb mailroute only hands
   hashes to it. */

#include "auth-common.h"
#include "password-scheme.h"

#include "mailroute-django.h"
#include "mr-password.h"
#include "mr-verify-cache.h"

#include <sodium.h>

static struct mr_hash_limits django_limits;
/* set by a mailroute passdb's configuration file, not the defaults */
static bool django_configured;
/* the auth process verifies cache hits of Dovecot's auth cache unless
   auth_cache_verify_password_with_worker, each worker the rest; a
   configuration's verify_cache_file makes it one table for all of them */
static struct mr_verify_cache *django_verify_cache;

/* The configuration's table: the host's shared one, or, when that cannot
   be opened (a process not started as its owner), this process's own. */
static struct mr_verify_cache *
django_verify_cache_open(const struct mr_config *config)
{
	struct mr_verify_cache *cache = NULL;
	struct mr_error error;

	if (config->verify_cache_file != NULL) {
		cache = mr_verify_cache_open(config->verify_cache_file,
					     config->verify_cache_size,
					     config->verify_cache_ttl, &error);
		if (cache == NULL && error.message[0] != '\0') {
			i_error("DJANGO scheme: verify_cache_file: %s; "
				"this process keeps a cache of its own",
				error.message);
		}
	}
	if (cache == NULL)
		cache = mr_verify_cache_new(config->verify_cache_size,
					    config->verify_cache_ttl);
	if (cache == NULL && config->verify_cache_size > 0)
		i_fatal("DJANGO scheme: out of memory for verify_cache_size");
	return cache;
}

void mailroute_django_configure(const struct mr_config *config)
{
	/* one scheme, one set of caps: a second passdb with other caps
	   changes them for the first one's cached logins too */
	if (django_configured &&
	    memcmp(&django_limits, &config->hash, sizeof(django_limits)) != 0) {
		i_warning("DJANGO scheme: mailroute passdbs configure different "
			  "hash_max_* or dummy_pbkdf2_iterations; the last one "
			  "applies to every {DJANGO} hash Dovecot verifies");
	}
	django_configured = TRUE;
	django_limits = config->hash;
	mr_verify_cache_free(&django_verify_cache);
	django_verify_cache = django_verify_cache_open(config);
}

struct mr_verify_cache *mailroute_django_verify_cache(void)
{
	return django_verify_cache;
}

static int
django_verify(const char *plaintext,
	      const struct password_generate_params *params ATTR_UNUSED,
	      const unsigned char *raw_password, size_t size,
	      const char **error_r)
{
	/* raw_password is not NUL-terminated */
	char *stored = t_malloc0(size + 1);
	enum mr_password_result result;
	const char *reason;

	memcpy(stored, raw_password, size);
	result = mr_verify_cache_verify(django_verify_cache, &django_limits,
					plaintext, stored, NULL, &reason);
	sodium_memzero(stored, size);
	switch (result) {
	case MR_PASSWORD_MATCH:
		return 1;
	case MR_PASSWORD_MISMATCH:
		return 0;
	case MR_PASSWORD_UNUSABLE:
		/* a stored state (Django's set_unusable_password), not an
		   error; spend the time a real hash would */
		mr_password_verify_dummy(&django_limits, plaintext);
		return 0;
	case MR_PASSWORD_MALFORMED:
	case MR_PASSWORD_TOO_COSTLY:
	case MR_PASSWORD_ERROR:
		break;
	}
	mr_password_verify_dummy(&django_limits, plaintext);
	*error_r = reason;
	return -1;
}

/* New hashes (doveadm pw, credentials conversion) are what Django's own
   make_password writes: pbkdf2_sha256 at the configured default cost. */
static void
django_generate(const char *plaintext,
		const struct password_generate_params *params ATTR_UNUSED,
		const unsigned char **raw_password_r, size_t *size_r)
{
	char *hash = t_malloc0(MR_PASSWORD_MAKE_SIZE);

	if (mr_password_make_pbkdf2_sha256(plaintext,
			django_limits.dummy_pbkdf2_iterations,
			hash, MR_PASSWORD_MAKE_SIZE) < 0)
		i_fatal("DJANGO scheme: PBKDF2 failed");
	*raw_password_r = (const unsigned char *)hash;
	*size_r = strlen(hash);
}

static const struct password_scheme django_scheme = {
	.name = "DJANGO",
	.default_encoding = PW_ENCODING_NONE,
	.raw_password_len = 0,
	.password_verify = django_verify,
	.password_generate = django_generate,
};

const char *mailroute_django_version = DOVECOT_ABI_VERSION;

void mailroute_django_init(struct module *module ATTR_UNUSED)
{
	struct mr_config *defaults = mr_config_new_defaults();

	if (defaults == NULL || mr_password_init() < 0)
		i_fatal("DJANGO scheme: initialisation failed");
	/* doveadm pw loads this module too, as any user: the host's table
	   comes with a mailroute passdb's configuration only */
	free(defaults->verify_cache_file);
	defaults->verify_cache_file = NULL;
	mailroute_django_configure(defaults);
	django_configured = FALSE;
	mr_config_free(&defaults);
	password_scheme_register(&django_scheme);
}

void mailroute_django_deinit(void)
{
	password_scheme_unregister(&django_scheme);
	mr_verify_cache_free(&django_verify_cache);
}
