/* passdb mailroute: Dovecot logins against the provider's MariaDB
   account database (SPEC 3, 6).

   CONFIGURATION
	passdb { driver = mailroute  args = /etc/dovecot/mailroute-auth.conf }
   The file (mailroute-auth.conf(5), read as root at preinit) names the
   database hosts and credentials, the Django hash cost caps and the
   verified-credential cache. Blocking: lookups run in auth-workers, each
   with its own connection and prepared statements.

   WHAT IT DOES
   The login name is resolved by exact address (ASCII case-insensitive,
   every other byte exact); the password is verified here against the
   stored Django hash, and lib/'s mr_admission_login() decides: the one
   login path checkpassword takes too. Success sets the canonical user, the
   userdb_* prefetch fields and password={DJANGO}<hash> for auth_cache.
   lookup_credentials hands out {DJANGO}<hash> for admitted accounts only.

   FAILURES
   Database unreachable, a malformed row, two accounts on one address, or
   a verification the worker cannot allocate: INTERNAL_FAILURE (the client
   is told to retry; Dovecot may answer from its cache), never a mismatch.
   Unknown user: after a decoy verification of the configured cost. A
   malformed or over-cap stored hash: a mismatch to the client, an error
   naming the account in the log. Correct password of an inactive or
   non-hosted account: USER_DISABLED, never cached. No password or hash is
   ever logged. */

#include "auth-common.h"
#include "passdb.h"
#include "time-util.h"

#include "authdb-mailroute.h"
#include "mailroute-backend.h"
#include "mailroute-django.h"
#include "mailroute-dovecot.h"
#include "mr-admission.h"
#include "mr-password.h"
#include "mr-verify-cache.h"

/* The result depends on the login name only. */
#define MAILROUTE_CACHE_KEY "%{user}"
#define MAILROUTE_SCHEME "DJANGO"

struct mailroute_passdb_module {
	struct passdb_module module;
	struct mailroute_backend *backend;
};

static struct mailroute_passdb_module *
passdb_module(struct auth_request *request)
{
	return (struct mailroute_passdb_module *)request->passdb->passdb;
}

/* Resolves the login name for lookup_credentials, which has no password
   to check. Failures are logged. */
static enum passdb_result
passdb_mailroute_find(struct mailroute_passdb_module *module,
		      struct auth_request *request, struct mr_match *match_r)
{
	struct event *event = authdb_event(request);
	struct mr_error error = { "" };
	enum mr_db_result found;
	struct timeval start;
	struct mr_db *db;

	db = mailroute_backend_db(module->backend, event);
	if (db == NULL)
		return PASSDB_RESULT_INTERNAL_FAILURE;
	i_gettimeofday(&start);
	found = mr_resolve_login(db, request->fields.user, match_r, &error);
	mailroute_lookup_finished(event, db, "login", found,
				  mailroute_usecs_since(&start));
	switch (found) {
	case MR_DB_FAILED:
		e_error(event, "%s", error.message);
		return PASSDB_RESULT_INTERNAL_FAILURE;
	case MR_DB_NOT_FOUND:
		if (error.message[0] != '\0')
			e_debug(event, "%s", error.message);
		mailroute_log_unknown_user(request);
		return PASSDB_RESULT_USER_UNKNOWN;
	case MR_DB_FOUND:
		break;
	}
	e_debug(event, "login name matched account %llu exactly",
		(unsigned long long)match_r->account.account_id);
	return PASSDB_RESULT_OK;
}

/* An admitted account: the canonical user and the prefetch fields. */
static enum passdb_result
passdb_mailroute_accept(struct mailroute_passdb_module *module,
			struct auth_request *request,
			const struct mr_match *match)
{
	if (mailroute_export_account(request, module->backend->config,
				     match, TRUE) < 0)
		return PASSDB_RESULT_INTERNAL_FAILURE;
	return PASSDB_RESULT_OK;
}

/* mailroute_password_verified: whether the verified-credential cache
   answered, and its table's counters (hits, misses, evictions: of every
   process sharing verify_cache_file), for Dovecot's metrics: what
   verify_cache_size is sized by. */
static void verify_cache_report(struct event *parent,
				const struct mr_verify_cache *cache, bool hit)
{
	const char *answer = cache == NULL ? "off" : hit ? "hit" : "miss";
	struct mr_verify_cache_stats stats;

	mr_verify_cache_get_stats(cache, &stats);
	e_debug(event_create_passthrough(parent)->
		set_name("mailroute_password_verified")->
		add_str("verify_cache", answer)->
		add_int("verify_cache_hits", (intmax_t)stats.hits)->
		add_int("verify_cache_misses", (intmax_t)stats.misses)->
		add_int("verify_cache_evictions", (intmax_t)stats.evictions)->
		event(),
		"password verified: verify cache %s (%llu hits, %llu misses, "
		"%llu evictions)", answer, stats.hits, stats.misses,
		stats.evictions);
}

/* Dovecot's answer to a login decision, logged as Dovecot logs its own
   (unknown user, password mismatch), an operator's problem as an
   error. */
static enum passdb_result
passdb_mailroute_result(struct mailroute_passdb_module *module,
			struct auth_request *request,
			enum mr_login_result decision,
			const struct mr_login *login,
			const struct mr_error *error)
{
	struct event *event = authdb_event(request);

	switch (decision) {
	case MR_LOGIN_OK:
		/* the scheme is explicit: a stored value in braces must not
		   choose its own ({PLAIN}...) when the cache re-verifies */
		auth_request_set_field(request, "password",
				       t_strconcat("{" MAILROUTE_SCHEME "}",
						   login->match.account.password,
						   NULL), NULL);
		return passdb_mailroute_accept(module, request, &login->match);
	case MR_LOGIN_FAILED:
		if (login->lookup == MR_DB_NOT_FOUND) {
			if (error->message[0] != '\0')
				e_debug(event, "%s", error->message);
			mailroute_log_unknown_user(request);
			return PASSDB_RESULT_USER_UNKNOWN;
		}
		if (login->verified == MR_PASSWORD_MISMATCH)
			mailroute_log_password_mismatch(request);
		else
			e_info(event, "%s", error->message);
		return PASSDB_RESULT_PASSWORD_MISMATCH;
	case MR_LOGIN_BAD_HASH:
		e_error(event, "%s", error->message);
		return PASSDB_RESULT_PASSWORD_MISMATCH;
	case MR_LOGIN_DISABLED:
		e_info(event, "%s", error->message);
		return PASSDB_RESULT_USER_DISABLED;
	case MR_LOGIN_TEMPFAIL:
		break;
	}
	e_error(event, "%s", error->message);
	return PASSDB_RESULT_INTERNAL_FAILURE;
}

/* The login goes the one way every front takes (mr_admission_login),
   with this passdb's caps and the verified-credential cache the DJANGO
   scheme owns, not through Dovecot core and the scheme: the decision
   must tell a library failure from a mismatch, and only a login that
   succeeded hands the hash to Dovecot's auth cache. A cache hit re-checks
   the password and nothing else, so a hash cached by a failed login of a
   disabled account would let its correct password in. USER_DISABLED is
   never cached, and a mismatch without a password is not either
   (2.3.13-2.3.21, auth_request_save_cache()). */
static enum passdb_result
passdb_mailroute_verify(struct mailroute_passdb_module *module,
			struct auth_request *request, const char *password)
{
	struct event *event = authdb_event(request);
	struct mr_verify_cache *cache = mailroute_django_verify_cache();
	struct mr_error error = { "" };
	enum mr_login_result decision;
	enum passdb_result result;
	struct mr_login login;
	struct mr_db *db;

	db = mailroute_backend_db(module->backend, event);
	if (db == NULL)
		return PASSDB_RESULT_INTERNAL_FAILURE;
	decision = mr_admission_login(db, module->backend->config, cache,
				      request->fields.user, password, &login,
				      &error);
	mailroute_lookup_finished(event, db, "login", login.lookup,
				  (long long)login.lookup_usecs);
	if (login.lookup == MR_DB_FOUND) {
		e_debug(event, "login name matched account %llu exactly",
			(unsigned long long)login.match.account.account_id);
		verify_cache_report(event, cache, login.cache_hit);
	}
	result = passdb_mailroute_result(module, request, decision, &login,
					 &error);
	mr_account_wipe(&login.match.account);
	return result;
}

static void mailroute_verify_plain(struct auth_request *request,
				   const char *password,
				   verify_plain_callback_t *callback)
{
	callback(passdb_mailroute_verify(passdb_module(request), request,
					 password), request);
}

/* Hands out {DJANGO}<hash>: usable by PLAIN/LOGIN and by a passdb in
   front that only wants to know the user exists, not by challenge-response
   mechanisms (Dovecot reports the scheme as unavailable for those). */
static void mailroute_lookup_credentials(struct auth_request *request,
					 lookup_credentials_callback_t *callback)
{
	struct mailroute_passdb_module *module = passdb_module(request);
	struct mr_match match;
	enum passdb_result result;

	result = passdb_mailroute_find(module, request, &match);
	if (result != PASSDB_RESULT_OK) {
		passdb_handle_credentials(result, NULL, NULL, callback,
					  request);
		return;
	}
	/* No password to check: admission alone decides whether the hash
	   leaves the module. */
	if (!mr_password_may_match(match.account.password)) {
		e_info(authdb_event(request),
		       "account %llu: stored password never matches (%s)",
		       (unsigned long long)match.account.account_id,
		       mr_password_format(match.account.password));
		result = PASSDB_RESULT_PASSWORD_MISMATCH;
	} else if (!mr_account_may_login(&match.account)) {
		e_info(authdb_event(request),
		       "account %llu: inactive, or neither hosted nor continuity",
		       (unsigned long long)match.account.account_id);
		result = PASSDB_RESULT_USER_DISABLED;
	} else {
		result = passdb_mailroute_accept(module, request, &match);
	}
	passdb_handle_credentials(result, match.account.password,
				  MAILROUTE_SCHEME, callback, request);
	mr_account_wipe(&match.account);
}

/* Dovecot 2.3.13-2.3.17 drop a cached entry's fields, the canonical user
   among them, when an auth-worker verifies the hit
   (auth_cache_verify_password_with_worker, as conf.d sets it): a second
   login through an alias would become a user of its own, with its own
   home. 2.3.18 keeps them (commit f083562f92). There, this passdb offers
   Dovecot no cache key, so Dovecot never caches it; the verified-credential
   cache still spares repeated logins the hash's cost. */
static const char *passdb_mailroute_cache_key(void)
{
	/* DOVECOT_VERSION_MICRO exists from 2.3.18 on, exactly the versions
	   that keep the fields (2.3's DOVECOT_PREREQ has no micro) */
#ifdef DOVECOT_VERSION_MICRO
	return MAILROUTE_CACHE_KEY;
#else
	if (!global_auth_settings->cache_verify_password_with_worker)
		return MAILROUTE_CACHE_KEY;
	i_warning("passdb mailroute: auth cache off for this passdb: Dovecot "
		  DOVECOT_VERSION " loses the canonical user of cache hits "
		  "verified by auth_cache_verify_password_with_worker "
		  "(fixed in 2.3.18)");
	return NULL;
#endif
}

static struct passdb_module *
mailroute_passdb_create(pool_t pool, const char *config_path)
{
	struct mailroute_passdb_module *module;

	module = p_new(pool, struct mailroute_passdb_module, 1);
	module->backend = mailroute_backend_get("passdb", config_path);
	/* The DJANGO scheme lives in lib20_mailroute_django.so, loaded at
	   auth start-up (authdb_mailroute_dependencies): Dovecot verifies
	   auth cache hits with it, so it gets this file's cost caps, and
	   opens this file's verified-credential cache, which this passdb
	   verifies through too. Preinit runs as root: the host's shared
	   table is opened before privileges are dropped. */
	mailroute_django_configure(module->backend->config);
	/* 2.4 sets these two from passdb_use_worker and
	   passdb_default_password_scheme after preinit (defaults: yes,
	   DJANGO) */
	module->module.blocking = TRUE;
	module->module.default_pass_scheme = MAILROUTE_SCHEME;
	module->module.default_cache_key = passdb_mailroute_cache_key();
	return &module->module;
}

MAILROUTE_PREINIT(mailroute_passdb_preinit, passdb,
		  mailroute_passdb_create)

static void mailroute_passdb_deinit(struct passdb_module *_module)
{
	struct mailroute_passdb_module *module =
		(struct mailroute_passdb_module *)_module;

	mailroute_backend_unref(&module->backend);
}

struct passdb_module_interface passdb_mailroute = {
	.name = "mailroute",
	.preinit = mailroute_passdb_preinit,
	.deinit = mailroute_passdb_deinit,
	.verify_plain = mailroute_verify_plain,
	.lookup_credentials = mailroute_lookup_credentials,
};
