#include "mr-text.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *mr_text_printf(const char *fmt, ...)
{
	va_list args;
	char *str;
	int ret;

	va_start(args, fmt);
	ret = vasprintf(&str, fmt, args);
	va_end(args);
	return ret < 0 ? NULL : str;
}

char *mr_text_trim(char *text)
{
	size_t len;

	while (*text == ' ' || *text == '\t' || *text == '\r')
		text++;
	len = strlen(text);
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' ||
			   text[len - 1] == '\r'))
		text[--len] = '\0';
	return text;
}

/* The length in bytes of the control character at p: 1 for C0 and DEL,
   2 for C1 (U+0080-U+009F, whose UTF-8 is C2 80-C2 9F: terminals act on
   some, e.g. CSI), 0 for anything else. */
static size_t control_len(const unsigned char *p)
{
	if (*p < 0x20 || *p == 0x7f)
		return 1;
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	return 0;
}

bool mr_text_is_printable(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0';
	     p++) {
		if (control_len(p) > 0)
			return false;
	}
	return true;
}

void mr_text_escape_log(const char *text, char *out, size_t out_size)
{
	static const char hex[] = "0123456789abcdef";
	size_t len = 0;

	if (out_size == 0)
		return;
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0';
	     p++) {
		char escaped[8];
		size_t n = 0, control = control_len(p);

		if (control > 0) {
			/* each byte of it, so a C1 character's too */
			for (size_t i = 0; i < control; i++, p++) {
				escaped[n++] = '\\';
				escaped[n++] = 'x';
				escaped[n++] = hex[*p >> 4];
				escaped[n++] = hex[*p & 0xf];
			}
			p--;
		} else if (*p == '\\') {
			escaped[n++] = '\\';
			escaped[n++] = '\\';
		} else {
			escaped[n++] = (char)*p;
		}
		if (len + n >= out_size)
			break;
		memcpy(out + len, escaped, n);
		len += n;
	}
	out[len] = '\0';
}

bool mr_parse_ulong_n(const char *text, size_t len, unsigned long min,
		      unsigned long max, unsigned long *number_r)
{
	unsigned long number = 0;

	if (len == 0 || (text[0] == '0' && len > 1))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned int digit;

		if (text[i] < '0' || text[i] > '9')
			return false;
		digit = (unsigned int)(text[i] - '0');
		if (number > (ULONG_MAX - digit) / 10)
			return false;
		number = number * 10 + digit;
	}
	if (number < min || number > max)
		return false;
	*number_r = number;
	return true;
}

bool mr_parse_ulong(const char *text, unsigned long min, unsigned long max,
		    unsigned long *number_r)
{
	return mr_parse_ulong_n(text, strlen(text), min, max, number_r);
}

size_t mr_utf8_char_len(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;

	if (p[0] < 0x80)
		return p[0] == '\0' ? 0 : 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		/* reject overlong forms and UTF-16 surrogates */
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (p[0] == 0xe0 && p[1] < 0xa0)
			return 0;
		if (p[0] == 0xed && p[1] >= 0xa0)
			return 0;
		return 3;
	}
	return 0;
}

bool mr_utf8_valid(const char *text, size_t *chars_r)
{
	size_t chars = 0;

	while (*text != '\0') {
		size_t len = mr_utf8_char_len(text);

		if (len == 0)
			return false;
		text += len;
		chars++;
	}
	if (chars_r != NULL)
		*chars_r = chars;
	return true;
}
