#include "unit-tests.h"
#include "mr-text.h"
#include "mr-config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MINIMAL "db_socket = /run/mysqld/mysqld.sock\ndb_name = mail\n" \
		"db_user = dovecot\n"

static struct mr_config *parse_ok(const char *text)
{
	struct mr_config *config;
	struct mr_error error = { "" };

	ck_assert_msg(mr_config_parse("test.conf", text, &config, &error) == 0,
		      "parse failed: %s", error.message);
	return config;
}

static void parse_fails(const char *text, const char *expected)
{
	struct mr_config *config;
	struct mr_error error = { "" };

	ck_assert_int_eq(mr_config_parse("test.conf", text, &config, &error), -1);
	ck_assert_ptr_null(config);
	ck_assert_msg(strstr(error.message, expected) != NULL,
		      "error '%s' does not contain '%s'", error.message,
		      expected);
}

START_TEST(defaults)
{
	struct mr_config *config = parse_ok(MINIMAL);

	ck_assert_str_eq(config->mail_root, "/data/mailstorage");
	ck_assert_str_eq(config->index_root, "/data/mailindices");
	ck_assert_str_eq(config->recipient_delimiter, "+-");
	ck_assert_str_eq(config->continuity_acl_group, "continuity");
	ck_assert_uint_eq(config->continuity_mailboxes_count, 10);
	ck_assert_str_eq(config->continuity_mailboxes[0], "inbox");
	ck_assert_str_eq(config->continuity_mailboxes[9], "Sent");
	ck_assert_uint_eq(config->db_connect_timeout, 5);
	ck_assert_uint_eq(config->db_read_timeout, 10);
	ck_assert_int_eq(config->db_tls, MR_DB_TLS_OFF);
	mr_config_free(&config);
	ck_assert_ptr_null(config);
}
END_TEST

START_TEST(all_keys)
{
	struct mr_config *config = parse_ok(
		"# comment\n"
		"  db_hosts = db1.example:3307, db2.example 127.0.0.1\n"
		"db_name=mail\n"
		"db_user = dovecot\n"
		"db_password = \" se#cret \"\n"
		"db_tls = verify\n"
		"db_tls_ca = /etc/ssl/ca.pem\n"
		"db_connect_timeout = 2\n"
		"db_read_timeout = 3\n"
		"mail_root = /srv/mail\n"
		"index_root = /srv/index\n"
		"recipient_delimiter = +\n"
		"continuity_mailboxes = INBOX Archive\n"
		"continuity_acl_group = readonly\n"
		"hash_max_pbkdf2_iterations = 2000000\n"
		"dummy_pbkdf2_iterations = 600000\n");

	ck_assert_uint_eq(config->db_hosts_count, 3);
	ck_assert_str_eq(config->db_hosts[0].name, "db1.example");
	ck_assert_uint_eq(config->db_hosts[0].port, 3307);
	ck_assert_str_eq(config->db_hosts[2].name, "127.0.0.1");
	ck_assert_uint_eq(config->db_hosts[2].port, 0);
	ck_assert_str_eq(config->db_password, " se#cret ");
	ck_assert_int_eq(config->db_tls, MR_DB_TLS_VERIFY);
	ck_assert_uint_eq(config->db_connect_timeout, 2);
	ck_assert_str_eq(config->mail_root, "/srv/mail");
	ck_assert_str_eq(config->recipient_delimiter, "+");
	ck_assert_uint_eq(config->continuity_mailboxes_count, 2);
	ck_assert_str_eq(config->continuity_mailboxes[1], "Archive");
	ck_assert_str_eq(config->continuity_acl_group, "readonly");
	ck_assert_uint_eq(config->hash.pbkdf2_max_iterations, 2000000);
	ck_assert_uint_eq(config->hash.dummy_pbkdf2_iterations, 600000);
	mr_config_free(&config);
}
END_TEST

START_TEST(errors_name_file_line_key)
{
	parse_fails(MINIMAL "colour = blue\n", "test.conf:4: colour: unknown key");
	parse_fails(MINIMAL "db_read_timeout = 0\n", "test.conf:4: db_read_timeout");
	parse_fails(MINIMAL "db_read_timeout = 010\n", "db_read_timeout: must be");
	parse_fails(MINIMAL "db_read_timeout = 10s\n", "db_read_timeout");
	parse_fails(MINIMAL "db_tls = yes\n", "db_tls: must be off");
	parse_fails(MINIMAL "mail_root = data\n", "mail_root: must be an absolute");
	parse_fails(MINIMAL "mail_root = /data/\n", "must not end with '/'");
	parse_fails(MINIMAL "recipient_delimiter = +@\n", "recipient_delimiter");
	parse_fails(MINIMAL "recipient_delimiter = ++\n", "listed twice");
	parse_fails(MINIMAL "continuity_mailboxes = a/b\n", "continuity_mailboxes");
	parse_fails(MINIMAL "db_name = other\n", "test.conf:4: db_name: set twice");
	parse_fails(MINIMAL "just words\n", "expected 'key = value'");
	parse_fails("db_name = mail\ndb_user = u\n", "db_hosts: one of");
	parse_fails(MINIMAL "db_hosts = h\n", "exclusive");
	parse_fails("db_socket = /s\ndb_user = u\n", "db_name: is required");
	parse_fails(MINIMAL "db_hosts_x = 1\n", "unknown key");
	parse_fails(MINIMAL "db_password = a\ndb_password_file = /x\n",
		    "db_password is already set");
	parse_fails(MINIMAL "db_tls_ca = /ca.pem\n", "db_tls is off");
}
END_TEST

START_TEST(password_file)
{
	char path[] = "/tmp/mr-unit-pwXXXXXX";
	char text[256];
	struct mr_config *config;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "s3cret\n", 7), 7);
	close(fd);
	snprintf(text, sizeof(text), MINIMAL "db_password_file = %s\n", path);
	config = parse_ok(text);
	ck_assert_str_eq(config->db_password, "s3cret");
	mr_config_free(&config);
	unlink(path);
	snprintf(text, sizeof(text), MINIMAL "db_password_file = %s\n", path);
	parse_fails(text, "db_password_file: open(");
}
END_TEST

START_TEST(load_missing_file)
{
	struct mr_config *config;
	struct mr_error error;

	ck_assert_int_eq(mr_config_load("/nonexistent/mr.conf", &config,
					&error), -1);
	ck_assert(strstr(error.message, "/nonexistent/mr.conf") != NULL);
}
END_TEST

/* Writes text to a new temporary file with the given mode. */
static void write_file(char *path, const char *text, mode_t mode)
{
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static void load_result(const char *path, const char *expected)
{
	struct mr_config *config = NULL;
	struct mr_error error = { "" };
	int ret = mr_config_load(path, &config, &error);

	if (expected == NULL) {
		ck_assert_msg(ret == 0, "load failed: %s", error.message);
		mr_config_free(&config);
	} else {
		ck_assert_int_eq(ret, -1);
		ck_assert_ptr_null(config);
		ck_assert_msg(strstr(error.message, expected) != NULL,
			      "error '%s' does not contain '%s'",
			      error.message, expected);
	}
}

/* The module reads the file as root at Dovecot's start: a file others
   can write steers it; one that holds the password must not be
   world-readable. */
START_TEST(files_that_cannot_be_trusted)
{
	char conf[] = "/tmp/mr-unit-confXXXXXX";
	char secret[] = "/tmp/mr-unit-pwXXXXXX";
	char text[256];

	write_file(conf, MINIMAL "db_password = s3cret\n", 0600);
	load_result(conf, NULL);
	ck_assert_int_eq(chmod(conf, 0640), 0);
	load_result(conf, NULL);
	ck_assert_int_eq(chmod(conf, 0644), 0);
	load_result(conf, "readable by everyone");
	ck_assert_int_eq(chmod(conf, 0620), 0);
	load_result(conf, "writable by group or others");
	unlink(conf);

	/* no password in it: readable is fine, writable is not */
	write_file(secret, "s3cret\n", 0600);
	snprintf(text, sizeof(text), MINIMAL "db_password_file = %s\n", secret);
	strcpy(conf, "/tmp/mr-unit-confXXXXXX");
	write_file(conf, text, 0644);
	load_result(conf, NULL);
	ck_assert_int_eq(chmod(conf, 0646), 0);
	load_result(conf, "writable by group or others");
	ck_assert_int_eq(chmod(conf, 0644), 0);
	ck_assert_int_eq(chmod(secret, 0644), 0);
	load_result(conf, "readable by everyone");
	ck_assert_int_eq(chmod(secret, 0660), 0);
	load_result(conf, "writable by group or others");
	ck_assert_int_eq(chmod(secret, 0640), 0);
	load_result(conf, NULL);
	if (geteuid() == 0) {
		/* another owner than root or the reader */
		ck_assert_int_eq(chown(secret, 65534, 0), 0);
		load_result(conf, "owned by another user");
		ck_assert_int_eq(chown(conf, 65534, 0), 0);
		load_result(conf, "owned by another user");
	}
	unlink(secret);
	unlink(conf);
}
END_TEST

/* host:port splits at the only ':'; an IPv6 address is bracketed to
   carry a port, or bare (several ':') without one. */
START_TEST(db_hosts_ipv6)
{
	struct mr_config *config = parse_ok(
		"db_hosts = [::1]:3307 2001:db8::1 [2001:db8::2] db.example:3308 ::1\n"
		"db_name = mail\ndb_user = dovecot\n");
	static const struct {
		const char *name;
		unsigned int port;
	} expected[] = {
		{ "::1", 3307 }, { "2001:db8::1", 0 }, { "2001:db8::2", 0 },
		{ "db.example", 3308 }, { "::1", 0 },
	};

	ck_assert_uint_eq(config->db_hosts_count, MR_N_ELEMENTS(expected));
	for (unsigned int i = 0; i < MR_N_ELEMENTS(expected); i++) {
		ck_assert_str_eq(config->db_hosts[i].name, expected[i].name);
		ck_assert_uint_eq(config->db_hosts[i].port, expected[i].port);
	}
	mr_config_free(&config);
	parse_fails("db_hosts = [::1\ndb_name = m\ndb_user = u\n", "[]");
	parse_fails("db_hosts = []:3306\ndb_name = m\ndb_user = u\n", "[]");
	parse_fails("db_hosts = [::1]x\ndb_name = m\ndb_user = u\n", "[]");
	parse_fails("db_hosts = [::1]:0\ndb_name = m\ndb_user = u\n", "1-65535");
	parse_fails("db_hosts = :3306\ndb_name = m\ndb_user = u\n", "empty host");
}
END_TEST

Suite *config_suite(void)
{
	Suite *suite = suite_create("config");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, all_keys);
	tcase_add_test(tc, db_hosts_ipv6);
	tcase_add_test(tc, errors_name_file_line_key);
	tcase_add_test(tc, password_file);
	tcase_add_test(tc, load_missing_file);
	tcase_add_test(tc, files_that_cannot_be_trusted);
	suite_add_tcase(suite, tc);
	return suite;
}
