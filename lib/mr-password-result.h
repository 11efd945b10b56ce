#ifndef MR_PASSWORD_RESULT_H
#define MR_PASSWORD_RESULT_H

/* What verifying a password against a stored hash says: the result of
   the dispatcher (mr-password.h) and of each family's verifier
   (mr-hash-private.h). */

enum mr_password_result {
	MR_PASSWORD_MATCH,
	MR_PASSWORD_MISMATCH,
	/* never matches by design: unusable ("!..."), empty, unknown format,
	   or a format this build cannot verify */
	MR_PASSWORD_UNUSABLE,
	/* a known format that does not parse: truncated or extra fields, bad
	   number, bad encoding */
	MR_PASSWORD_MALFORMED,
	/* parameters above the configured caps: not computed */
	MR_PASSWORD_TOO_COSTLY,
	/* a library failure, e.g. out of memory */
	MR_PASSWORD_ERROR,
};

#endif
