#include "unit-tests.h"
#include "mr-config.h"
#include "mr-userdb-fields.h"

#include <string.h>

static struct mr_account account_new(const char *localpart, const char *domain)
{
	struct mr_account account;

	memset(&account, 0, sizeof(account));
	account.account_id = 42;
	strcpy(account.localpart, localpart);
	strcpy(account.domain, domain);
	account.is_active = true;
	account.hosted = true;
	return account;
}

static void build_ok(const struct mr_account *account,
		     struct mr_userdb_fields *fields)
{
	struct mr_error error = { "" };

	ck_assert_msg(mr_userdb_fields_build(unit_config, account, fields, &error) == 0,
		      "build failed: %s", error.message);
}

START_TEST(legacy_paths)
{
	struct mr_account account = account_new("John.Smith", "Example.COM");
	struct mr_userdb_fields fields;

	build_ok(&account, &fields);
	ck_assert_str_eq(fields.user, "John.Smith@Example.COM");
	ck_assert_str_eq(fields.home,
			 "/data/mailstorage/E/x/Example.COM/J/John.Smith");
	ck_assert_str_eq(fields.mail,
			 "maildir:/data/mailstorage/E/x/Example.COM/J/John.Smith/mail"
			 ":INDEX=/data/mailindices/E/x/Example.COM/J/John.Smith"
			 ":LAYOUT=fs");
	ck_assert_ptr_null(fields.quota_rule);
	ck_assert_ptr_null(fields.acl_groups);
	ck_assert_ptr_null(fields.userdb_import);
	mr_userdb_fields_free(&fields);
}
END_TEST

START_TEST(characters_not_bytes)
{
	/* ü is two bytes; ł too; the index takes whole characters */
	struct mr_account account = account_new("\xc5\x82ukasz", "\xc3\xbc" "b.example");
	struct mr_userdb_fields fields;

	build_ok(&account, &fields);
	ck_assert_str_eq(fields.home, "/data/mailstorage/\xc3\xbc/b/\xc3\xbc"
			 "b.example/\xc5\x82/\xc5\x82ukasz");
	mr_userdb_fields_free(&fields);
	/* a one-character localpart is its own first character */
	account = account_new("x", "ab");
	build_ok(&account, &fields);
	ck_assert_str_eq(fields.home, "/data/mailstorage/a/b/ab/x/x");
	mr_userdb_fields_free(&fields);
}
END_TEST

START_TEST(unsafe_names_refused)
{
	static const char *const pairs[][2] = {
		{ "../x", "example.com" }, { "a/b", "example.com" },
		{ "..", "example.com" }, { ".", "example.com" },
		{ "a\tb", "example.com" }, { "a:b", "example.com" },
		{ "john", "../etc" }, { "john", "a/b" }, { "john", "x" },
		{ "john", ".." }, { "john", "" }, { "", "example.com" },
		{ "j\xff", "example.com" },
	};
	struct mr_userdb_fields fields;
	struct mr_error error;

	for (unsigned int i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct mr_account account = account_new(pairs[i][0], pairs[i][1]);

		ck_assert_msg(mr_userdb_fields_build(unit_config, &account, &fields,
						     &error) == -1,
			      "built a path for pair #%u", i);
		ck_assert_ptr_nonnull(strstr(error.message, "account 42"));
		ck_assert_ptr_null(fields.home);
	}
}
END_TEST

START_TEST(quota_rule)
{
	struct mr_account account = account_new("john", "example.com");
	struct mr_userdb_fields fields;

	account.has_quota = true;
	account.quota_mb = 2048;
	build_ok(&account, &fields);
	ck_assert_str_eq(fields.quota_rule, "*:storage=2048M");
	mr_userdb_fields_free(&fields);
	/* 0 is unlimited in Dovecot, passed through */
	account.quota_mb = 0;
	build_ok(&account, &fields);
	ck_assert_str_eq(fields.quota_rule, "*:storage=0M");
	mr_userdb_fields_free(&fields);
}
END_TEST

START_TEST(continuity)
{
	struct mr_account account = account_new("john", "example.com");
	struct mr_userdb_fields fields;
	struct mr_field list[MR_USERDB_FIELD_MAX];

	account.hosted = false;
	account.continuity = true;
	account.has_storage_days = true;
	account.storage_days = 30;
	build_ok(&account, &fields);
	ck_assert_str_eq(fields.acl_groups, "continuity");
	ck_assert_str_eq(fields.userdb_import,
		"namespace/inbox/mailbox/inbox/autoexpunge=30d\t"
		"namespace/inbox/mailbox/Drafts/autoexpunge=30d\t"
		"namespace/inbox/mailbox/Quarantine/autoexpunge=30d\t"
		"namespace/inbox/mailbox/Quarantine.Spam/autoexpunge=30d\t"
		"namespace/inbox/mailbox/Quarantine.BadHeaders/autoexpunge=30d\t"
		"namespace/inbox/mailbox/Quarantine.BannedFiles/autoexpunge=30d\t"
		"namespace/inbox/mailbox/Quarantine.Blocked/autoexpunge=30d\t"
		"namespace/inbox/mailbox/Quarantine.Virus/autoexpunge=30d\t"
		"namespace/inbox/mailbox/Trash/autoexpunge=30d\t"
		"namespace/inbox/mailbox/Sent/autoexpunge=30d");
	ck_assert(!fields.continuity_withheld);
	ck_assert_uint_eq(mr_userdb_fields_list(&fields, list), 4);
	ck_assert_str_eq(list[2].name, "acl_groups");
	mr_userdb_fields_free(&fields);

	/* 0 days and NULL days: read-only, nothing expunged */
	account.storage_days = 0;
	build_ok(&account, &fields);
	ck_assert_str_eq(fields.acl_groups, "continuity");
	ck_assert_ptr_null(fields.userdb_import);
	mr_userdb_fields_free(&fields);
	account.has_storage_days = false;
	build_ok(&account, &fields);
	ck_assert_ptr_null(fields.userdb_import);
	mr_userdb_fields_free(&fields);

	/* hosted wins: no autoexpunge, no read-only group */
	account.hosted = true;
	account.has_storage_days = true;
	account.storage_days = 30;
	build_ok(&account, &fields);
	ck_assert_ptr_null(fields.acl_groups);
	ck_assert_ptr_null(fields.userdb_import);
	ck_assert(fields.continuity_withheld);
	mr_userdb_fields_free(&fields);
}
END_TEST

/* Dovecot refuses an autoexpunge interval over UINT_MAX seconds, after
   the login succeeded: such a row is malformed, named by account. A
   hosted account ignores its days and stays usable. */
START_TEST(storage_days_dovecot_cannot_take)
{
	struct mr_account account = account_new("john", "example.com");
	struct mr_userdb_fields fields;
	struct mr_error error;

	account.account_id = 4711;
	account.hosted = false;
	account.continuity = true;
	account.has_storage_days = true;
	account.storage_days = 49710;
	build_ok(&account, &fields);
	ck_assert_ptr_nonnull(fields.userdb_import);
	ck_assert_ptr_nonnull(strstr(fields.userdb_import, "autoexpunge=49710d"));
	mr_userdb_fields_free(&fields);

	account.storage_days = 49711;
	ck_assert_int_eq(mr_userdb_fields_build(unit_config, &account, &fields,
						&error), -1);
	ck_assert_ptr_nonnull(strstr(error.message, "account 4711"));
	ck_assert_ptr_nonnull(strstr(error.message, "continuity_storage_days"));

	account.hosted = true;
	build_ok(&account, &fields);
	ck_assert_ptr_null(fields.userdb_import);
	mr_userdb_fields_free(&fields);
}
END_TEST

Suite *userdb_fields_suite(void)
{
	Suite *suite = suite_create("userdb-fields");
	TCase *tc = tcase_create("build");

	tcase_add_checked_fixture(tc, unit_config_setup, unit_config_teardown);
	tcase_add_test(tc, legacy_paths);
	tcase_add_test(tc, characters_not_bytes);
	tcase_add_test(tc, unsafe_names_refused);
	tcase_add_test(tc, quota_rule);
	tcase_add_test(tc, continuity);
	tcase_add_test(tc, storage_days_dovecot_cannot_take);
	suite_add_tcase(suite, tc);
	return suite;
}
