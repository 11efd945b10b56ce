#ifndef MAILROUTE_BACKEND_H
#define MAILROUTE_BACKEND_H

#include "mr-config.h"
#include "mr-db.h"
#include "mr-error.h"
#include "mr-resolve.h"

/* What passdb and userdb mailroute share: the configuration file, read
   once per path and process in preinit (as root), and one database handle
   that only auth-worker processes ever connect. */

struct mailroute_backend {
	struct mailroute_backend *next;
	char *config_path;
	struct mr_config *config;
	/* created on first use in a worker: the auth master never opens a
	   database connection (its blocking I/O would stall every login) */
	struct mr_db *db;
	/* the handle's own messages (host failures, failover) */
	struct event *event;
	unsigned int refcount;
};

/* The backend of a configuration file (2.3: the passdb/userdb args, 2.4:
   mailroute_config_file); empty means the built-in default. Fatal (the
   process cannot serve anyone) if the file is unreadable or invalid. */
struct mailroute_backend *mailroute_backend_get(const char *driver,
						const char *config_path);
void mailroute_backend_unref(struct mailroute_backend **backend);

/* The handle for queries; NULL, the reason logged to event, outside
   auth-worker processes or out of memory. */
struct mr_db *mailroute_backend_db(struct mailroute_backend *backend,
				   struct event *event);

/* The end of one lookup as a Dovecot event, as the sql driver's
   sql_query_finished: named mailroute_lookup_finished, with the fields
   lookup ("login" or "recipient"), result ("found", "not_found",
   "failed") and duration_usecs, for metrics and event filters; logged at
   debug level. Then tells the auth master whether db is reachable (its
   worker throttle). */
void mailroute_lookup_finished(struct event *parent, struct mr_db *db,
			       const char *lookup, enum mr_db_result result,
			       long long usecs);
/* Microseconds since start, for mailroute_lookup_finished(). */
long long mailroute_usecs_since(const struct timeval *start);

/* Sets user (canonical) and the userdb fields of SPEC 4 on the request:
   as userdb fields (userdb lookup) or as userdb_* passdb fields for the
   prefetch userdb. Returns -1 (logged) if the account cannot produce safe
   paths. */
struct auth_request;
int mailroute_export_account(struct auth_request *request,
			     const struct mr_config *config,
			     const struct mr_match *match, bool as_prefetch);

#endif
