/* libFuzzer target for what Dovecot writes on mailroute-checkpassword's
   fd 3, then the login name's way into the address splitter. */

#include "checkpassword-request.h"
#include "mr-address.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *user, *password, *reason;
	struct mr_address address;
	/* as the binary's buffer: one byte over the limit */
	char buf[CHECKPASSWORD_REQUEST_MAX_SIZE + 1];

	if (size > sizeof(buf))
		size = sizeof(buf);
	memcpy(buf, data, size);
	if (checkpassword_request_parse(buf, size, &user, &password,
					&reason) == 0) {
		if (user < buf || password <= user || password >= buf + size ||
		    memchr(password, '\0', size - (size_t)(password - buf)) == NULL)
			abort();
		(void)mr_address_parse(user, &address, &reason);
	}
	return 0;
}
