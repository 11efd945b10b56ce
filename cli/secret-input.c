#include "secret-input.h"

#include <stdio.h>
#include <string.h>

int secret_input_line(char *buf, size_t size)
{
	size_t len;

	if (fgets(buf, (int)size, stdin) == NULL) {
		buf[0] = '\0';
		return feof(stdin) ? 0 : -1;
	}
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	else if (!feof(stdin))
		return -1;
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	return 0;
}
