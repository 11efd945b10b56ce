/* userdb mailroute: LMTP recipients, doveadm and dsync users from the
   provider's MariaDB account database (SPEC 3, 4).

   CONFIGURATION
	userdb { driver = mailroute  args = /etc/dovecot/mailroute-auth.conf }
   The same file as passdb mailroute (one connection per auth-worker
   serves both); recipient_delimiter there, not Dovecot's, decides detail
   addresses.

   WHAT IT DOES
   A name is resolved exactly, else cut before the first '+', else before
   the first '-' (an exact match always wins), to an account that is hosted
   or continuity; the answer is the canonical user and its home, maildir,
   quota rule and continuity fields (lib/mr-userdb-fields.c, in Dovecot
   2.3's syntax by lib/mr-dovecot-fields.c). iterate lists every canonical
   user admitted for delivery, in pages, for doveadm -A and dsync.

   FAILURES
   Database unreachable, a malformed row, a name no safe path can be made
   of, or two accounts on the deciding candidate: INTERNAL_FAILURE (LMTP
   answers 4xx and the sender retries), never "unknown user", so no mail
   is refused or misdelivered for a fault of ours. An unknown or
   non-delivering address: USER_UNKNOWN (5xx at RCPT). */

#include "auth-common.h"
#include "time-util.h"
#include "userdb.h"

#include "authdb-mailroute.h"
#include "mailroute-backend.h"
#include "mailroute-dovecot.h"
#include "mr-admission.h"
#include "mr-text.h"

#define MAILROUTE_CACHE_KEY "%{user}"

struct mailroute_userdb_module {
	struct userdb_module module;
	struct mailroute_backend *backend;
};

struct mailroute_userdb_iterate_context {
	struct userdb_iterate_context ctx;
	struct mr_db_user_iter *iter;
};

static struct mailroute_userdb_module *
userdb_module(struct auth_request *request)
{
	return (struct mailroute_userdb_module *)request->userdb->userdb;
}

static enum userdb_result
userdb_mailroute_find(struct mailroute_userdb_module *module,
		      struct auth_request *request)
{
	const struct mr_config *config = module->backend->config;
	struct event *event = authdb_event(request);
	struct mr_error error = { "" };
	struct mr_match match;
	enum userdb_result result;
	enum mr_db_result found;
	struct timeval start;
	struct mr_db *db;
	char rule[32];

	db = mailroute_backend_db(module->backend, event);
	if (db == NULL)
		return USERDB_RESULT_INTERNAL_FAILURE;
	i_gettimeofday(&start);
	found = mr_admission_recipient(db, config, request->fields.user,
				       &match, &error);
	mailroute_lookup_finished(event, db, "recipient", found,
				  mailroute_usecs_since(&start));
	switch (found) {
	case MR_DB_FAILED:
		e_error(event, "%s", error.message);
		return USERDB_RESULT_INTERNAL_FAILURE;
	case MR_DB_NOT_FOUND:
		if (error.message[0] != '\0')
			e_debug(event, "%s", error.message);
		mailroute_log_unknown_user(request);
		return USERDB_RESULT_USER_UNKNOWN;
	case MR_DB_FOUND:
		break;
	}
	e_debug(event, "matched account %llu (%s)",
		(unsigned long long)match.account.account_id,
		mr_match_rule(&match, rule, sizeof(rule)));
	result = mailroute_export_account(request, config, &match, FALSE) < 0 ?
		USERDB_RESULT_INTERNAL_FAILURE : USERDB_RESULT_OK;
	mr_account_wipe(&match.account);
	return result;
}

static void mailroute_userdb_lookup(struct auth_request *request,
				    userdb_callback_t *callback)
{
	callback(userdb_mailroute_find(userdb_module(request), request),
		 request);
}

static struct userdb_iterate_context *
mailroute_iterate_init(struct auth_request *request,
		       userdb_iter_callback_t *callback, void *context)
{
	struct mailroute_userdb_module *module = userdb_module(request);
	struct mailroute_userdb_iterate_context *ctx;
	struct mr_error error = { "" };
	struct mr_db *db;

	ctx = i_new(struct mailroute_userdb_iterate_context, 1);
	ctx->ctx.auth_request = request;
	ctx->ctx.callback = callback;
	ctx->ctx.context = context;
	db = mailroute_backend_db(module->backend, authdb_event(request));
	if (db != NULL) {
		ctx->iter = mr_db_user_iter_init(db, MR_DB_USERS_RECEIVING,
						 &error);
		if (ctx->iter == NULL)
			e_error(authdb_event(request), "iterate: %s",
				error.message);
	}
	if (ctx->iter == NULL) {
		ctx->ctx.failed = TRUE;
	}
	return &ctx->ctx;
}

/* The next listable user: NULL at the end or on failure (logged). A name
   that could not travel in Dovecot's line protocol is skipped, with the
   account id in the log. */
static const char *
mailroute_iterate_fetch(struct mailroute_userdb_iterate_context *ctx)
{
	struct event *event = authdb_event(ctx->ctx.auth_request);
	struct mr_error error = { "" };
	struct mr_account account;
	const char *user = NULL;

	while (user == NULL) {
		switch (mr_db_user_iter_next(ctx->iter, &account, &error)) {
		case MR_DB_FAILED:
			e_error(event, "iterate: %s", error.message);
			ctx->ctx.failed = TRUE;
			return NULL;
		case MR_DB_NOT_FOUND:
			return NULL;
		case MR_DB_FOUND:
			break;
		}
		if (mr_text_is_printable(account.localpart) &&
		    mr_text_is_printable(account.domain)) {
			user = t_strconcat(account.localpart, "@",
					   account.domain, NULL);
		} else {
			e_error(event, "iterate: account %llu skipped: "
				"control characters in its name",
				(unsigned long long)account.account_id);
		}
		mr_account_wipe(&account);
	}
	return user;
}

/* One user per call, NULL at the end: the caller throttles by calling
   again when its output has room. */
static void mailroute_iterate_next(struct userdb_iterate_context *_ctx)
{
	struct mailroute_userdb_iterate_context *ctx =
		(struct mailroute_userdb_iterate_context *)_ctx;

	_ctx->callback(_ctx->failed ? NULL : mailroute_iterate_fetch(ctx),
		       _ctx->context);
}

static int mailroute_iterate_deinit(struct userdb_iterate_context *_ctx)
{
	struct mailroute_userdb_iterate_context *ctx =
		(struct mailroute_userdb_iterate_context *)_ctx;
	int ret = _ctx->failed ? -1 : 0;

	mr_db_user_iter_deinit(&ctx->iter);
	i_free(ctx);
	return ret;
}

static struct userdb_module *
mailroute_userdb_create(pool_t pool, const char *config_path)
{
	struct mailroute_userdb_module *module;

	module = p_new(pool, struct mailroute_userdb_module, 1);
	module->backend = mailroute_backend_get("userdb", config_path);
	/* 2.4 sets it from userdb_use_worker after preinit (default yes) */
	module->module.blocking = TRUE;
	module->module.default_cache_key = MAILROUTE_CACHE_KEY;
	return &module->module;
}

MAILROUTE_PREINIT(mailroute_userdb_preinit, userdb,
		  mailroute_userdb_create)

static void mailroute_userdb_deinit(struct userdb_module *_module)
{
	struct mailroute_userdb_module *module =
		(struct mailroute_userdb_module *)_module;

	mailroute_backend_unref(&module->backend);
}

struct userdb_module_interface userdb_mailroute = {
	.name = "mailroute",
	.preinit = mailroute_userdb_preinit,
	.deinit = mailroute_userdb_deinit,
	.lookup = mailroute_userdb_lookup,
	.iterate_init = mailroute_iterate_init,
	.iterate_next = mailroute_iterate_next,
	.iterate_deinit = mailroute_iterate_deinit,
};
