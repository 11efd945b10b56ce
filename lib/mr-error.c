#include "mr-error.h"
#include "mr-text.h"

#include <stdarg.h>
#include <stdio.h>

/* Messages often quote a name a client sent: escaped here, once, they are
   safe for every log they reach. */
void mr_error_set(struct mr_error *error, const char *fmt, ...)
{
	char raw[sizeof(error->message)];
	va_list args;

	if (error == NULL)
		return;
	va_start(args, fmt);
	vsnprintf(raw, sizeof(raw), fmt, args);
	va_end(args);
	mr_text_escape_log(raw, error->message, sizeof(error->message));
}
