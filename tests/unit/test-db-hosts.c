#include "unit-tests.h"
#include "mr-db-hosts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOW 1000000

static struct mr_config *config;
static char state_dir[] = "/tmp/mr-db-hosts-XXXXXX";
static char state_path[sizeof(state_dir) + 16];

/* Three hosts, a 60 s retry interval, and a state file in a private
   directory. */
static void hosts_setup(void)
{
	struct mr_error error;
	const char text[] =
		"db_hosts = db1:3306 [2001:db8::2]:3307 db3\n"
		"db_name = mail\ndb_user = ro\n"
		"db_retry_interval = 60\n";
	char with_state[sizeof(text) + sizeof(state_path) + 32];

	ck_assert_ptr_nonnull(mkdtemp(state_dir));
	snprintf(state_path, sizeof(state_path), "%s/state", state_dir);
	snprintf(with_state, sizeof(with_state), "%sdb_host_state_file = %s\n",
		 text, state_path);
	ck_assert_int_eq(mr_config_parse("test", with_state, &config, &error), 0);
}

static void hosts_teardown(void)
{
	unlink(state_path);
	rmdir(state_dir);
	strcpy(state_dir, "/tmp/mr-db-hosts-XXXXXX");
	mr_config_free(&config);
}

static void assert_order(struct mr_db_hosts *hosts, time_t now,
			 unsigned int a, unsigned int b, unsigned int c)
{
	unsigned int order[3];

	ck_assert_uint_eq(mr_db_hosts_order(hosts, now, order), 3);
	ck_assert_uint_eq(order[0], a);
	ck_assert_uint_eq(order[1], b);
	ck_assert_uint_eq(order[2], c);
}

static void write_state(const char *text)
{
	FILE *f = fopen(state_path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(test_failed_host_goes_last_until_the_interval_ends)
{
	struct mr_db_hosts *hosts = mr_db_hosts_create(config);
	struct mr_error error;
	bool was_down;

	assert_order(hosts, NOW, 0, 1, 2);
	ck_assert_int_eq(mr_db_hosts_failed(hosts, 0, NOW, &error), 0);
	ck_assert(mr_db_hosts_down(hosts, 0, NOW + 59));
	assert_order(hosts, NOW + 59, 1, 2, 0);
	/* every host down: all are tried, soonest back first */
	ck_assert_int_eq(mr_db_hosts_failed(hosts, 2, NOW + 10, &error), 0);
	ck_assert_int_eq(mr_db_hosts_failed(hosts, 1, NOW + 5, &error), 0);
	assert_order(hosts, NOW + 20, 0, 1, 2);
	/* the interval over: back in the configured order, still marked */
	assert_order(hosts, NOW + 60, 0, 1, 2);
	ck_assert(!mr_db_hosts_down(hosts, 0, NOW + 60));
	ck_assert_int_eq(mr_db_hosts_connected(hosts, 0, &was_down, &error), 0);
	ck_assert(was_down);
	ck_assert_int_eq(mr_db_hosts_connected(hosts, 0, &was_down, &error), 0);
	ck_assert(!was_down);
	mr_db_hosts_destroy(&hosts);
}
END_TEST

START_TEST(test_state_file_is_shared_between_processes)
{
	struct mr_db_hosts *first = mr_db_hosts_create(config);
	struct mr_db_hosts *second = mr_db_hosts_create(config);
	struct mr_error error;
	struct stat st;
	bool was_down;

	ck_assert_int_eq(mr_db_hosts_failed(first, 1, NOW, &error), 0);
	ck_assert_int_eq(stat(state_path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* another process reads it: the IPv6 host goes last */
	assert_order(second, NOW + 1, 0, 2, 1);
	/* the second sees it back, and so does the first on its next read */
	ck_assert_int_eq(mr_db_hosts_connected(second, 1, &was_down, &error), 0);
	ck_assert(was_down);
	assert_order(first, NOW + 1, 0, 1, 2);
	ck_assert(!mr_db_hosts_down(first, 1, NOW + 1));
	mr_db_hosts_destroy(&first);
	mr_db_hosts_destroy(&second);
}
END_TEST

START_TEST(test_state_file_lines_are_checked)
{
	struct mr_db_hosts *hosts = mr_db_hosts_create(config);

	/* unknown host, wrong port, junk, a negative time: ignored; a time
	   beyond one interval (a clock set back) is cut to one interval */
	write_state("# comment\n"
		    "elsewhere 3306 9999999999\n"
		    "db1 3307 9999999999\n"
		    "db1 3306 soon\n"
		    "db3 0 -5\n"
		    "2001:db8::2 3307 9999999999\n");
	assert_order(hosts, NOW, 0, 2, 1);
	ck_assert(mr_db_hosts_down(hosts, 1, NOW + 59));
	ck_assert(!mr_db_hosts_down(hosts, 1, NOW + 60));
	/* a missing file: no host down */
	unlink(state_path);
	assert_order(hosts, NOW, 0, 1, 2);
	mr_db_hosts_destroy(&hosts);
}
END_TEST

START_TEST(test_unwritable_state_file_is_an_error_not_a_loss)
{
	struct mr_db_hosts *hosts = mr_db_hosts_create(config);
	struct mr_error error;

	/* a directory in the file's place: the rename fails */
	ck_assert_int_eq(mkdir(state_path, 0700), 0);
	ck_assert_int_eq(mr_db_hosts_failed(hosts, 0, NOW, &error), -1);
	ck_assert_ptr_nonnull(strstr(error.message, "db_host_state_file"));
	/* this process still remembers */
	ck_assert(mr_db_hosts_down(hosts, 0, NOW + 1));
	rmdir(state_path);
	mr_db_hosts_destroy(&hosts);
}
END_TEST

Suite *db_hosts_suite(void)
{
	Suite *s = suite_create("db-hosts");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, hosts_setup, hosts_teardown);
	tcase_add_test(tc, test_failed_host_goes_last_until_the_interval_ends);
	tcase_add_test(tc, test_state_file_is_shared_between_processes);
	tcase_add_test(tc, test_state_file_lines_are_checked);
	tcase_add_test(tc, test_unwritable_state_file_is_an_error_not_a_loss);
	suite_add_tcase(s, tc);
	return s;
}
