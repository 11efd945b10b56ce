/* SPEC 3's ranking without MariaDB: mr_resolve_from() over a table of
   rows in the order a server might return them. Each case names the rows,
   the name looked up, and the answer: which account, by which rule, or
   which failure. */

#include "unit-tests.h"
#include "mr-resolve.h"

#include <stdio.h>
#include <string.h>

struct fake_row {
	const char *localpart, *domain;
	uint64_t account_id, domain_id;
	bool grouped;
	/* account() fails, as for a row with NULL where NOT NULL */
	bool malformed;
};

#define MAX_ROWS 6
#define END_ROW { NULL, NULL, 0, 0, false, false }

struct fake_source {
	const struct fake_row *rows;
	bool find_fails, groups_fail;
	unsigned int find_calls, decoded, groups_calls;
};

static int fake_row_account(const struct mr_login_row *login,
			    struct mr_account *account_r, bool *grouped_r,
			    struct mr_error *error)
{
	const struct fake_row *row = login->context;

	if (row->malformed) {
		mr_error_set(error, "malformed row for account %llu",
			     (unsigned long long)row->account_id);
		return -1;
	}
	memset(account_r, 0, sizeof(*account_r));
	account_r->account_id = row->account_id;
	account_r->domain_id = row->domain_id;
	snprintf(account_r->localpart, sizeof(account_r->localpart), "%s",
		 row->localpart);
	*grouped_r = row->grouped;
	return 0;
}

static unsigned int decoded_rows;

static int counting_row_account(const struct mr_login_row *login,
				struct mr_account *account_r, bool *grouped_r,
				struct mr_error *error)
{
	decoded_rows++;
	return fake_row_account(login, account_r, grouped_r, error);
}

static int fake_find_rows(void *context, const char *localpart,
			  const struct mr_candidate *candidates,
			  unsigned int count, const char *domain,
			  mr_login_row_callback *callback,
			  void *callback_context, struct mr_error *error)
{
	struct fake_source *source = context;

	(void)localpart; (void)candidates; (void)count; (void)domain;
	source->find_calls++;
	if (source->find_fails) {
		mr_error_set(error, "query failed: server gone");
		return -1;
	}
	for (const struct fake_row *row = source->rows;
	     row != NULL && row->localpart != NULL; row++) {
		struct mr_login_row login = {
			.localpart = row->localpart,
			.localpart_len = strlen(row->localpart),
			.domain = row->domain, .domain_len = strlen(row->domain),
			.account = counting_row_account,
			.context = (void *)row,
		};

		if (callback(callback_context, &login, error) < 0)
			return -1;
	}
	return 0;
}

static int fake_account_groups(void *context, uint64_t account_id,
			       char groups[MR_GROUPS_SIZE],
			       struct mr_error *error)
{
	struct fake_source *source = context;

	source->groups_calls++;
	if (source->groups_fail) {
		mr_error_set(error, "malformed groups for account %llu",
			     (unsigned long long)account_id);
		return -1;
	}
	snprintf(groups, MR_GROUPS_SIZE, "staff@example.com");
	return 0;
}

struct resolve_case {
	const char *what;
	/* "" for a login */
	const char *delimiters, *name;
	struct fake_row rows[MAX_ROWS];
	enum mr_db_result expected;
	/* MR_DB_FOUND: the account and the delimiter of the rule */
	uint64_t account_id;
	char delimiter;
	/* MR_DB_FAILED and MR_DB_NOT_FOUND: in the reason */
	const char *reason;
};

#define EX "example.com"

static const struct resolve_case cases[] = {
	{ "a login matches the exact localpart", "", "john@" EX,
	  { { "john", EX, 1, 10, false, false } }, MR_DB_FOUND, 1, '\0', NULL },
	{ "a login is never cut", "", "john+tag@" EX,
	  { { "john", EX, 1, 10, false, false } }, MR_DB_NOT_FOUND, 0, 0,
	  "no account has this address" },
	{ "a recipient is cut before its first '+'", "+-", "john+tag@" EX,
	  { { "john", EX, 1, 10, false, false } }, MR_DB_FOUND, 1, '+', NULL },
	{ "the exact localpart wins, cut row first", "+-", "john-smith@" EX,
	  { { "john", EX, 1, 10, false, false }, { "john-smith", EX, 2, 10, false, false } },
	  MR_DB_FOUND, 2, '\0', NULL },
	{ "the exact localpart wins, cut row last", "+-", "john-smith@" EX,
	  { { "john-smith", EX, 2, 10, false, false }, { "john", EX, 1, 10, false, false } },
	  MR_DB_FOUND, 2, '\0', NULL },
	{ "'+' is tried before '-'", "+-", "a-b+c@" EX,
	  { { "a", EX, 1, 10, false, false }, { "a-b", EX, 2, 10, false, false } },
	  MR_DB_FOUND, 2, '+', NULL },
	{ "the delimiters' order decides", "-+", "a-b+c@" EX,
	  { { "a", EX, 1, 10, false, false }, { "a-b", EX, 2, 10, false, false } },
	  MR_DB_FOUND, 1, '-', NULL },
	{ "two accounts at the deciding candidate", "+-", "john@" EX,
	  { { "john", EX, 1, 10, false, false }, { "john", EX, 2, 10, false, false } },
	  MR_DB_FAILED, 0, 0, "matches account 1 (domain 10) and account 2" },
	{ "one account under two primary domains", "", "john@" EX,
	  { { "john", EX, 1, 10, false, false }, { "john", EX, 1, 11, false, false } },
	  MR_DB_FAILED, 0, 0, "data error" },
	{ "two accounts at a cut candidate, one exact", "+-", "john-x@" EX,
	  { { "john", EX, 1, 10, false, false }, { "john", EX, 2, 10, false, false },
	    { "john-x", EX, 3, 10, false, false } }, MR_DB_FOUND, 3, '\0', NULL },
	{ "one exact, then two accounts at a cut candidate", "+-",
	  "john-x@" EX,
	  { { "john-x", EX, 3, 10, false, false }, { "john", EX, 1, 10, false, false },
	    { "john", EX, 2, 10, false, false } }, MR_DB_FOUND, 3, '\0', NULL },
	{ "one account by a domain alias and an external domain", "",
	  "john@" EX,
	  { { "john", EX, 1, 10, false, false }, { "JOHN", "Example.COM", 1, 10, false, false } },
	  MR_DB_FOUND, 1, '\0', NULL },
	{ "ASCII letters fold", "", "John@EXAMPLE.com",
	  { { "john", EX, 1, 10, false, false } }, MR_DB_FOUND, 1, '\0', NULL },
	{ "a look-alike localpart is not this address", "", "john@" EX,
	  { { "j\xc3\xb6hn", EX, 1, 10, false, false } }, MR_DB_NOT_FOUND, 0, 0, NULL },
	{ "a look-alike domain is not this address", "", "john@" EX,
	  { { "john", "ex\xc3\xa4mple.com", 1, 10, false, false } }, MR_DB_NOT_FOUND, 0, 0,
	  NULL },
	{ "non-ASCII letters do not fold", "", "J\xc3\x9cRGEN@" EX,
	  { { "j\xc3\xbcrgen", EX, 1, 10, false, false } }, MR_DB_NOT_FOUND, 0, 0, NULL },
	{ "a look-alike beside the account is dropped", "", "john@" EX,
	  { { "j\xc3\xb6hn", EX, 2, 10, false, false }, { "john", EX, 1, 10, false, false } },
	  MR_DB_FOUND, 1, '\0', NULL },
	{ "a malformed row at the deciding candidate", "", "john@" EX,
	  { { "john", EX, 1, 10, false, true } }, MR_DB_FAILED, 0, 0,
	  "malformed row for account 1" },
	{ "a malformed look-alike is never decoded", "", "john@" EX,
	  { { "j\xc3\xb6hn", EX, 2, 10, false, true },
	    { "john", EX, 1, 10, false, false } }, MR_DB_FOUND, 1, '\0', NULL },
	{ "a malformed row behind a better candidate is never decoded", "+-",
	  "john-x@" EX,
	  { { "john-x", EX, 3, 10, false, false }, { "john", EX, 1, 10, false, true } },
	  MR_DB_FOUND, 3, '\0', NULL },
	{ "no row", "+-", "nobody@" EX, { END_ROW }, MR_DB_NOT_FOUND, 0, 0,
	  "no account has this address" },
	{ "a name that is no address", "+-", "no-at-sign", { END_ROW },
	  MR_DB_NOT_FOUND, 0, 0, NULL },
};

START_TEST(ranks_rows_as_spec_3_says)
{
	const struct resolve_case *c = &cases[_i];
	struct fake_source fake = { .rows = c->rows };
	const struct mr_row_source source = {
		fake_find_rows, fake_account_groups, &fake,
	};
	struct mr_match match;
	struct mr_error error = { "" };
	enum mr_db_result result;

	result = mr_resolve_from(&source, c->delimiters, c->name, &match,
				 &error);
	ck_assert_msg(result == c->expected, "%s: %d, expected %d (%s)",
		      c->what, result, c->expected, error.message);
	if (c->expected == MR_DB_FOUND) {
		ck_assert_msg(match.account.account_id == c->account_id,
			      "%s: account %llu", c->what,
			      (unsigned long long)match.account.account_id);
		ck_assert_msg(match.delimiter == c->delimiter, "%s: rule %c",
			      c->what, match.delimiter);
		ck_assert_str_eq(match.account.groups, "");
	} else {
		/* nothing of a refused or failed match is left behind */
		ck_assert(match.account.account_id == 0);
		if (c->reason != NULL)
			ck_assert_msg(strstr(error.message, c->reason) != NULL,
				      "%s: %s", c->what, error.message);
	}
	ck_assert_uint_eq(fake.groups_calls, 0);
}
END_TEST

START_TEST(names_no_query_for_a_bad_name)
{
	struct fake_source fake = { 0 };
	const struct mr_row_source source = {
		fake_find_rows, fake_account_groups, &fake,
	};
	struct mr_match match;
	struct mr_error error;

	ck_assert(mr_resolve_from(&source, "+-", "jo hn@" EX, &match,
				  &error) == MR_DB_NOT_FOUND);
	ck_assert_uint_eq(fake.find_calls, 0);
}
END_TEST

START_TEST(reads_groups_only_for_a_marked_account)
{
	static const struct fake_row marked[] = {
		{ "john", EX, 1, 10, true, false }, END_ROW,
	};
	static const struct fake_row marked_cut[] = {
		{ "john", EX, 1, 10, false, false }, { "john-x", EX, 2, 10, true, false },
		END_ROW,
	};
	struct fake_source fake = { .rows = marked };
	const struct mr_row_source source = {
		fake_find_rows, fake_account_groups, &fake,
	};
	struct mr_match match;
	struct mr_error error;

	ck_assert(mr_resolve_from(&source, "", "john@" EX, &match,
				  &error) == MR_DB_FOUND);
	ck_assert_uint_eq(fake.groups_calls, 1);
	ck_assert_str_eq(match.account.groups, "staff@example.com");
	/* the mark of the account chosen, not of another row's */
	fake = (struct fake_source){ .rows = marked_cut };
	ck_assert(mr_resolve_from(&source, "+-", "john+x@" EX, &match,
				  &error) == MR_DB_FOUND);
	ck_assert_uint_eq(match.account.account_id, 1);
	ck_assert_uint_eq(fake.groups_calls, 0);
	ck_assert(mr_resolve_from(&source, "+-", "john-x@" EX, &match,
				  &error) == MR_DB_FOUND);
	ck_assert_uint_eq(match.account.account_id, 2);
	ck_assert_uint_eq(fake.groups_calls, 1);
	/* groups that cannot be read fail the lookup, never "no groups" */
	fake = (struct fake_source){ .rows = marked, .groups_fail = true };
	ck_assert(mr_resolve_from(&source, "", "john@" EX, &match,
				  &error) == MR_DB_FAILED);
	ck_assert(strstr(error.message, "malformed groups") != NULL);
	ck_assert(match.account.account_id == 0);
}
END_TEST

START_TEST(a_database_failure_is_a_failure)
{
	static const struct fake_row rows[] = { { "john", EX, 1, 10, false, false }, END_ROW };
	struct fake_source fake = { .rows = rows, .find_fails = true };
	const struct mr_row_source source = {
		fake_find_rows, fake_account_groups, &fake,
	};
	struct mr_match match;
	struct mr_error error;

	ck_assert(mr_resolve_from(&source, "", "john@" EX, &match,
				  &error) == MR_DB_FAILED);
	ck_assert(strstr(error.message, "server gone") != NULL);
}
END_TEST

START_TEST(decodes_only_rows_that_could_win)
{
	static const struct fake_row rows[] = {
		{ "john-x", EX, 3, 10, false, false }, { "john", EX, 1, 10, false, false },
		{ "j\xc3\xb6hn-x", EX, 4, 10, false, false }, END_ROW,
	};
	struct fake_source fake = { .rows = rows };
	const struct mr_row_source source = {
		fake_find_rows, fake_account_groups, &fake,
	};
	struct mr_match match;
	struct mr_error error;

	decoded_rows = 0;
	ck_assert(mr_resolve_from(&source, "+-", "john-x@" EX, &match,
				  &error) == MR_DB_FOUND);
	ck_assert_uint_eq(decoded_rows, 1);
}
END_TEST

Suite *resolve_suite(void)
{
	Suite *suite = suite_create("resolve");
	TCase *tc = tcase_create("ranking");

	tcase_add_loop_test(tc, ranks_rows_as_spec_3_says, 0,
			    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, names_no_query_for_a_bad_name);
	tcase_add_test(tc, reads_groups_only_for_a_marked_account);
	tcase_add_test(tc, a_database_failure_is_a_failure);
	tcase_add_test(tc, decodes_only_rows_that_could_win);
	suite_add_tcase(suite, tc);
	return suite;
}
