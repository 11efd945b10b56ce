/* mailroute-checkpassword: Dovecot 2.3's checkpassword protocol (SPEC 7)
   over the mailroute core.

   Dovecot forks it from the auth process (as the dovecot user) with the
   reply program as the last argument, writes user\0password\0timestamp\0
   to fd 3 and reads the reply program's fd 4. We verify, export the
   account's fields as environment variables and exec the reply program,
   or exit with the status Dovecot maps to the right result. */

#include "checkpassword-request.h"
#include "mailroute-auth-config.h"
#include "mr-admission.h"
#include "mr-config.h"
#include "mr-db.h"
#include "mr-dovecot-fields.h"
#include "mr-options.h"
#include "mr-password.h"
#include "mr-text.h"
#include "mr-userdb-fields.h"

#include <sodium.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_LOGIN_FAILED 1
#define EXIT_PROTOCOL_MISUSE 2
#define EXIT_USER_UNKNOWN 3
#define EXIT_TEMPFAIL 111

#define REQUEST_FD 3

struct request {
	/* one byte more than allowed, to detect oversize input */
	char data[CHECKPASSWORD_REQUEST_MAX_SIZE + 1];
	size_t size;
	const char *user;
	const char *password;
};

static bool verbose;

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Dovecot logs what the child writes to stderr: one line per event,
   never a password or a hash; names from the request escaped, so that a
   line feed in one cannot forge a line. */
static void log_line(const char *fmt, ...)
{
	char raw[2048], escaped[sizeof(raw) * 4];
	va_list args;

	va_start(args, fmt);
	vsnprintf(raw, sizeof(raw), fmt, args);
	va_end(args);
	mr_text_escape_log(raw, escaped, sizeof(escaped));
	fprintf(stderr, "mailroute-checkpassword: %s\n", escaped);
}

/* The database handle's own messages (host failures, failover); debug
   ones with -v only. */
static void log_db_message(void *context, enum mr_db_log_level level,
			   const char *message)
{
	(void)context;
	if (level != MR_DB_LOG_DEBUG || verbose)
		log_line("%s", message);
}

static void usage(FILE *out)
{
	fprintf(out,
"Usage: mailroute-checkpassword [-c FILE] [-v] REPLY-PROGRAM [ARGS...]\n"
"\n"
"Dovecot 2.3 checkpassword program for mailroute accounts. Reads\n"
"user\\0password\\0timestamp\\0 from fd 3, verifies it against the\n"
"mailroute MariaDB database and execs REPLY-PROGRAM with USER, HOME and\n"
"the userdb fields in its environment.\n"
"\n"
"  -c FILE    configuration file (default %s)\n"
"  -v         log why each login or lookup failed to stderr\n"
"  -h, --help, -V, --version\n"
"\n"
"Environment: AUTHORIZED=1 asks for a userdb lookup (no password check);\n"
"CREDENTIALS_LOOKUP=1 is refused (Django hashes are not Dovecot schemes).\n"
"\n"
"Exit status:\n"
"  login:   1 wrong password, unknown or disabled user; 2 protocol misuse;\n"
"           111 temporary failure (database down, configuration error)\n"
"  userdb:  3 unknown user; 111 temporary failure\n"
"  success: the reply program's status (Dovecot expects 0 for a login,\n"
"           2 for a userdb lookup, as checkpassword-reply does).\n",
		MR_CONFIG_DEFAULT_PATH);
}

static int read_request(struct request *request)
{
	const char *reason;

	request->size = 0;
	for (;;) {
		ssize_t ret = read(REQUEST_FD, request->data + request->size,
				   sizeof(request->data) - request->size);

		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0) {
			log_line("read(fd %d) failed: %s", REQUEST_FD,
				 strerror(errno));
			return -1;
		}
		if (ret == 0)
			break;
		request->size += (size_t)ret;
		if (request->size > CHECKPASSWORD_REQUEST_MAX_SIZE)
			break;
	}
	if (checkpassword_request_parse(request->data, request->size,
					&request->user, &request->password,
					&reason) < 0) {
		log_line("fd %d: %s", REQUEST_FD, reason);
		return -1;
	}
	return 0;
}

static int export_field(char *extra, size_t extra_size, const char *name,
			const char *value)
{
	char env_name[64];

	/* Values go out raw: Dovecot 2.3's checkpassword-reply TAB-escapes
	   them (str_append_tabescaped), so userdb_import's TABs survive. */
	snprintf(env_name, sizeof(env_name), "userdb_%s", name);
	if (setenv(env_name, value, 1) < 0)
		return -1;
	if (extra[0] != '\0')
		strncat(extra, " ", extra_size - strlen(extra) - 1);
	strncat(extra, env_name, extra_size - strlen(extra) - 1);
	return 0;
}

/* USER is the canonical user; HOME and the rest become userdb fields
   through checkpassword-reply (userdb_ prefix: prefetched after a login,
   taken as the lookup's result in userdb mode). */
static int export_userdb(const struct mr_config *config,
			 const struct mr_account *account, bool userdb_mode)
{
	struct mr_dovecot_answer answer;
	const struct mr_userdb_fields *fields = &answer.fields;
	const struct mr_dovecot_fields *dovecot = &answer.dovecot;
	struct mr_error error;
	char extra[256] = "";
	int ret = 0;

	if (mr_dovecot_answer_make(config, account, false, &answer,
				   &error) < 0) {
		mr_dovecot_answer_free(&answer);
		log_line("%s", error.message);
		return -1;
	}
	if (fields->continuity_withheld && verbose) {
		log_line("account %llu is hosted and continuity: "
			 "no autoexpunge", (unsigned long long)account->account_id);
	}
	if (setenv("USER", fields->user, 1) < 0 ||
	    setenv("HOME", fields->home, 1) < 0)
		ret = -1;
	/* "home" goes out as HOME */
	for (unsigned int i = 0; i < dovecot->count && ret == 0; i++) {
		if (strcmp(dovecot->list[i].name, "home") != 0)
			ret = export_field(extra, sizeof(extra),
					   dovecot->list[i].name,
					   dovecot->list[i].value);
	}
	if (ret == 0 && userdb_mode)
		ret = export_field(extra, sizeof(extra), "user", fields->user);
	if (ret == 0 && setenv("EXTRA", extra, 1) < 0)
		ret = -1;
	if (ret == 0 && userdb_mode && setenv("AUTHORIZED", "2", 1) < 0)
		ret = -1;
	if (ret < 0)
		log_line("setting the reply environment failed: %s",
			 strerror(errno));
	mr_dovecot_answer_free(&answer);
	return ret;
}

/* One process per login: a verified-credential table of its own would
   die with it, and the host's (verify_cache_file) belongs to the auth
   processes' user, so the login runs without one. */
static int run_login(struct mr_db *db, const struct mr_config *config,
		     const struct request *request, struct mr_match *match)
{
	struct mr_error error;
	struct mr_login login;
	enum mr_login_result result;

	result = mr_admission_login(db, config, NULL, request->user,
				    request->password, &login, &error);
	*match = login.match;
	mr_account_wipe(&login.match.account);
	switch (result) {
	case MR_LOGIN_OK:
		return 0;
	case MR_LOGIN_TEMPFAIL:
		log_line("login %s: %s", request->user, error.message);
		return EXIT_TEMPFAIL;
	case MR_LOGIN_BAD_HASH:
		/* the operator must mend the account: logged even without -v */
		log_line("login %s refused: %s", request->user, error.message);
		return EXIT_LOGIN_FAILED;
	case MR_LOGIN_DISABLED:
	case MR_LOGIN_FAILED:
		if (verbose)
			log_line("login %s refused: %s", request->user,
				 error.message);
		return EXIT_LOGIN_FAILED;
	}
	return EXIT_TEMPFAIL;
}

static int run_userdb(struct mr_db *db, const struct mr_config *config,
		      const struct request *request, struct mr_match *match)
{
	struct mr_error error;

	switch (mr_admission_recipient(db, config, request->user, match,
				       &error)) {
	case MR_DB_FOUND:
		return 0;
	case MR_DB_NOT_FOUND:
		if (verbose)
			log_line("lookup %s: %s", request->user, error.message);
		return EXIT_USER_UNKNOWN;
	case MR_DB_FAILED:
		log_line("lookup %s: %s", request->user, error.message);
		return EXIT_TEMPFAIL;
	}
	return EXIT_TEMPFAIL;
}

static bool env_is(const char *name, const char *value)
{
	const char *env = getenv(name);

	return env != NULL && strcmp(env, value) == 0;
}

/* The request answered: 0 when the reply program is to run (the reply
   environment set), else the exit status. Wipes the request. */
static int answer(const char *config_path, bool userdb_mode,
		  struct request *request)
{
	struct mr_config *config;
	struct mr_db *db;
	struct mr_error error;
	struct mr_match match;
	int status;

	if (mr_password_init() < 0) {
		log_line("libsodium initialisation failed");
		sodium_memzero(request, sizeof(*request));
		return EXIT_TEMPFAIL;
	}
	if (mr_config_load(config_path, &config, &error) < 0) {
		log_line("%s", error.message);
		sodium_memzero(request, sizeof(*request));
		return EXIT_TEMPFAIL;
	}
	db = mr_db_create(config);
	if (db == NULL) {
		status = EXIT_TEMPFAIL;
	} else {
		mr_db_set_log(db, log_db_message, NULL);
		status = userdb_mode ?
			run_userdb(db, config, request, &match) :
			run_login(db, config, request, &match);
	}
	sodium_memzero(request, sizeof(*request));
	mr_db_destroy(&db);

	if (status == 0 && export_userdb(config, &match.account,
					 userdb_mode) < 0)
		status = EXIT_TEMPFAIL;
	mr_account_wipe(&match.account);
	mr_config_free(&config);
	return status;
}

int main(int argc, char *argv[])
{
	struct mr_options options;
	struct request request;
	bool userdb_mode;
	int status;

	/* options end at the reply program, whose own options follow */
	switch (mr_options_parse(argc, argv, "mailroute-checkpassword", true,
				 usage, &options)) {
	case MR_OPTIONS_RUN:
		break;
	case MR_OPTIONS_DONE:
		return 0;
	case MR_OPTIONS_BAD:
		return EXIT_PROTOCOL_MISUSE;
	}
	verbose = options.verbose;
	if (options.operands >= argc) {
		log_line("no reply program given (Dovecot appends it)");
		return EXIT_PROTOCOL_MISUSE;
	}
	userdb_mode = env_is("AUTHORIZED", "1");
	if (env_is("CREDENTIALS_LOOKUP", "1")) {
		log_line("credentials lookups are not supported: use a "
			 "plaintext mechanism (PLAIN, LOGIN) with this passdb");
		return EXIT_PROTOCOL_MISUSE;
	}
	if (read_request(&request) < 0)
		return EXIT_PROTOCOL_MISUSE;
	status = answer(options.config_path, userdb_mode, &request);
	if (status != 0)
		return status;

	execv(argv[options.operands], &argv[options.operands]);
	log_line("execv(%s) failed: %s", argv[options.operands],
		 strerror(errno));
	return EXIT_TEMPFAIL;
}
