/* libFuzzer target for the Django hash parser and verifier: input is
   "<password>\0<stored hash>". Costs are capped low so that every input
   is cheap; anything a hostile row can hold must give a result, never a
   crash, a leak or undefined behaviour (built with ASan and UBSan). */

#include "mr-config.h"
#include "mr-password.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct mr_hash_limits fuzz_limits = {
	.pbkdf2_max_iterations = 64,
	.argon2_max_memory_kib = 64,
	.argon2_max_time = 3,
	.argon2_max_lanes = 2,
	.scrypt_max_work = 1024,
	.scrypt_max_memory_kib = 256,
	.bcrypt_max_cost = 4,
	.dummy_pbkdf2_iterations = 1,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int initialised;
	const uint8_t *nul = memchr(data, '\0', size);
	char *password, *stored;
	const char *reason;
	size_t password_len;

	if (!initialised) {
		if (mr_password_init() < 0)
			abort();
		initialised = 1;
	}
	if (nul == NULL)
		return 0;
	password_len = (size_t)(nul - data);
	password = strndup((const char *)data, password_len);
	stored = strndup((const char *)nul + 1, size - password_len - 1);
	if (password == NULL || stored == NULL)
		abort();
	(void)mr_password_verify(&fuzz_limits, password, stored, &reason);
	(void)mr_password_format(stored);
	(void)mr_password_may_match(stored);
	free(password);
	free(stored);
	return 0;
}
