/* The login decision of SPEC 3 as every front takes it
   (mr_admission_after_verify, the pure part of mr_admission_login): one
   row per password check result and account state, with the MR_LOGIN_*
   outcome, whether the reason names the account, and whether a decoy
   verification was spent where no real one ran. */

#include "unit-tests.h"
#include "mr-admission.h"

#include <string.h>

struct decision_case {
	const char *what;
	enum mr_password_result verified;
	bool is_active, hosted, continuity;
	enum mr_login_result expected;
	/* in the reason; NULL: no reason (MR_LOGIN_OK) */
	const char *reason;
};

static const struct decision_case cases[] = {
	{ "right password, active hosted", MR_PASSWORD_MATCH,
	  true, true, false, MR_LOGIN_OK, NULL },
	{ "right password, active continuity", MR_PASSWORD_MATCH,
	  true, false, true, MR_LOGIN_OK, NULL },
	{ "right password, inactive", MR_PASSWORD_MATCH,
	  false, true, false, MR_LOGIN_DISABLED, "not active" },
	{ "right password, neither hosted nor continuity", MR_PASSWORD_MATCH,
	  true, false, false, MR_LOGIN_DISABLED, "neither hosted nor continuity" },
	{ "wrong password, active hosted", MR_PASSWORD_MISMATCH,
	  true, true, false, MR_LOGIN_FAILED, "password mismatch" },
	{ "wrong password, inactive: a mismatch, never 'disabled'",
	  MR_PASSWORD_MISMATCH, false, false, false, MR_LOGIN_FAILED,
	  "password mismatch" },
	{ "a hash that never matches", MR_PASSWORD_UNUSABLE,
	  true, true, false, MR_LOGIN_FAILED, "never matches" },
	{ "a malformed stored hash", MR_PASSWORD_MALFORMED,
	  true, true, false, MR_LOGIN_BAD_HASH, "hash refused" },
	{ "a stored hash over a cap", MR_PASSWORD_TOO_COSTLY,
	  true, true, false, MR_LOGIN_BAD_HASH, "hash refused" },
	{ "a resource failure while verifying: never a mismatch",
	  MR_PASSWORD_ERROR, true, true, false, MR_LOGIN_TEMPFAIL,
	  "not verified" },
	{ "a resource failure for an inactive account", MR_PASSWORD_ERROR,
	  false, false, false, MR_LOGIN_TEMPFAIL, "not verified" },
};

START_TEST(decides_every_outcome)
{
	const struct decision_case *c = &cases[_i];
	struct mr_account account;
	struct mr_error error = { "" };
	enum mr_login_result result;

	memset(&account, 0, sizeof(account));
	account.account_id = 4242;
	strcpy(account.password, "pbkdf2_sha256$1000$salt$hash");
	account.is_active = c->is_active;
	account.hosted = c->hosted;
	account.continuity = c->continuity;
	result = mr_admission_after_verify(unit_config, &account, "secret",
					   c->verified, "a reason", &error);
	ck_assert_msg(result == c->expected, "%s: %s, expected %s", c->what,
		      mr_login_result_name(result),
		      mr_login_result_name(c->expected));
	if (c->reason == NULL) {
		ck_assert_str_eq(error.message, "");
	} else {
		ck_assert_msg(strstr(error.message, c->reason) != NULL,
			      "%s: %s", c->what, error.message);
		/* an operator can find the account */
		ck_assert_msg(strstr(error.message, "4242") != NULL, "%s: %s",
			      c->what, error.message);
		ck_assert(strstr(error.message, "secret") == NULL);
	}
}
END_TEST

START_TEST(every_outcome_has_a_name)
{
	static const enum mr_login_result all[] = {
		MR_LOGIN_TEMPFAIL, MR_LOGIN_FAILED, MR_LOGIN_BAD_HASH,
		MR_LOGIN_DISABLED, MR_LOGIN_OK,
	};

	for (unsigned int i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		bool decided = false;

		ck_assert_str_ne(mr_login_result_name(all[i]), "?");
		for (unsigned int j = 0; j < sizeof(cases) / sizeof(cases[0]); j++)
			decided = decided || cases[j].expected == all[i];
		ck_assert_msg(decided, "no case decides %s",
			      mr_login_result_name(all[i]));
	}
}
END_TEST

static void cheap_decoy(void)
{
	unit_config_setup();
	/* the decoy's cost is not under test here */
	unit_config->hash.dummy_pbkdf2_iterations = 1000;
}

Suite *admission_suite(void)
{
	Suite *suite = suite_create("admission");
	TCase *tc = tcase_create("login decision");

	tcase_add_checked_fixture(tc, cheap_decoy, unit_config_teardown);
	tcase_add_loop_test(tc, decides_every_outcome, 0,
			    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, every_outcome_has_a_name);
	suite_add_tcase(suite, tc);
	return suite;
}
