#ifndef OUTPUT_H
#define OUTPUT_H

#include <stddef.h>
#include <stdio.h>

/* The one escaping rule per output format for text from the database:
   every string a command prints from a row goes through one of these, so
   no value (a list's description with a line feed, a name with a TAB) can
   forge a line or a field of its own. Values reach them whole: a NUL
   inside one is a data error (mr_db_query_rows()). */

/* Text lines of TAB-separated fields (lookup, list, quota, hash-census):
   the value with control characters (C0, DEL, C1) as \xNN and '\' as
   "\\". Returns one of a small ring of buffers: valid until
   OUTPUT_TEXT_RING more calls, enough for one printf() of a line. */
#define OUTPUT_TEXT_RING 8
const char *output_text(const char *value);

/* JSON (stalwart-lists, stalwart-mailing-lists): length bytes of value as
   a JSON string, '"', '\' and control characters escaped (\u00XX); UTF-8
   passes through. */
void output_json_bytes(FILE *out, const char *value, size_t length);
void output_json_string(FILE *out, const char *value);

#endif
