#include "mr-hash-private.h"

#include <sodium.h>

#include <string.h>

bool mr_hash_split(const char *stored, struct mr_hash_field *fields,
		   unsigned int count)
{
	const char *p = stored;

	for (unsigned int i = 0; i + 1 < count; i++) {
		const char *dollar = strchr(p, '$');

		if (dollar == NULL)
			return false;
		fields[i].data = p;
		fields[i].len = (size_t)(dollar - p);
		p = dollar + 1;
	}
	fields[count - 1].data = p;
	fields[count - 1].len = strlen(p);
	return true;
}

bool mr_hash_base64_equal(const unsigned char *digest, size_t digest_len,
			  const struct mr_hash_field *expected)
{
	char encoded[sodium_base64_ENCODED_LEN(64,
				sodium_base64_VARIANT_ORIGINAL)];
	size_t encoded_len;
	bool equal;

	if (digest_len > 64)
		return false;
	sodium_bin2base64(encoded, sizeof(encoded), digest, digest_len,
			  sodium_base64_VARIANT_ORIGINAL);
	encoded_len = strlen(encoded);
	/* lengths are public (they follow from the format) */
	equal = encoded_len == expected->len &&
		sodium_memcmp(encoded, expected->data, encoded_len) == 0;
	sodium_memzero(encoded, sizeof(encoded));
	return equal;
}
