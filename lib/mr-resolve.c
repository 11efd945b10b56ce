#include "mr-resolve.h"
#include "mr-address.h"

#include <stdio.h>
#include <string.h>

static enum mr_db_result
resolve_candidates(struct mr_db *db, const struct mr_address *address,
		   const struct mr_candidate *candidates, unsigned int count,
		   struct mr_match *match_r, struct mr_error *error)
{
	enum mr_db_result ret;
	unsigned int best;

	memset(match_r, 0, sizeof(*match_r));
	ret = mr_db_find_address(db, address->localpart, candidates, count,
				 address->domain, &match_r->account, &best,
				 error);
	if (ret == MR_DB_NOT_FOUND)
		mr_error_set(error, "no account has this address");
	if (ret != MR_DB_FOUND)
		return ret;
	match_r->delimiter = candidates[best].delimiter;
	memcpy(match_r->matched_localpart, address->localpart,
	       candidates[best].length);
	match_r->matched_localpart[candidates[best].length] = '\0';
	return MR_DB_FOUND;
}

static enum mr_db_result
resolve(struct mr_db *db, const char *delimiters, const char *name,
	struct mr_match *match_r, struct mr_error *error)
{
	struct mr_candidate candidates[MR_MAX_CANDIDATES];
	struct mr_address address;
	const char *reason;
	unsigned int count;

	if (!mr_address_parse(name, &address, &reason)) {
		memset(match_r, 0, sizeof(*match_r));
		mr_error_set(error, "%s", reason);
		return MR_DB_NOT_FOUND;
	}
	count = mr_address_candidates(address.localpart, delimiters,
				      candidates);
	return resolve_candidates(db, &address, candidates, count, match_r,
				  error);
}

enum mr_db_result mr_resolve_login(struct mr_db *db, const char *name,
				   struct mr_match *match_r,
				   struct mr_error *error)
{
	return resolve(db, "", name, match_r, error);
}

enum mr_db_result mr_resolve_recipient(struct mr_db *db,
				       const char *delimiters,
				       const char *name,
				       struct mr_match *match_r,
				       struct mr_error *error)
{
	return resolve(db, delimiters, name, match_r, error);
}

const char *mr_match_rule(const struct mr_match *match, char *buf,
			  size_t size)
{
	if (match->delimiter == '\0')
		return "exact localpart";
	snprintf(buf, size, "localpart cut at '%c'", match->delimiter);
	return buf;
}
