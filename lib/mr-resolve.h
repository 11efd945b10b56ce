#ifndef MR_RESOLVE_H
#define MR_RESOLVE_H

#include "mr-account.h"
#include "mr-db.h"
#include "mr-error.h"

#include <stddef.h>

/* Which account a login or recipient name means (SPEC 3). Admission
   (active, hosted, continuity) is the caller's decision: see
   mr-admission.h. */

struct mr_match {
	struct mr_account account;
	/* '\0' when the localpart matched exactly, else the delimiter the
	   recipient was cut at */
	char delimiter;
	/* the localpart that matched (exact or cut) */
	char matched_localpart[MR_NAME_SIZE];
};

/* Login (passdb): the exact localpart only. MR_DB_NOT_FOUND with the
   reason in error for names that cannot be an account. */
enum mr_db_result mr_resolve_login(struct mr_db *db, const char *name,
				   struct mr_match *match_r,
				   struct mr_error *error);

/* Recipient (userdb): exact localpart first, then cut before the first
   occurrence of each delimiter, in order. The first candidate that
   addresses any account decides: an exact match always wins. */
enum mr_db_result mr_resolve_recipient(struct mr_db *db,
				       const char *delimiters,
				       const char *name,
				       struct mr_match *match_r,
				       struct mr_error *error);

/* "exact" or "cut at '+'": the rule that matched, for debug logs. */
const char *mr_match_rule(const struct mr_match *match, char *buf,
			  size_t size);

#endif
