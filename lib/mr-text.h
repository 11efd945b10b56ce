#ifndef MR_TEXT_H
#define MR_TEXT_H


#include <stdbool.h>
#include <stddef.h>

/* Small text helpers shared by the parsers. */

/* The number of elements of an array (not a pointer). */
#define MR_N_ELEMENTS(array) (sizeof(array) / sizeof((array)[0]))

/* A new string formatted as printf() does (free() it), or NULL when out
   of memory. */
char *mr_text_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Strips ASCII white space at both ends, in place. */
char *mr_text_trim(char *text);
/* No control characters: C0 (0x00-0x1f), DEL, and C1 (U+0080-U+009F)
   in UTF-8. */
bool mr_text_is_printable(const char *text);
/* Copies text for a log line: control characters and '\\' become
   \xNN and \\, so that a name from a client cannot start a forged log
   line. Truncated to fit out (always NUL-terminated, never inside an
   escape). */
void mr_text_escape_log(const char *text, char *out, size_t out_size);
/* Canonical unsigned decimal: digits only, no sign, no leading zero
   (except "0"), within [min, max]. Python's int() is laxer, but Django
   re-encodes and compares, so "0260000" never matches there either. */
bool mr_parse_ulong(const char *text, unsigned long min, unsigned long max,
		    unsigned long *number_r);
/* Same, for a field that is not NUL-terminated. */
bool mr_parse_ulong_n(const char *text, size_t len, unsigned long min,
		      unsigned long max, unsigned long *number_r);

/* Length in bytes of the UTF-8 character starting at text (1-3), or 0 if
   it is not a well-formed character of at most 3 bytes: the schema's
   utf8 (utf8mb3) collation cannot store 4-byte characters. */
size_t mr_utf8_char_len(const char *text);
/* Well-formed UTF-8 of 1-3 byte characters; *chars_r counts characters. */
bool mr_utf8_valid(const char *text, size_t *chars_r);

#endif
