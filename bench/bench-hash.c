/* Hash verification cost: mailroute's mr_password_verify() against the
   library call it is built on, in the same process, on the same hash.
   Prints one line per case: name, our median, the reference median, ratio.
   Hashes come from the command line (made by Django in bench/run). */

#include "mr-config.h"
#include "mr-password.h"
#include "mr-verify-cache.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 7

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

typedef int measured_t(const void *context);

/* Median of ROUNDS runs, the two sides interleaved so that frequency
   changes hit both alike. */
static void measure(const char *name, measured_t *ours, measured_t *reference,
		    const void *context)
{
	double ours_t[ROUNDS], ref_t[ROUNDS];

	for (unsigned int i = 0; i < ROUNDS; i++) {
		double start = now_seconds();

		if (ours(context) != 1) {
			fprintf(stderr, "%s: our verification failed\n", name);
			exit(1);
		}
		ours_t[i] = now_seconds() - start;
		start = now_seconds();
		if (reference(context) != 1) {
			fprintf(stderr, "%s: reference failed\n", name);
			exit(1);
		}
		ref_t[i] = now_seconds() - start;
	}
	qsort(ours_t, ROUNDS, sizeof(double), compare_doubles);
	qsort(ref_t, ROUNDS, sizeof(double), compare_doubles);
	printf("%-28s %10.4g ms %10.4g ms %7.3g\n", name,
	       ours_t[ROUNDS / 2] * 1e3, ref_t[ROUNDS / 2] * 1e3,
	       ours_t[ROUNDS / 2] / ref_t[ROUNDS / 2]);
}

struct bench_case {
	struct mr_hash_limits limits;
	const char *password;
	const char *stored;
	struct mr_verify_cache *cache;
};

static int ours_verify(const void *context)
{
	const struct bench_case *c = context;
	const char *reason;

	return mr_password_verify(&c->limits, c->password, c->stored,
				  &reason) == MR_PASSWORD_MATCH;
}

/* PKCS5_PBKDF2_HMAC on the fields of a pbkdf2_sha256 string, compared
   with plain memcmp: the bare computation Django's format wraps. */
static int openssl_pbkdf2(const void *context)
{
	const struct bench_case *c = context;
	char *copy = strdup(c->stored);
	char *iter = strchr(copy, '$') + 1;
	char *salt = strchr(iter, '$') + 1;
	char *b64 = strchr(salt, '$') + 1;
	unsigned char key[32], expected[32];
	size_t expected_len;
	int ok;

	salt[-1] = b64[-1] = '\0';
	ok = PKCS5_PBKDF2_HMAC(c->password, (int)strlen(c->password),
			       (unsigned char *)salt, (int)strlen(salt),
			       atoi(iter), EVP_sha256(), 32, key) == 1 &&
		sodium_base642bin(expected, sizeof(expected), b64,
				  strlen(b64), NULL, &expected_len, NULL,
				  sodium_base64_VARIANT_ORIGINAL) == 0 &&
		expected_len == 32 && memcmp(key, expected, 32) == 0;
	free(copy);
	return ok;
}

/* libsodium's own verifier on the PHC string inside Django's. */
static int sodium_argon2(const void *context)
{
	const struct bench_case *c = context;

	return crypto_pwhash_str_verify(c->stored + strlen("argon2"),
					c->password,
					strlen(c->password)) == 0;
}

/* A repeat login through the verified-credential cache (primed by the
   first call), against the full verification it saves. */
static int cached_verify(const void *context)
{
	const struct bench_case *c = context;
	const char *reason;

	return mr_verify_cache_verify(c->cache, &c->limits, c->password,
				      c->stored, NULL, &reason) == MR_PASSWORD_MATCH;
}

/* The unknown-user path against a wrong password on a hash of the
   default cost: a timing attacker must not tell them apart. */
static int dummy_verify(const void *context)
{
	const struct bench_case *c = context;

	mr_password_verify_dummy(&c->limits, "a wrong password");
	return 1;
}

static int wrong_password_verify(const void *context)
{
	const struct bench_case *c = context;
	const char *reason;

	return mr_password_verify(&c->limits, "a wrong password", c->stored,
				  &reason) == MR_PASSWORD_MISMATCH;
}

int main(int argc, char **argv)
{
	struct mr_config *defaults = mr_config_new_defaults();
	struct bench_case c;

	if (argc < 4 || defaults == NULL || mr_password_init() < 0) {
		fprintf(stderr, "usage: bench-hash PASSWORD NAME HASH...\n");
		return 2;
	}
	c.limits = defaults->hash;
	c.cache = NULL;
	c.password = argv[1];
	printf("%-28s %13s %13s %7s\n", "case", "mailroute", "reference",
	       "ratio");
	for (int i = 2; i + 1 < argc; i += 2) {
		c.stored = argv[i + 1];
		if (strncmp(c.stored, "pbkdf2_sha256$", 14) == 0) {
			measure(argv[i], ours_verify, openssl_pbkdf2, &c);
			/* the decoy against a hash of the decoy's cost */
			if (strtoul(c.stored + 14, NULL, 10) ==
			    c.limits.dummy_pbkdf2_iterations) {
				measure("unknown user vs mismatch",
					dummy_verify, wrong_password_verify,
					&c);
			}
			c.cache = mr_verify_cache_new(16, 3600);
			measure("repeat login, verify cache", cached_verify,
				ours_verify, &c);
			mr_verify_cache_free(&c.cache);
		}
		else
			measure(argv[i], ours_verify, sodium_argon2, &c);
	}
	mr_config_free(&defaults);
	return 0;
}
