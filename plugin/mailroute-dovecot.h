#ifndef MAILROUTE_DOVECOT_H
#define MAILROUTE_DOVECOT_H

/* The one place that tells Dovecot 2.3 from 2.4 (included after
   auth-common.h). The rest of plugin/ is written once against what both
   offer; lib/ knows no Dovecot at all. */

#if DOVECOT_VERSION_MAJOR > 2 || \
	(DOVECOT_VERSION_MAJOR == 2 && DOVECOT_VERSION_MINOR >= 4)
#  define MAILROUTE_DOVECOT_24
#endif

#ifdef MAILROUTE_DOVECOT_24
#  include "auth-worker-server.h"
#  include "mailroute-settings.h"
/* a worker's word to the auth master about its database (db-sql.c's) */
#  define mailroute_worker_send_error auth_worker_server_send_error
#  define mailroute_worker_send_success auth_worker_server_send_success
/* 2.4 logs through the request's current passdb/userdb event; the
   subsystem argument is gone */
#  define mailroute_log_unknown_user(request) \
	auth_request_db_log_unknown_user(request)
#  define mailroute_log_password_mismatch(request) \
	auth_request_db_log_password_mismatch(request)
/* userdb fields are settings overrides: mail_driver, mail_path, ... */
#  define MAILROUTE_DOVECOT24_NAMES true

/* preinit(pool, event, [params,] module_r, error_r); the configuration
   file comes from the mailroute_config_file setting of the passdb/userdb.
   2.4.3 added the parameters: without use_cache (the db's use_cache = no,
   or no auth cache) the module offers no cache key, as Dovecot's own
   drivers do from then on (passdb_set_cache_key()). */
#  if DOVECOT_PREREQ(2, 4, 3)
#    define MAILROUTE_PREINIT_PARAMS(kind) \
	const struct kind##_parameters *params,
#    define MAILROUTE_PREINIT_USE_CACHE(module) \
	if (!params->use_cache) \
		(module)->default_cache_key = NULL;
#  else
#    define MAILROUTE_PREINIT_PARAMS(kind)
#    define MAILROUTE_PREINIT_USE_CACHE(module)
#  endif
#  define MAILROUTE_PREINIT(name, kind, create) \
static int name(pool_t pool, struct event *event, \
		MAILROUTE_PREINIT_PARAMS(kind) \
		struct kind##_module **module_r, const char **error_r) \
{ \
	const char *path; \
\
	if (mailroute_settings_config_file(event, &path, error_r) < 0) \
		return -1; \
	*module_r = create(pool, path); \
	MAILROUTE_PREINIT_USE_CACHE(*module_r) \
	return 0; \
}
#else
#  include "auth-worker-client.h"
#  define mailroute_worker_send_error auth_worker_client_send_error
#  define mailroute_worker_send_success auth_worker_client_send_success
#  define mailroute_log_unknown_user(request) \
	auth_request_log_unknown_user(request, AUTH_SUBSYS_DB)
#  define mailroute_log_password_mismatch(request) \
	auth_request_log_password_mismatch(request, AUTH_SUBSYS_DB)
#  define MAILROUTE_DOVECOT24_NAMES false

/* preinit(pool, args): args is the configuration file (empty: the
   built-in default) */
#  define MAILROUTE_PREINIT(name, kind, create) \
static struct kind##_module *name(pool_t pool, const char *args) \
{ \
	return create(pool, args); \
}
#endif

#endif
