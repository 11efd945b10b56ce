#include "unit-tests.h"
#include "mr-address.h"
#include "mr-text.h"

#include <string.h>

START_TEST(split_at_last_at)
{
	struct mr_address address;
	const char *reason;

	ck_assert(mr_address_parse("john@example.com", &address, &reason));
	ck_assert_str_eq(address.localpart, "john");
	ck_assert_str_eq(address.domain, "example.com");
	ck_assert(mr_address_parse("\"a@b\"@example.com", &address, &reason));
	ck_assert_str_eq(address.localpart, "\"a@b\"");
	ck_assert_str_eq(address.domain, "example.com");
}
END_TEST

START_TEST(refuses_bad_names)
{
	static const char *const bad[] = {
		"john", "@example.com", "john@", "jo hn@example.com",
		"jo\thn@example.com", "jo\x7fhn@example.com",
		/* 4-byte UTF-8 cannot be stored by the utf8 schema */
		"j\xf0\x9f\x98\x80@example.com",
		/* malformed UTF-8: lone continuation, overlong, surrogate */
		"j\x80@example.com", "j\xc0\xaf@example.com",
		"j\xed\xa0\x80@example.com",
	};
	struct mr_address address;
	const char *reason;

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reason = NULL;
		ck_assert_msg(!mr_address_parse(bad[i], &address, &reason),
			      "accepted bad name #%u", i);
		ck_assert_ptr_nonnull(reason);
	}
}
END_TEST

START_TEST(accepts_non_ascii_and_length_limit)
{
	struct mr_address address;
	const char *reason;
	char name[600];

	ck_assert(mr_address_parse("j\xc3\xbcrgen@b\xc3\xbc" "cher.example",
				   &address, &reason));
	ck_assert_str_eq(address.localpart, "j\xc3\xbcrgen");
	/* 255 characters is the limit */
	memset(name, 'a', 255);
	strcpy(name + 255, "@example.com");
	ck_assert(mr_address_parse(name, &address, &reason));
	memset(name, 'a', 256);
	strcpy(name + 256, "@example.com");
	ck_assert(!mr_address_parse(name, &address, &reason));
}
END_TEST

START_TEST(candidates_in_order)
{
	struct mr_candidate c[MR_MAX_CANDIDATES];
	unsigned int n;

	n = mr_address_candidates("john-smith+tag", "+-", c);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(c[0].length, strlen("john-smith+tag"));
	ck_assert_int_eq(c[0].delimiter, '\0');
	ck_assert_uint_eq(c[1].length, strlen("john-smith"));
	ck_assert_int_eq(c[1].delimiter, '+');
	ck_assert_uint_eq(c[2].length, strlen("john"));
	ck_assert_int_eq(c[2].delimiter, '-');

	/* the configured order is the order of trial */
	n = mr_address_candidates("john-smith+tag", "-+", c);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(c[1].length, strlen("john"));
	ck_assert_uint_eq(c[2].length, strlen("john-smith"));
}
END_TEST

START_TEST(candidates_skip_empty_and_missing)
{
	struct mr_candidate c[MR_MAX_CANDIDATES];

	ck_assert_uint_eq(mr_address_candidates("john", "+-", c), 1);
	/* cut before a leading delimiter would be empty */
	ck_assert_uint_eq(mr_address_candidates("+john", "+-", c), 1);
	ck_assert_uint_eq(mr_address_candidates("john", "", c), 1);
	/* first occurrence, not last */
	ck_assert_uint_eq(mr_address_candidates("a+b+c", "+", c), 2);
	ck_assert_uint_eq(c[1].length, 1);
}
END_TEST

static bool name_equal(const char *stored, const char *asked)
{
	return mr_address_name_equal(stored, strlen(stored), asked,
				     strlen(asked));
}

START_TEST(names_fold_ascii_letters_only)
{
	ck_assert(name_equal("john", "JOHN"));
	ck_assert(name_equal("Mary.O-Neil", "mary.o-neil"));
	ck_assert(name_equal("j\xc3\xbcrgen", "J\xc3\xbcRGEN"));
	/* what utf8_general_ci equates and SPEC 3 does not */
	ck_assert(!name_equal("john", "j\xc3\xb6hn"));	/* jöhn */
	ck_assert(!name_equal("j\xc3\xbcrgen", "J\xc3\x9cRGEN"));	/* JÜRGEN */
	ck_assert(!name_equal("jos", "jo\xc3\x9f"));	/* joß */
	ck_assert(!name_equal("irene", "\xc4\xb0rene"));	/* İrene */
	ck_assert(!name_equal("kelvin", "\xe2\x84\xaa" "elvin"));	/* Kelvin sign */
	ck_assert(!name_equal("john", "john "));
	ck_assert(!name_equal("john", "joh"));
	/* '@' + 0x20 is '`': only A-Z fold */
	ck_assert(!name_equal("`", "@"));
	ck_assert(!name_equal("[", "{"));
}
END_TEST

/* C0, DEL and C1 controls are not printable, and a log line shows each of
   their bytes escaped; other non-ASCII text passes as it is. */
START_TEST(control_characters_c0_del_c1)
{
	char out[64];

	ck_assert(mr_text_is_printable("j\xc3\xb6hn \xc2\xa0\xc2\xa9"));
	ck_assert(!mr_text_is_printable("tab\there"));
	ck_assert(!mr_text_is_printable("del\x7f"));
	ck_assert(!mr_text_is_printable("nel\xc2\x85"));
	ck_assert(!mr_text_is_printable("csi\xc2\x9b[2J"));
	mr_text_escape_log("a\nb\xc2\x9b[2J\xc3\xb6\\", out, sizeof(out));
	ck_assert_str_eq(out, "a\\x0ab\\xc2\\x9b[2J\xc3\xb6\\\\");
	/* truncated between characters, never inside one's escapes */
	mr_text_escape_log("ab\xc2\x85", out, 9);
	ck_assert_str_eq(out, "ab");
}
END_TEST

Suite *address_suite(void)
{
	Suite *suite = suite_create("address");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, split_at_last_at);
	tcase_add_test(tc, refuses_bad_names);
	tcase_add_test(tc, accepts_non_ascii_and_length_limit);
	tcase_add_test(tc, candidates_in_order);
	tcase_add_test(tc, candidates_skip_empty_and_missing);
	tcase_add_test(tc, names_fold_ascii_letters_only);
	tcase_add_test(tc, control_characters_c0_del_c1);
	suite_add_tcase(suite, tc);
	return suite;
}
