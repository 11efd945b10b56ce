#ifndef MR_DB_H
#define MR_DB_H

#include "mr-account.h"
#include "mr-address.h"
#include "mr-config.h"
#include "mr-error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* MariaDB access through server-side prepared statements only. The
   connection is opened on first use (the Dovecot module must connect only
   in auth-worker processes), hosts are tried in order (those that failed
   recently last, see mr-db-hosts.h), and a statement
   that fails because the connection was lost is retried once on a new
   connection. Every function tells "not found" from "database failure". */

struct mr_db;

enum mr_db_result {
	MR_DB_FAILED = -1,
	MR_DB_NOT_FOUND = 0,
	MR_DB_FOUND = 1,
};

/* The config must outlive the handle. Does not connect. */
struct mr_db *mr_db_create(const struct mr_config *config);
void mr_db_destroy(struct mr_db **db);

/* What the handle tells the operator on its own: a host that failed to
   connect (host:port, the time it cost, the error), a failover, a host
   that is back (mr-db-hosts.h). Without a callback nothing is logged. */
enum mr_db_log_level {
	MR_DB_LOG_DEBUG,
	MR_DB_LOG_INFO,
	MR_DB_LOG_WARNING,
};
typedef void mr_db_log_callback(void *context, enum mr_db_log_level level,
				const char *message);
void mr_db_set_log(struct mr_db *db, mr_db_log_callback *callback,
		   void *context);

/* One row of the address lookup as the database gives it: the login
   name it answers to (not NUL-terminated) and, only when asked, its
   account, decoded and checked then: a row the caller passes over costs
   no decoding, and a malformed one it passes over fails nothing. */
struct mr_login_row {
	const char *localpart;
	size_t localpart_len;
	const char *domain;
	size_t domain_len;
	/* the row's account, and whether it is marked as in a shared-folder
	   group (migration 0014); -1 with error set for a malformed row */
	int (*account)(const struct mr_login_row *row,
		       struct mr_account *account_r, bool *grouped_r,
		       struct mr_error *error);
	void *context;
};
/* 0 to go on, -1 to fail the lookup (error set). */
typedef int mr_login_row_callback(void *context,
				  const struct mr_login_row *row,
				  struct mr_error *error);

/* Every row whose login name may be one of the candidate localparts
   (prefixes of localpart, see mr-address.h) at domain, in one statement,
   each to the callback. The server compares with its collation, which
   also returns look-alikes (jöhn for john): the caller compares as SPEC 3
   says and ranks (mr-resolve.c). 0, or -1 with error set on a database
   failure or when the callback failed. */
int mr_db_find_address_rows(struct mr_db *db, const char *localpart,
			    const struct mr_candidate *candidates,
			    unsigned int count, const char *domain,
			    mr_login_row_callback *callback, void *context,
			    struct mr_error *error);

/* An account's shared-folder groups as acl_groups names them (SPEC 12),
   comma-separated, "" for none; -1 with error set on a database failure
   or a malformed group name. */
int mr_db_account_groups(struct mr_db *db, uint64_t account_id,
			 char groups[MR_GROUPS_SIZE], struct mr_error *error);

/* Walks the canonical users (account localpart at a primary domain), in
   pages of a keyset the server forgets between pages: other lookups may
   run on the handle meanwhile, and abandoning an iteration costs
   nothing. */
struct mr_db_user_iter;

enum mr_db_user_scope {
	/* admitted for delivery: hosted or continuity (doveadm -A, dsync);
	   names and flags only, the password is left empty */
	MR_DB_USERS_RECEIVING,
	/* every account with its stored hash, for reports */
	MR_DB_USERS_ALL,
};

/* NULL on failure (reason in error). */
struct mr_db_user_iter *mr_db_user_iter_init(struct mr_db *db,
					     enum mr_db_user_scope scope,
					     struct mr_error *error);
/* MR_DB_FOUND with the next account (wipe it after use), MR_DB_NOT_FOUND
   at the end, MR_DB_FAILED on a database or data error. After the end or
   a failure it keeps returning the same result. */
enum mr_db_result mr_db_user_iter_next(struct mr_db_user_iter *iter,
				       struct mr_account *account_r,
				       struct mr_error *error);
void mr_db_user_iter_deinit(struct mr_db_user_iter **iter);

/* The plan MariaDB makes for mr_db_find_address_rows()'s statement as the
   programs run it: the same text prepared with EXPLAIN in front and the
   values bound, since a plan for literal values can differ (a UNION view
   takes literal conditions into its branches, bound ones not). Each plan
   row goes to the callback as column names and values. */
typedef void mr_db_plan_callback(void *context, unsigned int count,
				 const char *const *names,
				 const char *const *values);
int mr_db_explain_find_address(struct mr_db *db, const char *localpart,
			       const char *domain,
			       mr_db_plan_callback *callback, void *context,
			       struct mr_error *error);

/* Read-only statements a caller brings (the legacy queries the cut-over
   comparator runs, the CLI's reports): the text must be fixed in the
   program (a string that outlives the handle: it is prepared once per
   connection and found again by its address), never made from input;
   every value is bound. Every column is read as text (NULL as a NULL
   pointer); a value holding a NUL byte fails the call (a data error,
   never a value cut short). The callback returns 0 to go on, -1 to fail
   the call (its reason in error). Rows stream from the server: the
   handle runs nothing else until the call returns. */
#define MR_DB_ROW_MAX_COLUMNS 8
#define MR_DB_VALUE_SIZE 2048
typedef int mr_db_row_callback(void *context, unsigned int count,
			       const char *const *values,
			       struct mr_error *error);
int mr_db_query_rows(struct mr_db *db, const char *query,
		     const char *const *params, unsigned int param_count,
		     mr_db_row_callback *callback, void *context,
		     struct mr_error *error);

/* The schema version this release reads (these lookups, the shipped
   Stalwart queries and Dovecot dict maps): every migration up to it
   applied. */
#define MR_DB_SCHEMA_VERSION 14

/* What check-config shows about the server that answered. */
struct mr_db_server {
	/* host:port, or the socket path */
	char host[300];
	/* the negotiated cipher, "" without TLS */
	char tls_cipher[64];
	char version[128];
	/* the highest migration applied (mailroute_schema_version) */
	unsigned long schema_version;
};
int mr_db_server_info(struct mr_db *db, struct mr_db_server *server_r,
		      struct mr_error *error);

/* Opens the connection now if it is not open (for start-up checks). */
int mr_db_connect(struct mr_db *db, struct mr_error *error);

/* Whether the handle holds a connection: false before the first
   statement, after no host could be reached and after a connection was
   lost and could not be made again. A statement that failed for another
   reason (a data error) leaves it connected. */
bool mr_db_connected(const struct mr_db *db);

#endif
