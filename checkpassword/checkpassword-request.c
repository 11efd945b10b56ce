#include "checkpassword-request.h"

#include <string.h>

int checkpassword_request_parse(const char *data, size_t size,
				const char **user_r, const char **password_r,
				const char **reason_r)
{
	const char *nul = memchr(data, '\0', size);

	if (size > CHECKPASSWORD_REQUEST_MAX_SIZE) {
		*reason_r = "request longer than Dovecot ever sends";
		return -1;
	}
	/* both the user and the password must be terminated */
	if (nul == NULL ||
	    memchr(nul + 1, '\0', size - (size_t)(nul + 1 - data)) == NULL) {
		*reason_r = "malformed request";
		return -1;
	}
	*user_r = data;
	*password_r = nul + 1;
	return 0;
}
