#include "mr-address.h"
#include "mr-text.h"

#include <string.h>

static bool address_part_valid(const char *part, size_t len,
			       const char **reason_r)
{
	char copy[MR_NAME_SIZE];
	size_t chars;

	if (len == 0) {
		*reason_r = "empty localpart or domain";
		return false;
	}
	if (len >= sizeof(copy)) {
		*reason_r = "name too long";
		return false;
	}
	memcpy(copy, part, len);
	copy[len] = '\0';
	if (!mr_text_is_printable(copy) || strchr(copy, ' ') != NULL) {
		*reason_r = "control character or space in name";
		return false;
	}
	if (!mr_utf8_valid(copy, &chars)) {
		*reason_r = "name is not UTF-8 the schema can store";
		return false;
	}
	if (chars > MR_ADDRESS_MAX_CHARS) {
		*reason_r = "name too long";
		return false;
	}
	return true;
}

bool mr_address_parse(const char *name, struct mr_address *address_r,
		      const char **reason_r)
{
	const char *at = strrchr(name, '@');
	size_t localpart_len, domain_len;

	if (at == NULL) {
		*reason_r = "no '@' in name";
		return false;
	}
	localpart_len = (size_t)(at - name);
	domain_len = strlen(at + 1);
	if (!address_part_valid(name, localpart_len, reason_r) ||
	    !address_part_valid(at + 1, domain_len, reason_r))
		return false;
	memcpy(address_r->localpart, name, localpart_len);
	address_r->localpart[localpart_len] = '\0';
	memcpy(address_r->domain, at + 1, domain_len + 1);
	return true;
}

static bool candidate_seen(const struct mr_candidate *candidates,
			   unsigned int count, size_t length)
{
	for (unsigned int i = 0; i < count; i++) {
		if (candidates[i].length == length)
			return true;
	}
	return false;
}

unsigned int mr_address_candidates(const char *localpart,
				   const char *delimiters,
				   struct mr_candidate candidates[MR_MAX_CANDIDATES])
{
	unsigned int count = 0;

	candidates[count++] = (struct mr_candidate){ strlen(localpart), '\0' };
	for (const char *d = delimiters;
	     *d != '\0' && count < MR_MAX_CANDIDATES; d++) {
		const char *cut = strchr(localpart, *d);
		size_t length;

		if (cut == NULL)
			continue;
		length = (size_t)(cut - localpart);
		if (length == 0 || candidate_seen(candidates, count, length))
			continue;
		candidates[count++] = (struct mr_candidate){ length, *d };
	}
	return count;
}

static unsigned char ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

bool mr_address_name_equal(const char *stored, size_t stored_len,
			   const char *asked, size_t asked_len)
{
	if (stored_len != asked_len)
		return false;
	for (size_t i = 0; i < stored_len; i++) {
		if (ascii_lower((unsigned char)stored[i]) !=
		    ascii_lower((unsigned char)asked[i]))
			return false;
	}
	return true;
}
