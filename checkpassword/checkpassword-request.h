#ifndef CHECKPASSWORD_REQUEST_H
#define CHECKPASSWORD_REQUEST_H

#include <stddef.h>

/* Dovecot's CHECKPASSWORD_MAX_REQUEST_LEN */
#define CHECKPASSWORD_REQUEST_MAX_SIZE 512

/* Splits what Dovecot wrote on fd 3, "user\0password\0[timestamp\0]", in
   place: user_r and password_r point into data. -1 (reason set) for
   input without both terminators. */
int checkpassword_request_parse(const char *data, size_t size,
				const char **user_r, const char **password_r,
				const char **reason_r);

#endif
