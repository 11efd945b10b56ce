#ifndef MR_ADDRESS_H
#define MR_ADDRESS_H

#include "mr-account.h"

#include <stdbool.h>
#include <stddef.h>

/* Splitting a login or recipient name into the localpart and domain the
   login view is searched by, and the detail-stripping candidates of
   SPEC 3. Pure functions: no database. */

#define MR_ADDRESS_MAX_CHARS 255
/* exact + one per delimiter; recipient_delimiter allows at most 7 */
#define MR_MAX_DELIMITERS 7
#define MR_MAX_CANDIDATES (1 + MR_MAX_DELIMITERS)

struct mr_address {
	char localpart[MR_NAME_SIZE];
	char domain[MR_NAME_SIZE];
};

/* A localpart to try: the first `length` bytes of the address's localpart,
   cut before `delimiter` ('\0' for the exact localpart). */
struct mr_candidate {
	size_t length;
	char delimiter;
};

/* Splits at the last '@'. Refuses (with a reason) names without '@', with
   an empty part, longer than 255 characters a part, with control
   characters or spaces, or not well-formed UTF-8 of the characters the
   schema can store: such names cannot belong to an account, and refusing
   them early keeps odd bytes away from the database's conversions. */
bool mr_address_parse(const char *name, struct mr_address *address_r,
		      const char **reason_r);

/* The localparts a recipient is tried as, in order: exact, then cut
   before the first occurrence of each delimiter in turn. Empty and repeated
   candidates are skipped. Returns the count (at least 1). */
unsigned int mr_address_candidates(const char *localpart,
				   const char *delimiters,
				   struct mr_candidate candidates[MR_MAX_CANDIDATES]);

/* Whether a name the database returned is the name asked for, as SPEC 3
   compares addresses: ASCII letters case-insensitively, every other byte
   exactly. The schema's utf8_general_ci also equates o and ö, s and ß,
   trailing spaces: its rows are filtered through this. */
bool mr_address_name_equal(const char *stored, size_t stored_len,
			   const char *asked, size_t asked_len);

#endif
