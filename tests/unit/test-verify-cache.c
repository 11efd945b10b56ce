#include "unit-tests.h"
#include "mr-password.h"
#include "mr-verify-cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
				      hash, NULL, &reason);
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
						PASSWORD, stored, NULL,
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
			&unit_config->hash, passwords[i], hashes[i], NULL, &reason),
			MR_PASSWORD_MATCH);
	}
	for (unsigned int i = 0; i < WAYS; i++)
		ck_assert(mr_verify_cache_contains(small, hashes[i],
						   passwords[i], now));
	mr_verify_cache_get_stats(small, &stats);
	ck_assert_uint_eq(stats.evictions, 0);

	/* pair 0 used again: pair 1 is now the least recently used */
	ck_assert_int_eq(mr_verify_cache_verify(small, &unit_config->hash,
		passwords[0], hashes[0], NULL, &reason), MR_PASSWORD_MATCH);
	ck_assert_int_eq(mr_verify_cache_verify(small, &unit_config->hash,
		passwords[WAYS], hashes[WAYS], NULL, &reason), MR_PASSWORD_MATCH);
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
		"wrong", hashes[2], NULL, &reason), MR_PASSWORD_MISMATCH);
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

/* The shared table: a directory of the test's own, the file one level
   down so that opening it makes the directory. */
static char shared_dir[64];
static char shared_path[128];

static void shared_setup(void)
{
	cache_setup();
	snprintf(shared_dir, sizeof(shared_dir), "/tmp/mr-verify-cache.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(shared_dir));
	snprintf(shared_path, sizeof(shared_path), "%s/run/verify-cache",
		 shared_dir);
}

static void shared_teardown(void)
{
	char command[160];

	snprintf(command, sizeof(command), "rm -rf '%s'", shared_dir);
	ck_assert_int_eq(system(command), 0);
	cache_teardown();
}

static struct mr_verify_cache *shared_open(unsigned int size)
{
	struct mr_error error;
	struct mr_verify_cache *table =
		mr_verify_cache_open(shared_path, size, 60, &error);

	ck_assert_msg(table != NULL, "%s", error.message);
	return table;
}

/* Verifies in a child process of its own opening of the table; its exit
   status says whether the table answered. */
static bool verified_cached_in_child(const char *password)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct mr_verify_cache *table = shared_open(64);
		const char *reason;
		bool cached;

		enum mr_password_result result =
			mr_verify_cache_verify(table, &unit_config->hash,
					       password, stored, &cached,
					       &reason);

		/* freed: valgrind's leak check ends the child too */
		mr_verify_cache_free(&table);
		if (result != MR_PASSWORD_MATCH)
			_exit(2);
		_exit(cached ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_ne(WEXITSTATUS(status), 2);
	return WEXITSTATUS(status) == 0;
}

/* What one process verified, another answers from the table: each
   Dovecot auth-worker is such a process. */
START_TEST(test_shared_table_answers_every_process)
{
	struct mr_verify_cache *table;
	struct mr_verify_cache_stats stats;
	struct stat st;
	const char *reason;
	bool cached;

	ck_assert(!verified_cached_in_child(PASSWORD));
	ck_assert(verified_cached_in_child(PASSWORD));
	ck_assert_int_eq(stat(shared_path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(stat(shared_dir, &st), 0);

	table = shared_open(64);
	ck_assert(mr_verify_cache_contains(table, stored, PASSWORD,
					   time(NULL)));
	ck_assert_int_eq(mr_verify_cache_verify(table, &unit_config->hash,
						"wrong", stored, &cached,
						&reason),
			 MR_PASSWORD_MISMATCH);
	ck_assert(!cached);
	mr_verify_cache_get_stats(table, &stats);
	ck_assert_uint_eq(stats.hits, 1);
	ck_assert_uint_eq(stats.misses, 2);
	/* this process's own table knows nothing of it */
	ck_assert(!mr_verify_cache_contains(cache, stored, PASSWORD,
					    time(NULL)));
	mr_verify_cache_free(&table);
}
END_TEST

/* A table of another size is replaced, not read with the wrong geometry:
   a process still mapping the old one keeps answering from it. */
START_TEST(test_shared_table_of_another_size_is_replaced)
{
	struct mr_verify_cache *small = shared_open(8), *large;
	struct stat before, after;

	ck_assert_int_eq(verify(PASSWORD, stored), MR_PASSWORD_MATCH);
	ck_assert_int_eq(mr_verify_cache_verify(small, &unit_config->hash,
						PASSWORD, stored, NULL,
						&(const char *){ NULL }),
			 MR_PASSWORD_MATCH);
	ck_assert_int_eq(stat(shared_path, &before), 0);
	large = shared_open(64);
	ck_assert_int_eq(stat(shared_path, &after), 0);
	ck_assert_int_ne(before.st_ino, after.st_ino);
	ck_assert(!mr_verify_cache_contains(large, stored, PASSWORD,
					    time(NULL)));
	ck_assert(mr_verify_cache_contains(small, stored, PASSWORD,
					   time(NULL)));
	mr_verify_cache_free(&small);
	mr_verify_cache_free(&large);
}
END_TEST

/* A file another user could read or plant is never used. */
START_TEST(test_shared_table_open_to_others_is_refused)
{
	struct mr_verify_cache *table = shared_open(8);
	struct mr_error error;
	char dir[128];

	mr_verify_cache_free(&table);
	ck_assert_int_eq(chmod(shared_path, 0644), 0);
	ck_assert_ptr_null(mr_verify_cache_open(shared_path, 8, 60, &error));
	ck_assert_str_eq(error.message + strlen(shared_path),
			 ": open to group or others");
	ck_assert_int_eq(chmod(shared_path, 0600), 0);
	snprintf(dir, sizeof(dir), "%s/run", shared_dir);
	ck_assert_int_eq(chmod(dir, 0777), 0);
	ck_assert_ptr_null(mr_verify_cache_open(shared_path, 8, 60, &error));
	ck_assert_str_eq(error.message + strlen(dir),
			 ": writable by group or others");
	ck_assert_ptr_null(mr_verify_cache_open("relative", 8, 60, &error));
	ck_assert_ptr_null(mr_verify_cache_open(shared_path, 0, 60, &error));
	ck_assert_str_eq(error.message, "");
}
END_TEST

/* Processes verifying at once through one small table: every answer is
   the right one (a racing write may lose an entry, never admit a wrong
   password), and the table still answers afterwards. */
START_TEST(test_shared_table_under_concurrent_writers)
{
	enum { PAIRS = 24, CHILDREN = 4, ROUNDS = 300 };
	static char hashes[PAIRS][MR_PASSWORD_MAKE_SIZE];
	char passwords[PAIRS][16];
	struct mr_verify_cache *table;
	pid_t pids[CHILDREN];

	for (unsigned int i = 0; i < PAIRS; i++) {
		snprintf(passwords[i], sizeof(passwords[i]), "pw-%u", i);
		ck_assert_int_eq(mr_password_make_pbkdf2_sha256(passwords[i],
			1, hashes[i], sizeof(hashes[i])), 0);
	}
	/* 16 entries for 24 pairs: constant eviction */
	table = shared_open(16);
	for (unsigned int c = 0; c < CHILDREN; c++) {
		pids[c] = fork();
		ck_assert_int_ge(pids[c], 0);
		if (pids[c] != 0)
			continue;
		for (unsigned int r = 0; r < ROUNDS; r++) {
			unsigned int i = (r * 7 + c * 5) % PAIRS;
			unsigned int other = (i + 1) % PAIRS;
			const char *reason;

			if (mr_verify_cache_verify(table, &unit_config->hash,
					passwords[i], hashes[i], NULL,
					&reason) != MR_PASSWORD_MATCH ||
			    mr_verify_cache_verify(table, &unit_config->hash,
					passwords[other], hashes[i], NULL,
					&reason) != MR_PASSWORD_MISMATCH)
				_exit(1);
		}
		_exit(0);
	}
	for (unsigned int c = 0; c < CHILDREN; c++) {
		int status;

		ck_assert_int_eq(waitpid(pids[c], &status, 0), pids[c]);
		ck_assert(WIFEXITED(status));
		ck_assert_int_eq(WEXITSTATUS(status), 0);
	}
	ck_assert_int_eq(mr_verify_cache_verify(table, &unit_config->hash,
						passwords[0], hashes[0], NULL,
						&(const char *){ NULL }),
			 MR_PASSWORD_MATCH);
	ck_assert(mr_verify_cache_contains(table, hashes[0], passwords[0],
					   time(NULL)));
	mr_verify_cache_free(&table);
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

	tc = tcase_create("verify-cache-shared");
	tcase_add_checked_fixture(tc, shared_setup, shared_teardown);
	tcase_add_test(tc, test_shared_table_answers_every_process);
	tcase_add_test(tc, test_shared_table_of_another_size_is_replaced);
	tcase_add_test(tc, test_shared_table_open_to_others_is_refused);
	tcase_add_test(tc, test_shared_table_under_concurrent_writers);
	suite_add_tcase(suite, tc);
	return suite;
}
