/* Which account a name means (SPEC 3): the candidates of the name, the
   rows a row source gives for them, and the ranking of those rows. */

#include "mr-resolve.h"
#include "mr-address.h"

#include <stdio.h>
#include <string.h>

/* The ranking of one address's rows. */
struct rank {
	const char *localpart;
	const struct mr_candidate *candidates;
	unsigned int count;
	const char *domain;
	size_t domain_len;
	/* the account of the best candidate so far; best == count: none */
	struct mr_account *account;
	unsigned int best;
	/* that account is marked as in a shared-folder group */
	bool grouped;
	/* a second account at the best candidate: a data error */
	bool conflict;
	uint64_t conflict_account_id, conflict_domain_id;
};

/* The candidate a row answers, by its login name compared as SPEC 3 says
   (ASCII letters case-insensitively, every other byte exactly); count
   when none: the server's utf8_general_ci also returns look-alikes
   (jöhn for john), which are not this address. */
static unsigned int row_candidate(const struct mr_login_row *row,
				  const struct rank *rank)
{
	if (!mr_address_name_equal(row->domain, row->domain_len,
				   rank->domain, rank->domain_len))
		return rank->count;
	for (unsigned int i = 0; i < rank->count; i++) {
		if (mr_address_name_equal(row->localpart, row->localpart_len,
					  rank->localpart,
					  rank->candidates[i].length))
			return i;
	}
	return rank->count;
}

/* Keeps the row if it answers a better candidate than any before: an
   exact match beats a cut one whatever order the rows come in. Several
   rows of one account at one candidate (a domain alias and an
   external_domain) are one match; two accounts are a data error unless
   a better candidate is found later. */
static int rank_row(void *context, const struct mr_login_row *row,
		    struct mr_error *error)
{
	struct rank *rank = context;
	unsigned int candidate = row_candidate(row, rank);
	struct mr_account account;
	bool grouped;

	if (candidate > rank->best || candidate == rank->count)
		return 0;
	if (row->account(row, &account, &grouped, error) < 0)
		return -1;
	if (candidate < rank->best) {
		*rank->account = account;
		rank->best = candidate;
		rank->grouped = grouped;
		rank->conflict = false;
	} else if (account.account_id != rank->account->account_id ||
		   account.domain_id != rank->account->domain_id) {
		rank->conflict = true;
		rank->conflict_account_id = account.account_id;
		rank->conflict_domain_id = account.domain_id;
	}
	mr_account_wipe(&account);
	return 0;
}

/* The ranked rows' answer: the account of the best candidate (its groups
   read when it is marked), none, or the two-account data error. */
static enum mr_db_result
rank_finish(const struct mr_row_source *source, const struct rank *rank,
	    struct mr_match *match_r, struct mr_error *error)
{
	const struct mr_candidate *best = &rank->candidates[rank->best];

	if (rank->best == rank->count) {
		mr_error_set(error, "no account has this address");
		return MR_DB_NOT_FOUND;
	}
	if (rank->conflict) {
		mr_error_set(error,
			"data error: %.*s@%s matches account %llu "
			"(domain %llu) and account %llu (domain %llu)",
			(int)best->length, rank->localpart, rank->domain,
			(unsigned long long)rank->account->account_id,
			(unsigned long long)rank->account->domain_id,
			(unsigned long long)rank->conflict_account_id,
			(unsigned long long)rank->conflict_domain_id);
		return MR_DB_FAILED;
	}
	if (rank->grouped &&
	    source->account_groups(source->context, rank->account->account_id,
				   rank->account->groups, error) < 0)
		return MR_DB_FAILED;
	match_r->delimiter = best->delimiter;
	memcpy(match_r->matched_localpart, rank->localpart, best->length);
	match_r->matched_localpart[best->length] = '\0';
	return MR_DB_FOUND;
}

enum mr_db_result mr_resolve_from(const struct mr_row_source *source,
				  const char *delimiters, const char *name,
				  struct mr_match *match_r,
				  struct mr_error *error)
{
	struct mr_candidate candidates[MR_MAX_CANDIDATES];
	struct mr_address address;
	struct rank rank;
	enum mr_db_result ret;
	const char *reason;

	memset(match_r, 0, sizeof(*match_r));
	if (!mr_address_parse(name, &address, &reason)) {
		mr_error_set(error, "%s", reason);
		return MR_DB_NOT_FOUND;
	}
	rank = (struct rank){
		.localpart = address.localpart, .candidates = candidates,
		.count = mr_address_candidates(address.localpart, delimiters,
					       candidates),
		.domain = address.domain, .domain_len = strlen(address.domain),
		.account = &match_r->account,
	};
	rank.best = rank.count;
	ret = source->find_rows(source->context, address.localpart,
				candidates, rank.count, address.domain,
				rank_row, &rank, error) < 0 ? MR_DB_FAILED :
		rank_finish(source, &rank, match_r, error);
	if (ret != MR_DB_FOUND)
		mr_account_wipe(&match_r->account);
	return ret;
}

static int db_find_rows(void *context, const char *localpart,
			const struct mr_candidate *candidates,
			unsigned int count, const char *domain,
			mr_login_row_callback *callback,
			void *callback_context, struct mr_error *error)
{
	return mr_db_find_address_rows(context, localpart, candidates, count,
				       domain, callback, callback_context,
				       error);
}

static int db_account_groups(void *context, uint64_t account_id,
			     char groups[MR_GROUPS_SIZE],
			     struct mr_error *error)
{
	return mr_db_account_groups(context, account_id, groups, error);
}

static enum mr_db_result
resolve_in_db(struct mr_db *db, const char *delimiters, const char *name,
	      struct mr_match *match_r, struct mr_error *error)
{
	const struct mr_row_source source = {
		.find_rows = db_find_rows,
		.account_groups = db_account_groups,
		.context = db,
	};

	return mr_resolve_from(&source, delimiters, name, match_r, error);
}

enum mr_db_result mr_resolve_login(struct mr_db *db, const char *name,
				   struct mr_match *match_r,
				   struct mr_error *error)
{
	return resolve_in_db(db, "", name, match_r, error);
}

enum mr_db_result mr_resolve_recipient(struct mr_db *db,
				       const char *delimiters,
				       const char *name,
				       struct mr_match *match_r,
				       struct mr_error *error)
{
	return resolve_in_db(db, delimiters, name, match_r, error);
}

const char *mr_match_rule(const struct mr_match *match, char *buf,
			  size_t size)
{
	if (match->delimiter == '\0')
		return "exact localpart";
	snprintf(buf, size, "localpart cut at '%c'", match->delimiter);
	return buf;
}
