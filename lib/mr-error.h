#ifndef MR_ERROR_H
#define MR_ERROR_H

/* An error message filled by the function that failed, so callers decide
   where it is logged (Dovecot event, stderr, test assertion). Fixed size:
   no allocation on failure paths. Never put a password or a hash in it. */
struct mr_error {
	char message[512];
};

void mr_error_set(struct mr_error *error, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
