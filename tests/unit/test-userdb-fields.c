#include "unit-tests.h"
#include "mr-config.h"
#include "mr-dovecot-fields.h"
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

/* An account's fields, and what Dovecot 2.3 gets of them. */
struct built {
	struct mr_userdb_fields fields;
	struct mr_dovecot_fields dovecot;
};

static void build_ok(const struct mr_account *account, struct built *b)
{
	struct mr_error error = { "" };

	ck_assert_msg(mr_userdb_fields_build(unit_config, account, &b->fields,
					     &error) == 0 &&
		      mr_dovecot_fields_make(unit_config, &b->fields,
					     &b->dovecot, &error) == 0,
		      "build failed: %s", error.message);
}

/* The 2.3 field's value, NULL when absent. */
static const char *field(const struct built *b, const char *name)
{
	for (unsigned int i = 0; i < b->dovecot.count; i++) {
		if (strcmp(b->dovecot.list[i].name, name) == 0)
			return b->dovecot.list[i].value;
	}
	return NULL;
}

static void built_free(struct built *b)
{
	mr_dovecot_fields_free(&b->dovecot);
	mr_userdb_fields_free(&b->fields);
}

START_TEST(legacy_paths)
{
	struct mr_account account = account_new("John.Smith", "Example.COM");
	struct built b;

	build_ok(&account, &b);
	ck_assert_str_eq(b.fields.user, "John.Smith@Example.COM");
	ck_assert_str_eq(field(&b, "home"),
			 "/data/mailstorage/E/x/Example.COM/J/John.Smith");
	ck_assert_str_eq(field(&b, "mail"),
			 "maildir:/data/mailstorage/E/x/Example.COM/J/John.Smith/mail"
			 ":INDEX=/data/mailindices/E/x/Example.COM/J/John.Smith"
			 ":LAYOUT=fs");
	ck_assert_ptr_null(field(&b, "quota_rule"));
	ck_assert_ptr_null(field(&b, "acl_groups"));
	ck_assert_ptr_null(field(&b, "userdb_import"));
	ck_assert_ptr_null(field(&b, "mailroute_tenant"));
	built_free(&b);

	/* the customer, for the mailroute_tenant mail plugin */
	strcpy(account.tenant, "7");
	build_ok(&account, &b);
	ck_assert_str_eq(field(&b, "mailroute_tenant"), "7");
	built_free(&b);
}
END_TEST

START_TEST(characters_not_bytes)
{
	/* ü is two bytes; ł too; the index takes whole characters */
	struct mr_account account = account_new("\xc5\x82ukasz", "\xc3\xbc" "b.example");
	struct built b;

	build_ok(&account, &b);
	ck_assert_str_eq(field(&b, "home"), "/data/mailstorage/\xc3\xbc/b/\xc3\xbc"
			 "b.example/\xc5\x82/\xc5\x82ukasz");
	built_free(&b);
	/* a one-character localpart is its own first character */
	account = account_new("x", "ab");
	build_ok(&account, &b);
	ck_assert_str_eq(field(&b, "home"), "/data/mailstorage/a/b/ab/x/x");
	built_free(&b);
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
	struct built b;

	account.has_quota = true;
	account.quota_mb = 2048;
	build_ok(&account, &b);
	ck_assert_str_eq(field(&b, "quota_rule"), "*:storage=2048M");
	built_free(&b);
	/* 0 is unlimited in Dovecot, passed through */
	account.quota_mb = 0;
	build_ok(&account, &b);
	ck_assert_str_eq(field(&b, "quota_rule"), "*:storage=0M");
	built_free(&b);
}
END_TEST

START_TEST(continuity)
{
	struct mr_account account = account_new("john", "example.com");
	struct built b;

	account.hosted = false;
	account.continuity = true;
	account.has_storage_days = true;
	account.storage_days = 30;
	build_ok(&account, &b);
	ck_assert_str_eq(field(&b, "acl_groups"), "continuity");
	ck_assert_str_eq(field(&b, "userdb_import"),
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
	ck_assert(!b.fields.continuity_withheld);
	/* the continuity ACL reaches every mailbox name: no shared
	   namespace, or it would reach other users' mailboxes */
	ck_assert_str_eq(field(&b, "namespace/shared/disabled"), "yes");
	ck_assert_uint_eq(b.dovecot.count, 5);
	ck_assert_str_eq(b.dovecot.list[2].name, "acl_groups");
	built_free(&b);

	/* 0 days and NULL days: read-only, nothing expunged */
	account.storage_days = 0;
	build_ok(&account, &b);
	ck_assert_str_eq(field(&b, "acl_groups"), "continuity");
	ck_assert_ptr_null(field(&b, "userdb_import"));
	built_free(&b);
	account.has_storage_days = false;
	build_ok(&account, &b);
	ck_assert_ptr_null(field(&b, "userdb_import"));
	built_free(&b);

	/* hosted wins: no autoexpunge, no read-only group */
	account.hosted = true;
	account.has_storage_days = true;
	account.storage_days = 30;
	build_ok(&account, &b);
	ck_assert_ptr_null(field(&b, "acl_groups"));
	ck_assert_ptr_null(field(&b, "userdb_import"));
	ck_assert_ptr_null(field(&b, "namespace/shared/disabled"));
	ck_assert(b.fields.continuity_withheld);
	built_free(&b);
}
END_TEST

/* Shared-folder groups follow the continuity group; a byte Dovecot would
   split or unescape at refuses the account rather than pass on. */
START_TEST(groups)
{
	struct mr_account account = account_new("john", "example.com");
	struct mr_userdb_fields fields;
	struct mr_error error;
	struct built b;
	static const char *const refused[] = {
		"a b@example.com", "a\"b@example.com", "a\\b@example.com",
		"a\tb@example.com", "a\xff@example.com",
		/* each element on its own: a domain named
		   "m2.example,continuity" must not add the continuity group */
		"g@m2.example,continuity", "continuity", "g@m2.example,",
		",g@m2.example", "@example.com", "g@", "g@.example",
		"g@a..example", "g@example.", "Board@example.com", "_b@example.com",
		"-g@example.com", "g@exa_mple.com", "g@exa\xc2\x85mple.com",
		"g@m2.example,h@x.example y",
		"a12345678901234567890123456789012345678901234567890123456789"
		"01234@example.com",
	};

	strcpy(account.groups, "board@example.com,staff@example.com");
	build_ok(&account, &b);
	ck_assert_str_eq(field(&b, "acl_groups"),
			 "board@example.com,staff@example.com");
	built_free(&b);

	account.hosted = false;
	account.continuity = true;
	build_ok(&account, &b);
	ck_assert_str_eq(field(&b, "acl_groups"),
			 "continuity,board@example.com,staff@example.com");
	built_free(&b);

	/* a name of 64, a domain stored in Unicode, digits and '-' */
	strcpy(account.groups, "a1234567890123456789012345678901234567890"
	       "12345678901234567890123@ex\xc3\xa4mple-2.com,b@x.example");
	build_ok(&account, &b);
	ck_assert_ptr_nonnull(field(&b, "acl_groups"));
	built_free(&b);

	account.groups[0] = '\0';
	account.hosted = true;
	account.continuity = false;
	build_ok(&account, &b);
	ck_assert_ptr_null(field(&b, "acl_groups"));
	built_free(&b);

	for (unsigned int i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		strcpy(account.groups, refused[i]);
		ck_assert_msg(mr_userdb_fields_build(unit_config, &account,
						     &fields, &error) == -1,
			      "accepted group list #%u", i);
		ck_assert_ptr_nonnull(strstr(error.message, "account 42"));
		ck_assert_ptr_null(fields.acl_groups);
	}
}
END_TEST

/* The groups' count read with them tells a ',' inside a domain's name
   from the separator. */
START_TEST(groups_count)
{
	static const struct {
		const char *read, *names;
		bool ok;
	} cases[] = {
		{ "1:a@x.example", "a@x.example", true },
		{ "2:a@x.example,b@y.example", "a@x.example,b@y.example", true },
		{ "1:g@m2.example,continuity", NULL, false },
		{ "2:a@x.example,b@y.example,continuity", NULL, false },
		{ "3:a@x.example,b@y.example", NULL, false },
		{ "a@x.example", NULL, false },
		{ ":a@x.example", NULL, false },
		{ "1a@x.example", NULL, false },
		{ "0:", NULL, false },
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char read[MR_GROUPS_SIZE];

		strcpy(read, cases[i].read);
		ck_assert_msg(mr_account_groups_decode(read) == cases[i].ok,
			      "case %u", i);
		if (cases[i].ok)
			ck_assert_str_eq(read, cases[i].names);
	}
}
END_TEST

/* Dovecot 2.4 gets the same values as settings: the maildir, index and
   layout of 2.3's mail field one by one, the quota as a size, the
   continuity fields as in 2.3. */
START_TEST(dovecot24_names)
{
	struct mr_account account = account_new("john", "example.com");
	struct mr_error error = { "" };
	struct mr_userdb_fields fields;
	struct mr_dovecot_fields dovecot;
	static const char *const names[] = {
		"home", "mail_driver", "mail_path", "mail_index_path",
		"mailbox_list_layout", "quota_storage_size", "acl_groups",
		"mailroute_tenant", "userdb_import", "namespace/shared/disabled"
	};
	static const char *const values[] = {
		"/data/mailstorage/e/x/example.com/j/john", "maildir",
		"/data/mailstorage/e/x/example.com/j/john/mail",
		"/data/mailindices/e/x/example.com/j/john", "fs", "2048M",
		"continuity", "7", NULL, "yes"
	};

	strcpy(account.tenant, "7");
	account.hosted = false;
	account.continuity = true;
	account.has_storage_days = true;
	account.storage_days = 7;
	account.has_quota = true;
	account.quota_mb = 2048;
	ck_assert_int_eq(mr_userdb_fields_build(unit_config, &account, &fields,
						&error), 0);
	ck_assert_int_eq(mr_dovecot24_fields_make(unit_config, &fields,
						  &dovecot, &error), 0);
	ck_assert_uint_eq(dovecot.count, sizeof(names) / sizeof(names[0]));
	for (unsigned int i = 0; i < dovecot.count; i++) {
		ck_assert_str_eq(dovecot.list[i].name, names[i]);
		if (values[i] != NULL)
			ck_assert_str_eq(dovecot.list[i].value, values[i]);
	}
	ck_assert_ptr_nonnull(strstr(dovecot.list[8].value,
		"namespace/inbox/mailbox/Quarantine.Spam/autoexpunge=7d\t"));
	mr_dovecot_fields_free(&dovecot);

	/* 0 MB is no limit, which 2.4 spells */
	fields.quota_mb = 0;
	ck_assert_int_eq(mr_dovecot24_fields_make(unit_config, &fields,
						  &dovecot, &error), 0);
	ck_assert_str_eq(dovecot.list[5].value, "unlimited");
	mr_dovecot_fields_free(&dovecot);
	mr_userdb_fields_free(&fields);
}
END_TEST

/* Dovecot refuses an autoexpunge interval over UINT_MAX seconds, after
   the login succeeded: such a row is malformed, named by account. A
   hosted account ignores its days and stays usable. */
START_TEST(storage_days_dovecot_cannot_take)
{
	struct mr_account account = account_new("john", "example.com");
	struct built b;
	struct mr_error error;

	account.account_id = 4711;
	account.hosted = false;
	account.continuity = true;
	account.has_storage_days = true;
	account.storage_days = 49710;
	build_ok(&account, &b);
	ck_assert_ptr_nonnull(field(&b, "userdb_import"));
	ck_assert_ptr_nonnull(strstr(field(&b, "userdb_import"), "autoexpunge=49710d"));
	built_free(&b);

	account.storage_days = 49711;
	ck_assert_int_eq(mr_userdb_fields_build(unit_config, &account, &b.fields,
						&error), -1);
	ck_assert_ptr_nonnull(strstr(error.message, "account 4711"));
	ck_assert_ptr_nonnull(strstr(error.message, "continuity_storage_days"));

	account.hosted = true;
	build_ok(&account, &b);
	ck_assert_ptr_null(field(&b, "userdb_import"));
	built_free(&b);
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
	tcase_add_test(tc, groups);
	tcase_add_test(tc, groups_count);
	tcase_add_test(tc, storage_days_dovecot_cannot_take);
	tcase_add_test(tc, dovecot24_names);
	suite_add_tcase(suite, tc);
	return suite;
}
