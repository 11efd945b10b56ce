#include "unit-tests.h"
#include "mr-password.h"
#include "mr-verify-cache.h"

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

START_TEST(test_bounded_by_size)
{
	struct mr_verify_cache *small = mr_verify_cache_new(1, 60);
	const char *reason;
	char other[MR_PASSWORD_MAKE_SIZE];

	ck_assert_int_eq(mr_password_make_pbkdf2_sha256("other", ITERATIONS,
							 other,
							 sizeof(other)), 0);
	ck_assert_int_eq(mr_verify_cache_verify(small, &unit_config->hash,
						PASSWORD, stored, &reason),
			 MR_PASSWORD_MATCH);
	ck_assert_int_eq(mr_verify_cache_verify(small, &unit_config->hash,
						"other", other, &reason),
			 MR_PASSWORD_MATCH);
	/* one slot: the newer entry replaced the older */
	ck_assert(mr_verify_cache_contains(small, other, "other", time(NULL)));
	ck_assert(!mr_verify_cache_contains(small, stored, PASSWORD,
					    time(NULL)));
	mr_verify_cache_free(&small);
	ck_assert_ptr_null(small);
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
	tcase_add_test(tc, test_bounded_by_size);
	suite_add_tcase(suite, tc);
	return suite;
}
