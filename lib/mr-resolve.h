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

/* Where the resolver reads an address's rows and an account's groups:
   the database (mr_resolve_login and mr_resolve_recipient use
   mr_db_find_address_rows and mr_db_account_groups) or, in the unit
   tests, a table of rows. */
struct mr_row_source {
	int (*find_rows)(void *context, const char *localpart,
			 const struct mr_candidate *candidates,
			 unsigned int count, const char *domain,
			 mr_login_row_callback *callback,
			 void *callback_context, struct mr_error *error);
	int (*account_groups)(void *context, uint64_t account_id,
			      char groups[MR_GROUPS_SIZE],
			      struct mr_error *error);
	void *context;
};

/* mr_resolve_recipient from any row source (delimiters "" for a login):
   the ranking of SPEC 3, exact before cut and the two-account rule. */
enum mr_db_result mr_resolve_from(const struct mr_row_source *source,
				  const char *delimiters, const char *name,
				  struct mr_match *match_r,
				  struct mr_error *error);

/* "exact" or "cut at '+'": the rule that matched, for debug logs. */
const char *mr_match_rule(const struct mr_match *match, char *buf,
			  size_t size);

#endif
