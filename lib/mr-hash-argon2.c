/* Django's Argon2PasswordHasher: "argon2" + the PHC string argon2-cffi
   made: $argon2<type>$[v=<version>$]m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>.
   libsodium verifies argon2id v=19, and argon2i v=19 at t >= 3 (its
   minimum); libargon2, when built in, verifies the rest (argon2d, v=16 and
   version-less strings, argon2i at t < 3, as Django <= 3.1 made them). */

#include "mailroute-auth-config.h"
#include "mr-hash-private.h"
#include "mr-text.h"

#include <sodium.h>
#ifdef HAVE_LIBARGON2
#  include <argon2.h>
#endif

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define DJANGO_ARGON2_PREFIX "argon2"

enum argon2_variant {
	VARIANT_D,
	VARIANT_I,
	VARIANT_ID,
};

struct argon2_params {
	enum argon2_variant variant;
	/* 0x10 when the string has no v= field */
	unsigned long version;
	unsigned long memory_kib, passes, lanes;
};

static bool parse_variant(const struct mr_hash_field *field,
			  enum argon2_variant *variant_r)
{
	static const struct {
		const char *name;
		enum argon2_variant variant;
	} variants[] = {
		{ "argon2d", VARIANT_D },
		{ "argon2i", VARIANT_I },
		{ "argon2id", VARIANT_ID },
	};

	for (unsigned int i = 0; i < sizeof(variants) / sizeof(variants[0]);
	     i++) {
		if (field->len == strlen(variants[i].name) &&
		    memcmp(field->data, variants[i].name, field->len) == 0) {
			*variant_r = variants[i].variant;
			return true;
		}
	}
	return false;
}

/* "<name>=<canonical decimal>" */
static bool parse_named_number(const char *data, size_t len, char name,
			       unsigned long *number_r)
{
	return len > 2 && data[0] == name && data[1] == '=' &&
		mr_parse_ulong_n(data + 2, len - 2, 1, ULONG_MAX, number_r);
}

/* "m=<KiB>,t=<passes>,p=<lanes>", in that order as libargon2 writes it */
static bool parse_cost(const struct mr_hash_field *field,
		       struct argon2_params *params)
{
	const char names[] = { 'm', 't', 'p' };
	unsigned long *values[] = { &params->memory_kib, &params->passes,
				    &params->lanes };
	const char *p = field->data, *end = field->data + field->len;

	for (unsigned int i = 0; i < 3; i++) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *item_end = (i < 2) ? comma : end;

		if (item_end == NULL || (i == 2 && comma != NULL) ||
		    !parse_named_number(p, (size_t)(item_end - p), names[i],
					values[i]))
			return false;
		p = item_end + 1;
	}
	return true;
}

static bool parse_argon2(const char *phc, struct argon2_params *params,
			 const char **reason_r)
{
	struct mr_hash_field fields[5];
	unsigned int cost_field;

	/* phc starts with '$': skip it, then type, [v=], cost, salt, hash */
	if (phc[0] != '$' || !mr_hash_split(phc + 1, fields, 4) ||
	    !parse_variant(&fields[0], &params->variant)) {
		*reason_r = "argon2: not a $argon2<type>$ string";
		return false;
	}
	if (fields[1].len > 2 && memcmp(fields[1].data, "v=", 2) == 0) {
		if (!mr_hash_split(phc + 1, fields, 5) ||
		    !parse_named_number(fields[1].data, fields[1].len, 'v',
					&params->version) ||
		    (params->version != 0x10 && params->version != 0x13)) {
			*reason_r = "argon2: bad version field";
			return false;
		}
		cost_field = 2;
	} else {
		params->version = 0x10;
		cost_field = 1;
	}
	if (!parse_cost(&fields[cost_field], params)) {
		*reason_r = "argon2: bad m=,t=,p= field";
		return false;
	}
	if (memchr(fields[cost_field + 2].data, '$',
		   fields[cost_field + 2].len) != NULL) {
		*reason_r = "argon2: extra '$' field";
		return false;
	}
	return true;
}

static bool sodium_can_verify(const struct argon2_params *params)
{
	if (params->version != 0x13)
		return false;
	return params->variant == VARIANT_ID ||
		(params->variant == VARIANT_I &&
		 params->passes >= crypto_pwhash_argon2i_OPSLIMIT_MIN);
}

/* libsodium returns -1, errno EINVAL, for a mismatch and for a failure
   to allocate the memory cost alike (seen under RLIMIT_AS, which is how
   Dovecot applies vsz_limit). A failed allocation must not read as a
   wrong password: after -1, allocate that much ourselves; if we cannot,
   neither could libsodium. Untouched, the probe costs an mmap. */
static enum mr_password_result
verify_with_libsodium(const struct argon2_params *params, const char *phc,
		      const char *password, const char **reason_r)
{
	void *probe;

	if (crypto_pwhash_str_verify(phc, password, strlen(password)) == 0)
		return MR_PASSWORD_MATCH;
	probe = malloc((size_t)params->memory_kib * 1024);
	if (probe == NULL) {
		*reason_r = "argon2: not enough memory for the hash's memory cost";
		return MR_PASSWORD_ERROR;
	}
	free(probe);
	return MR_PASSWORD_MISMATCH;
}

#ifdef HAVE_LIBARGON2
static enum mr_password_result
verify_with_libargon2(const struct argon2_params *params, const char *phc,
		      const char *password, const char **reason_r)
{
	static const argon2_type types[] = {
		[VARIANT_D] = Argon2_d,
		[VARIANT_I] = Argon2_i,
		[VARIANT_ID] = Argon2_id,
	};
	int ret = argon2_verify(phc, password, strlen(password),
				types[params->variant]);

	switch (ret) {
	case ARGON2_OK:
		return MR_PASSWORD_MATCH;
	case ARGON2_VERIFY_MISMATCH:
		return MR_PASSWORD_MISMATCH;
	case ARGON2_MEMORY_ALLOCATION_ERROR:
	case ARGON2_THREAD_FAIL:
		*reason_r = "argon2: libargon2 could not allocate or start threads";
		return MR_PASSWORD_ERROR;
	default:
		*reason_r = "argon2: libargon2 refused the string";
		return MR_PASSWORD_MALFORMED;
	}
}
#endif

enum mr_password_result
mr_hash_argon2_verify(const struct mr_hash_limits *limits,
		      const char *password, const char *stored,
		      const char **reason_r)
{
	const char *phc = stored + strlen(DJANGO_ARGON2_PREFIX);
	struct argon2_params params;

	if (!parse_argon2(phc, &params, reason_r))
		return MR_PASSWORD_MALFORMED;
	if (params.memory_kib > limits->argon2_max_memory_kib ||
	    params.passes > limits->argon2_max_time ||
	    params.lanes > limits->argon2_max_lanes) {
		*reason_r = "argon2: cost above the hash_max_argon2_* caps";
		return MR_PASSWORD_TOO_COSTLY;
	}
	if (sodium_can_verify(&params))
		return password == NULL ? MR_PASSWORD_MISMATCH :
			verify_with_libsodium(&params, phc, password, reason_r);
#ifdef HAVE_LIBARGON2
	return password == NULL ? MR_PASSWORD_MISMATCH :
		verify_with_libargon2(&params, phc, password, reason_r);
#else
	*reason_r = "argon2: this variant needs libargon2, not built in";
	return MR_PASSWORD_UNUSABLE;
#endif
}
