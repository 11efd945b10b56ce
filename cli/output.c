/* How the CLI prints text from the database, one rule per format. */

#include "output.h"
#include "mr-db.h"
#include "mr-text.h"

#include <string.h>

const char *output_text(const char *value)
{
	/* every byte of a value may become \xNN */
	static char ring[OUTPUT_TEXT_RING][4 * MR_DB_VALUE_SIZE + 1];
	static unsigned int next;
	char *out = ring[next++ % OUTPUT_TEXT_RING];

	mr_text_escape_log(value, out, sizeof(ring[0]));
	return out;
}

void output_json_bytes(FILE *out, const char *value, size_t length)
{
	const unsigned char *p = (const unsigned char *)value;

	fputc('"', out);
	for (const unsigned char *end = p + length; p < end; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

void output_json_string(FILE *out, const char *value)
{
	output_json_bytes(out, value, strlen(value));
}
