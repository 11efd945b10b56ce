#include "unit-tests.h"
#include "mr-text.h"
#include "mailroute-auth-config.h"
#include "mr-config.h"
#include "mr-password.h"
#include "mr-stalwart.h"

#include <sodium.h>
#ifdef HAVE_LIBARGON2
#  include <argon2.h>
#endif

#ifdef HAVE_VALGRIND_VALGRIND_H
#  include <valgrind/valgrind.h>
#else
/* no valgrind headers where the package is built (rpmbuild's %check):
   the tests are not run under valgrind there */
#  define RUNNING_ON_VALGRIND 0
#endif

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static enum mr_password_result verify(const char *password, const char *stored)
{
	const char *reason;
	enum mr_password_result result;

	result = mr_password_verify(&unit_config->hash, password, stored, &reason);
	if (result != MR_PASSWORD_MATCH && result != MR_PASSWORD_MISMATCH)
		ck_assert_ptr_nonnull(reason);
	return result;
}

START_TEST(never_matching)
{
	ck_assert_int_eq(verify("", ""), MR_PASSWORD_UNUSABLE);
	ck_assert_int_eq(verify("x", "!"), MR_PASSWORD_UNUSABLE);
	ck_assert_int_eq(verify("x", "!abcdefXYZ"), MR_PASSWORD_UNUSABLE);
	ck_assert_int_eq(verify("x", "plaintext"), MR_PASSWORD_UNUSABLE);
	ck_assert_int_eq(verify("x", "nosuchhasher$1$a$b"), MR_PASSWORD_UNUSABLE);
	/* the stored hash used as the password never matches */
	ck_assert_int_eq(verify("pbkdf2_sha256$1$salt$AAAA",
				"pbkdf2_sha256$1$salt$AAAA"),
			 MR_PASSWORD_MISMATCH);
}
END_TEST

START_TEST(pbkdf2_parsing)
{
	/* Django re-encodes and compares the string: non-canonical numbers
	   can never match */
	ck_assert_int_eq(verify("x", "pbkdf2_sha256$0260000$salt$AAAA"),
			 MR_PASSWORD_MALFORMED);
	ck_assert_int_eq(verify("x", "pbkdf2_sha256$+26$salt$AAAA"),
			 MR_PASSWORD_MALFORMED);
	ck_assert_int_eq(verify("x", "pbkdf2_sha256$ 26$salt$AAAA"),
			 MR_PASSWORD_MALFORMED);
	ck_assert_int_eq(verify("x", "pbkdf2_sha256$0$salt$AAAA"),
			 MR_PASSWORD_MALFORMED);
	ck_assert_int_eq(verify("x", "pbkdf2_sha256$99999999999999999999999$s$A"),
			 MR_PASSWORD_MALFORMED);
	ck_assert_int_eq(verify("x", "pbkdf2_sha256$1000$salt"),
			 MR_PASSWORD_MALFORMED);
	ck_assert_int_eq(verify("x", "pbkdf2_sha256$"), MR_PASSWORD_MALFORMED);
	ck_assert_int_eq(verify("x", "pbkdf2_sha256$1$salt$AA$AA"),
			 MR_PASSWORD_MALFORMED);
	/* well-formed but wrong: bad base64 just does not match */
	ck_assert_int_eq(verify("x", "pbkdf2_sha256$1$salt$***"),
			 MR_PASSWORD_MISMATCH);
	ck_assert_int_eq(verify("x", "pbkdf2_sha1$1$salt$"),
			 MR_PASSWORD_MISMATCH);
}
END_TEST

START_TEST(pbkdf2_cap_checked_before_work)
{
	char stored[128];

	unit_config->hash.pbkdf2_max_iterations = 1000;
	snprintf(stored, sizeof(stored), "pbkdf2_sha256$%d$salt$AAAA", 1001);
	ck_assert_int_eq(verify("x", stored), MR_PASSWORD_TOO_COSTLY);
	/* a billion iterations would take minutes if computed */
	ck_assert_int_eq(verify("x", "pbkdf2_sha256$1000000000$salt$AAAA"),
			 MR_PASSWORD_TOO_COSTLY);
}
END_TEST

/* An argon2id string made by libsodium, an implementation independent of
   the one that verifies Django's argon2-cffi output in the suite. */
START_TEST(argon2id_from_libsodium)
{
	char phc[crypto_pwhash_STRBYTES], stored[crypto_pwhash_STRBYTES + 8];

	ck_assert_int_eq(crypto_pwhash_str_alg(phc, "correct horse", 13, 2,
					       65536, crypto_pwhash_ALG_ARGON2ID13), 0);
	snprintf(stored, sizeof(stored), "argon2%s", phc);
	ck_assert_int_eq(verify("correct horse", stored), MR_PASSWORD_MATCH);
	ck_assert_int_eq(verify("correct horsf", stored), MR_PASSWORD_MISMATCH);
	ck_assert_int_eq(verify("", stored), MR_PASSWORD_MISMATCH);
}
END_TEST

START_TEST(argon2_parsing_and_caps)
{
	ck_assert_int_eq(verify("x", "argon2$argon2x$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$AAAA"),
			 MR_PASSWORD_MALFORMED);
	ck_assert_int_eq(verify("x", "argon2$argon2id$v=19$m=8,t=1$c2FsdHNhbHQ$AAAA"),
			 MR_PASSWORD_MALFORMED);
	ck_assert_int_eq(verify("x", "argon2$argon2id$v=19$m=08,t=1,p=1$c2FsdHNhbHQ$AAAA"),
			 MR_PASSWORD_MALFORMED);
	ck_assert_int_eq(verify("x", "argon2$argon2id$v=18$m=8,t=1,p=1$c2FsdHNhbHQ$AAAA"),
			 MR_PASSWORD_MALFORMED);
	ck_assert_int_eq(verify("x", "argon2$argon2id$v=19$t=1,m=8,p=1$c2FsdHNhbHQ$AAAA"),
			 MR_PASSWORD_MALFORMED);
	ck_assert_int_eq(verify("x", "argon2$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ"),
			 MR_PASSWORD_MALFORMED);
	ck_assert_int_eq(verify("x", "argon2$argon2id$v=19$m=8,t=1,p=1,x=2$c2FsdHNhbHQ$AAAA"),
			 MR_PASSWORD_MALFORMED);
	ck_assert_int_eq(verify("x", "argon2$argon2id$v=19$m=4194304000,t=1,p=1$c2FsdHNhbHQ$AAAA"),
			 MR_PASSWORD_TOO_COSTLY);
	ck_assert_int_eq(verify("x", "argon2$argon2id$v=19$m=65536,t=1000,p=1$c2FsdHNhbHQ$AAAA"),
			 MR_PASSWORD_TOO_COSTLY);
	ck_assert_int_eq(verify("x", "argon2$argon2id$v=19$m=65536,t=2,p=64$c2FsdHNhbHQ$AAAA"),
			 MR_PASSWORD_TOO_COSTLY);
}
END_TEST

#ifdef HAVE_LIBARGON2
/* argon2i at t=2 (Django <= 3.1's default, below libsodium's minimum) and
   a version-less v=16 string, both made by libargon2. */
START_TEST(argon2_via_libargon2)
{
	static const argon2_type types[] = { Argon2_i, Argon2_d, Argon2_id };
	const char salt[] = "sixteen byte salt";
	char phc[256], stored[300];

	for (unsigned int i = 0; i < 3; i++) {
		ck_assert_int_eq(argon2_hash(2, 512, 2, "pw", 2, salt, 16, NULL, 16,
					     phc, sizeof(phc), types[i],
					     ARGON2_VERSION_13), ARGON2_OK);
		snprintf(stored, sizeof(stored), "argon2%s", phc);
		ck_assert_int_eq(verify("pw", stored), MR_PASSWORD_MATCH);
		ck_assert_int_eq(verify("pW", stored), MR_PASSWORD_MISMATCH);
	}
	ck_assert_int_eq(argon2_hash(2, 512, 2, "pw", 2, salt, 16, NULL, 16,
				     phc, sizeof(phc), Argon2_i,
				     ARGON2_VERSION_10), ARGON2_OK);
	ck_assert_ptr_nonnull(strstr(phc, "$v=16$"));
	snprintf(stored, sizeof(stored), "argon2%s", phc);
	ck_assert_int_eq(verify("pw", stored), MR_PASSWORD_MATCH);
	/* the same without the v= field: version 16 implied */
	memmove(strstr(stored, "v=16$"), strstr(stored, "v=16$") + 5,
		strlen(strstr(stored, "v=16$") + 5) + 1);
	ck_assert_int_eq(verify("pw", stored), MR_PASSWORD_MATCH);
	ck_assert_int_eq(verify("pv", stored), MR_PASSWORD_MISMATCH);
}
END_TEST
#endif

START_TEST(format_names)
{
	ck_assert_str_eq(mr_password_format("pbkdf2_sha256$1$a$b"), "pbkdf2_sha256");
	ck_assert_str_eq(mr_password_format("argon2$argon2id$x"), "argon2");
	ck_assert_str_eq(mr_password_format("!x"), "unusable");
	ck_assert_str_eq(mr_password_format(""), "empty");
	ck_assert_str_eq(mr_password_format("zzz"), "unknown");
	ck_assert_str_eq(mr_password_format("md5$salt$0123"), "md5");
	ck_assert_str_eq(mr_password_format("md5$$0123"), "unsalted_md5");
	ck_assert_str_eq(mr_password_format("0123456789abcdef0123456789abcdef"),
			 "unsalted_md5");
	ck_assert_str_eq(mr_password_format("sha1$salt$0123"), "sha1");
	ck_assert_str_eq(mr_password_format("sha1$$0123"), "unsalted_sha1");
}
END_TEST

/* SPEC 8: what converts to a secret Stalwart verifies, by format name */
START_TEST(stalwart_formats)
{
	static const char *const yes[] = {
		"pbkdf2_sha256", "argon2", "bcrypt", "scrypt",
		"unsalted_sha1", "unsalted_md5", "crypt",
	};
	static const char *const no[] = {
		"bcrypt_sha256", "pbkdf2_sha1", "sha1", "md5",
		"unusable", "empty", "unknown", "",
	};

	for (unsigned int i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ck_assert_msg(mr_stalwart_can_verify(yes[i]), "%s", yes[i]);
	for (unsigned int i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert_msg(!mr_stalwart_can_verify(no[i]), "%s", no[i]);
}
END_TEST

/* Every other family: truncated, non-canonical or over-cap strings give
   a result with a reason, never a crash; a string that only fails
   Django's final string comparison is a plain mismatch, as in Django. */
static const struct {
	const char *stored;
	enum mr_password_result result;
} other_family_cases[] = {
	{ "scrypt$16$salt$1$1", MR_PASSWORD_MALFORMED },
	{ "scrypt$016$salt$1$1$aGVsbG8=", MR_PASSWORD_MALFORMED },
	{ "scrypt$15$salt$1$1$aGVsbG8=", MR_PASSWORD_MALFORMED },
	{ "scrypt$1048576$salt$8$1$aGVsbG8=", MR_PASSWORD_TOO_COSTLY },
	{ "scrypt$16$salt$1$1$!!!", MR_PASSWORD_MISMATCH },
	{ "bcrypt$$2b$04$short", MR_PASSWORD_MALFORMED },
	{ "bcrypt$$2b$31$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234",
	  MR_PASSWORD_TOO_COSTLY },
	{ "bcrypt_sha256$$2x$04$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234",
	  MR_PASSWORD_MALFORMED },
	/* Django writes hexdigest(); other text never matches */
	{ "md5$salt$abc", MR_PASSWORD_MALFORMED },
	{ "md5$salt$zz112233445566778899aabbccddeeff", MR_PASSWORD_MALFORMED },
	{ "md5$salt$00112233445566778899AABBCCDDEEFF", MR_PASSWORD_MALFORMED },
	{ "md5$salt$00112233445566778899aabbccddeeff", MR_PASSWORD_MISMATCH },
	{ "sha1$$0123", MR_PASSWORD_MALFORMED },
	{ "sha1$$0123456789abcdef0123456789abcdef01234567", MR_PASSWORD_MISMATCH },
	{ "bcrypt$$2b$04$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz0123!",
	  MR_PASSWORD_MALFORMED },
	{ "pbkdf2_sha256$1000$salt$AAAA", MR_PASSWORD_MISMATCH },
	{ "argon2$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$AAAA", MR_PASSWORD_MISMATCH },
	/* Django writes DES crypt only: anything else handed to
	   crypt_rn() would be a cost no cap bounds (this bcrypt took
	   25 s, this SHA-512 crypt 14 s) */
	{ "crypt$$ab0123456789.", MR_PASSWORD_MISMATCH },
	{ "crypt$$abc", MR_PASSWORD_MALFORMED },
	{ "crypt$$", MR_PASSWORD_MALFORMED },
	{ "crypt$$$2b$18$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234",
	  MR_PASSWORD_MALFORMED },
	{ "crypt$$$6$rounds=50000000$salt$abcdefghijklmnopqrstuv",
	  MR_PASSWORD_MALFORMED },
	{ "crypt$$ab01234567-9.", MR_PASSWORD_MALFORMED },
	/* N*r*p within the work cap, 512 MiB of memory */
	{ "scrypt$2097152$salt$2$1$aGVsbG8=", MR_PASSWORD_TOO_COSTLY },
};

START_TEST(other_families_malformed)
{
	for (unsigned int i = 0; i < MR_N_ELEMENTS(other_family_cases); i++) {
		ck_assert_msg(verify("x", other_family_cases[i].stored) ==
			      other_family_cases[i].result,
			      "%s", other_family_cases[i].stored);
	}
}
END_TEST

/* hash-census's check says what a verification would, computing nothing:
   MISMATCH for every string a verification would compute */
START_TEST(check_stored_agrees_with_verify)
{
	const char *reason;

	for (unsigned int i = 0; i < MR_N_ELEMENTS(other_family_cases); i++) {
		enum mr_password_result expected = other_family_cases[i].result;

		if (expected == MR_PASSWORD_MATCH)
			expected = MR_PASSWORD_MISMATCH;
		ck_assert_msg(mr_password_check_stored(&unit_config->hash,
				other_family_cases[i].stored, &reason) == expected,
			      "%s", other_family_cases[i].stored);
	}
	ck_assert_int_eq(mr_password_check_stored(&unit_config->hash,
						  "!unusable", &reason),
			 MR_PASSWORD_UNUSABLE);
	ck_assert_int_eq(mr_password_check_stored(&unit_config->hash,
		"pbkdf2_sha256$999999999999$salt$AAAA", &reason),
			 MR_PASSWORD_TOO_COSTLY);
}
END_TEST

/* The process's address space now, in bytes (/proc/self/statm). */
static unsigned long long address_space_now(void)
{
	unsigned long long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%llu", &pages), 1);
	fclose(f);
	return pages * (unsigned long long)sysconf(_SC_PAGESIZE);
}

/* An argon2 verification that cannot allocate its memory cost (Dovecot
   applies vsz_limit as RLIMIT_AS) is a resource failure, never a wrong
   password: libsodium reports both as -1/EINVAL. */
START_TEST(argon2_without_memory_is_an_error)
{
	char stored[crypto_pwhash_STRBYTES + 8] = "argon2";
	int status;
	pid_t pid;

	if (RUNNING_ON_VALGRIND)
		return; /* valgrind needs the address space itself */
	ck_assert_int_eq(crypto_pwhash_str_alg(stored + strlen("argon2"), "pw", 2,
					       1, 64ULL << 20,
					       crypto_pwhash_ALG_ARGON2ID13), 0);
	ck_assert_int_eq(verify("pw", stored), MR_PASSWORD_MATCH);
	ck_assert_int_eq(verify("wrong", stored), MR_PASSWORD_MISMATCH);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		unsigned long long limit = address_space_now() + (16ULL << 20);
		struct rlimit rl = { limit, limit };
		const char *reason;

		if (setrlimit(RLIMIT_AS, &rl) != 0)
			_exit(3);
		if (mr_password_verify(&unit_config->hash, "pw", stored,
				       &reason) != MR_PASSWORD_ERROR)
			_exit(1);
		if (mr_password_verify(&unit_config->hash, "wrong", stored,
				       &reason) != MR_PASSWORD_ERROR)
			_exit(2);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child status %d", status);
}
END_TEST

Suite *password_suite(void)
{
	Suite *suite = suite_create("password");
	TCase *tc = tcase_create("verify");

	tcase_add_checked_fixture(tc, unit_config_setup, unit_config_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, never_matching);
	tcase_add_test(tc, pbkdf2_parsing);
	tcase_add_test(tc, pbkdf2_cap_checked_before_work);
	tcase_add_test(tc, argon2id_from_libsodium);
	tcase_add_test(tc, argon2_parsing_and_caps);
	tcase_add_test(tc, argon2_without_memory_is_an_error);
#ifdef HAVE_LIBARGON2
	tcase_add_test(tc, argon2_via_libargon2);
#endif
	tcase_add_test(tc, format_names);
	tcase_add_test(tc, stalwart_formats);
	tcase_add_test(tc, other_families_malformed);
	tcase_add_test(tc, check_stored_agrees_with_verify);
	suite_add_tcase(suite, tc);
	return suite;
}
