#include "mr-stalwart.h"

#include <string.h>

static const char *const stalwart_formats[] = {
	"pbkdf2_sha256",	/* $pbkdf2-sha256$ PHC string */
	"argon2",		/* the PHC string inside */
	"bcrypt",		/* the crypt string inside */
	"scrypt",		/* $scrypt$ PHC string */
	"unsalted_sha1",	/* {SHA} */
	"unsalted_md5",		/* {MD5} */
	"crypt",		/* {CRYPT} */
};

bool mr_stalwart_can_verify(const char *format)
{
	for (unsigned int i = 0;
	     i < sizeof(stalwart_formats) / sizeof(stalwart_formats[0]); i++) {
		if (strcmp(stalwart_formats[i], format) == 0)
			return true;
	}
	return false;
}
