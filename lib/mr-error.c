#include "mr-error.h"

#include <stdarg.h>
#include <stdio.h>

void mr_error_set(struct mr_error *error, const char *fmt, ...)
{
	va_list args;

	if (error == NULL)
		return;
	va_start(args, fmt);
	vsnprintf(error->message, sizeof(error->message), fmt, args);
	va_end(args);
}
