#include "unit-tests.h"
#include "mr-password.h"
#include "mr-verify-cache.h"

#include <stdio.h>
#include <time.h>

#define PASSWORD "correct horse"
#define ITERATIONS 1000

static struct mr_verify_cache *cache;
static char stored[MR_PASSWORD_MAKE_SIZE];

static void cache_setup(void)
{
	unit_config_setup();
	cache = mr_verify_cache_new(64, 60);
	ck_assert_ptr_nonnull(cache);
	ck_assert_int_eq(mr_password_make_pbkdf2_sha256(PASSWORD, ITERATIONS,
							 stored,
							 sizeof(stored)), 0);
}

static void cache_teardown(void)
{
	mr_verify_cache_free(&cache);
	unit_config_teardown();
}

static enum mr_password_result verify(const char *password,
				      const char *hash)
{
	const char *reason;

	return mr_verify_cache_verify(cache, &unit_config->hash, password,
				      hash, &reason);
}

START_TEST(test_match_is_remembered)
{
	ck_assert(!mr_verify_cache_contains(cache, stored, PASSWORD,
					    time(NULL)));
	ck_assert_int_eq(verify(PASSWORD, stored), MR_PASSWORD_MATCH);
	ck_assert(mr_verify_cache_contains(cache, stored, PASSWORD,
					   time(NULL)));
	ck_assert_int_eq(verify(PASSWORD, stored), MR_PASSWORD_MATCH);
}
END_TEST

START_TEST(test_mismatch_is_never_remembered)
{
	ck_assert_int_eq(verify("wrong", stored), MR_PASSWORD_MISMATCH);
	ck_assert(!mr_verify_cache_contains(cache, stored, "wrong",
					    time(NULL)));
	/* a remembered match does not let another password in */
	ck_assert_int_eq(verify(PASSWORD, stored), MR_PASSWORD_MATCH);
	ck_assert_int_eq(verify("wrong", stored), MR_PASSWORD_MISMATCH);
	ck_assert_int_eq(verify(PASSWORD "x", stored), MR_PASSWORD_MISMATCH);
	ck_assert_int_eq(verify("", stored), MR_PASSWORD_MISMATCH);
}
END_TEST

START_TEST(test_changed_hash_is_verified_again)
{
	char renewed[MR_PASSWORD_MAKE_SIZE];

	ck_assert_int_eq(verify(PASSWORD, stored), MR_PASSWORD_MATCH);
	/* the password was changed in Django: the old one must fail at once */
	ck_assert_int_eq(mr_password_make_pbkdf2_sha256("new secret",
							 ITERATIONS, renewed,
							 sizeof(renewed)), 0);
	ck_assert(!mr_verify_cache_contains(cache, renewed, PASSWORD,
					    time(NULL)));
	ck_assert_int_eq(verify(PASSWORD, renewed), MR_PASSWORD_MISMATCH);
	ck_assert_int_eq(verify("new secret", renewed), MR_PASSWORD_MATCH);
	/* an unusable hash is never a hit, whatever was verified before */
	ck_assert_int_eq(verify(PASSWORD, "!unusable"), MR_PASSWORD_UNUSABLE);
}
END_TEST

START_TEST(test_entries_expire)
{
	time_t now = time(NULL);

	ck_assert_int_eq(verify(PASSWORD, stored), MR_PASSWORD_MATCH);
	ck_assert(mr_verify_cache_contains(cache, stored, PASSWORD, now + 59));
	ck_assert(!mr_verify_cache_contains(cache, stored, PASSWORD,
					    now + 61));
}
END_TEST

START_TEST(test_size_zero_is_off)
{
	ck_assert_ptr_null(mr_verify_cache_new(0, 60));
	ck_assert(!mr_verify_cache_contains(NULL, stored, PASSWORD,
					    time(NULL)));
	ck_assert_int_eq(mr_verify_cache_verify(NULL, &unit_config->hash,
						PASSWORD, stored,
						&(const char *){ NULL }),
			 MR_PASSWORD_MATCH);
}
END_TEST

/* One set (size 1 rounds up to MR_VERIFY_CACHE_WAYS): as many pairs as
   it has ways all stay; one more evicts the least recently used, not
   the one just hit; the counters say so. */
START_TEST(test_set_keeps_what_is_used)
{
	enum { WAYS = MR_VERIFY_CACHE_WAYS };
	struct mr_verify_cache *small = mr_verify_cache_new(1, 60);
	static char hashes[WAYS + 1][MR_PASSWORD_MAKE_SIZE];
	char passwords[WAYS + 1][16];
	struct mr_verify_cache_stats stats;
	const char *reason;
	time_t now = time(NULL);

	ck_assert_ptr_nonnull(small);
	for (unsigned int i = 0; i <= WAYS; i++) {
		snprintf(passwords[i], sizeof(passwords[i]), "pw-%u", i);
		ck_assert_int_eq(mr_password_make_pbkdf2_sha256(
			passwords[i], ITERATIONS, hashes[i],
			sizeof(hashes[i])), 0);
	}
	for (unsigned int i = 0; i < WAYS; i++) {
		ck_assert_int_eq(mr_verify_cache_verify(small,
			&unit_config->hash, passwords[i], hashes[i], &reason),
			MR_PASSWORD_MATCH);
	}
	for (unsigned int i = 0; i < WAYS; i++)
		ck_assert(mr_verify_cache_contains(small, hashes[i],
						   passwords[i], now));
	mr_verify_cache_get_stats(small, &stats);
	ck_assert_uint_eq(stats.evictions, 0);

	/* pair 0 used again: pair 1 is now the least recently used */
	ck_assert_int_eq(mr_verify_cache_verify(small, &unit_config->hash,
		passwords[0], hashes[0], &reason), MR_PASSWORD_MATCH);
	ck_assert_int_eq(mr_verify_cache_verify(small, &unit_config->hash,
		passwords[WAYS], hashes[WAYS], &reason), MR_PASSWORD_MATCH);
	ck_assert(mr_verify_cache_contains(small, hashes[0], passwords[0], now));
	ck_assert(!mr_verify_cache_contains(small, hashes[1], passwords[1], now));
	ck_assert(mr_verify_cache_contains(small, hashes[WAYS], passwords[WAYS],
					   now));
	mr_verify_cache_get_stats(small, &stats);
	ck_assert_uint_eq(stats.hits, 1);
	ck_assert_uint_eq(stats.misses, WAYS + 1);
	ck_assert_uint_eq(stats.evictions, 1);

	/* a wrong password is a miss and takes no way */
	ck_assert_int_eq(mr_verify_cache_verify(small, &unit_config->hash,
		"wrong", hashes[2], &reason), MR_PASSWORD_MISMATCH);
	ck_assert(mr_verify_cache_contains(small, hashes[2], passwords[2], now));
	mr_verify_cache_get_stats(small, &stats);
	ck_assert_uint_eq(stats.misses, WAYS + 2);
	ck_assert_uint_eq(stats.evictions, 1);
	mr_verify_cache_free(&small);
	ck_assert_ptr_null(small);
}
END_TEST

/* The counters of no cache are zero. */
START_TEST(test_no_cache_counts_nothing)
{
	struct mr_verify_cache_stats stats = { 1, 1, 1 };

	mr_verify_cache_get_stats(NULL, &stats);
	ck_assert_uint_eq(stats.hits + stats.misses + stats.evictions, 0);
}
END_TEST

Suite *verify_cache_suite(void)
{
	Suite *suite = suite_create("verify-cache");
	TCase *tc = tcase_create("verify-cache");

	tcase_add_checked_fixture(tc, cache_setup, cache_teardown);
	tcase_add_test(tc, test_match_is_remembered);
	tcase_add_test(tc, test_mismatch_is_never_remembered);
	tcase_add_test(tc, test_changed_hash_is_verified_again);
	tcase_add_test(tc, test_entries_expire);
	tcase_add_test(tc, test_size_zero_is_off);
	tcase_add_test(tc, test_set_keeps_what_is_used);
	tcase_add_test(tc, test_no_cache_counts_nothing);
	suite_add_tcase(suite, tc);
	return suite;
}
