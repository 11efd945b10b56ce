/* Configuration and database handle shared by passdb and userdb
   mailroute; the userdb fields both of them export. */

#include "auth-common.h"
#include "auth-request.h"
#include "time-util.h"

#include "mailroute-backend.h"
#include "mailroute-dovecot.h"
#include "mr-password.h"
#include "mr-dovecot-fields.h"

static struct mailroute_backend *backends = NULL;

static const char *backend_config_path(const char *config_path)
{
	const char *path = t_str_trim(config_path, " \t");

	return path[0] != '\0' ? path : mr_config_default_path;
}

struct mailroute_backend *mailroute_backend_get(const char *driver,
						const char *config_path)
{
	const char *path = backend_config_path(config_path);
	struct mailroute_backend *backend;
	struct mr_error error;

	for (backend = backends; backend != NULL; backend = backend->next) {
		if (strcmp(backend->config_path, path) == 0) {
			backend->refcount++;
			return backend;
		}
	}
	backend = i_new(struct mailroute_backend, 1);
	if (mr_config_load(path, &backend->config, &error) < 0)
		i_fatal("%s mailroute: %s", driver, error.message);
	if (mr_password_init() < 0)
		i_fatal("%s mailroute: libsodium initialisation failed",
			driver);
	backend->config_path = i_strdup(path);
	backend->refcount = 1;
	backend->next = backends;
	backends = backend;
	return backend;
}

void mailroute_backend_unref(struct mailroute_backend **_backend)
{
	struct mailroute_backend *backend = *_backend, **prev;

	*_backend = NULL;
	i_assert(backend->refcount > 0);
	if (--backend->refcount > 0)
		return;
	for (prev = &backends; *prev != backend; prev = &(*prev)->next) ;
	*prev = backend->next;
	mr_db_destroy(&backend->db);
	event_unref(&backend->event);
	mr_config_free(&backend->config);
	i_free(backend->config_path);
	i_free(backend);
}

static void backend_log_db_message(void *context, enum mr_db_log_level level,
				   const char *message)
{
	struct event *event = context;

	switch (level) {
	case MR_DB_LOG_DEBUG:
		e_debug(event, "%s", message);
		break;
	case MR_DB_LOG_INFO:
		e_info(event, "%s", message);
		break;
	case MR_DB_LOG_WARNING:
		e_warning(event, "%s", message);
		break;
	}
}

struct mr_db *mailroute_backend_db(struct mailroute_backend *backend,
				   struct event *event)
{
	if (!worker) {
		e_error(event, "database lookup outside an auth-worker "
			"process (the driver must stay blocking)");
		return NULL;
	}
	if (backend->db == NULL) {
		backend->db = mr_db_create(backend->config);
		if (backend->db == NULL) {
			e_error(event, "out of memory for the database handle");
			return NULL;
		}
		backend->event = event_create(auth_event);
		event_set_append_log_prefix(backend->event, "mailroute: ");
		mr_db_set_log(backend->db, backend_log_db_message,
			      backend->event);
	}
	return backend->db;
}

/* Tells the auth master whether this worker reaches its database, as
   Dovecot's sql driver does (db-sql.c): after ERROR the master starts no
   new worker, and ends a second failing one, until a worker says
   SUCCESS. Without it an outage fills the host with workers, each
   waiting out the connect timeout for every request and logging it. */
static void backend_report_to_master(struct mr_db *db)
{
	if (mr_db_connected(db))
		mailroute_worker_send_success();
	else
		mailroute_worker_send_error();
}

long long mailroute_usecs_since(const struct timeval *start)
{
	struct timeval now;

	i_gettimeofday(&now);
	return timeval_diff_usecs(&now, start);
}

void mailroute_lookup_finished(struct event *parent, struct mr_db *db,
			       const char *lookup, enum mr_db_result result,
			       long long usecs)
{
	const char *outcome = result == MR_DB_FOUND ? "found" :
		result == MR_DB_NOT_FOUND ? "not_found" : "failed";

	e_debug(event_create_passthrough(parent)->
		set_name("mailroute_lookup_finished")->
		add_str("lookup", lookup)->add_str("result", outcome)->
		add_int("duration_usecs", usecs)->event(),
		"%s lookup %s in %lld us", lookup, outcome, usecs);
	backend_report_to_master(db);
}

int mailroute_export_account(struct auth_request *request,
			     const struct mr_config *config,
			     const struct mr_match *match, bool as_prefetch)
{
	struct event *event = authdb_event(request);
	struct mr_dovecot_answer answer;
	const struct mr_userdb_fields *fields = &answer.fields;
	const struct mr_dovecot_fields *dovecot = &answer.dovecot;
	const struct mr_field *list = dovecot->list;
	struct mr_error error;

	if (mr_dovecot_answer_make(config, &match->account,
				   MAILROUTE_DOVECOT24_NAMES, &answer,
				   &error) < 0) {
		mr_dovecot_answer_free(&answer);
		e_error(event, "%s", error.message);
		return -1;
	}
	if (fields->continuity_withheld) {
		e_debug(event, "account %llu is hosted and continuity: hosted "
			"wins, no autoexpunge",
			(unsigned long long)match->account.account_id);
	}
	if (as_prefetch) {
		auth_request_set_field(request, "user", fields->user, NULL);
		for (unsigned int i = 0; i < dovecot->count; i++) {
			auth_request_set_field(request,
				t_strconcat("userdb_", list[i].name, NULL),
				list[i].value, NULL);
		}
	} else {
		auth_request_set_userdb_field(request, "user", fields->user);
		for (unsigned int i = 0; i < dovecot->count; i++) {
			auth_request_set_userdb_field(request, list[i].name,
						      list[i].value);
		}
	}
	mr_dovecot_answer_free(&answer);
	return 0;
}
