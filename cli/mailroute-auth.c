/* mailroute-auth: the operator's tool. Shows what the userdb would answer
   for an address and why, checks the configuration and database, tests a
   password against a stored Django hash, and reports which accounts'
   hashes Stalwart could not verify. */

#include "mailroute-auth-config.h"
#include "compare-legacy.h"
#include "list-expansion.h"
#include "output.h"
#include "quota-report.h"
#include "stalwart-lists.h"
#include "mr-admission.h"
#include "mr-config.h"
#include "mr-file.h"
#include "mr-db.h"
#include "mr-options.h"
#include "mr-password.h"
#include "mr-stalwart.h"
#include "mr-text.h"
#include "mr-dovecot-fields.h"

#include <sodium.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#define EXIT_FOUND 0
#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_DB_FAILURE 3

/* pw-test, as doveadm pw -t */
#define EXIT_PW_MATCH 0
#define EXIT_PW_MISMATCH 1
#define EXIT_PW_UNVERIFIABLE 2

#define PASSWORD_MAX 4096

/* One entry per command: what usage and COMMAND --help print, how many
   operands it takes, and what runs it. */
struct command {
	const char *name;
	/* as usage shows them, "" for none */
	const char *operands;
	int min_operands, max_operands;
	/* lines, each ending in '\n' */
	const char *help;
	int (*run)(const struct mr_config *config, char *operands[]);
};

static const struct command commands[];

/* "  NAME OPERANDS" then the help lines indented to column 24; a name too
   long for that column gets its help on the next line. */
static void command_usage(FILE *out, const struct command *command)
{
	const char *line = command->help, *end;
	int width = fprintf(out, "  %s%s%s", command->name,
			    *command->operands != '\0' ? " " : "",
			    command->operands);

	if (width > 22) {
		fputc('\n', out);
		width = 0;
	}
	for (; *line != '\0'; line = end + 1) {
		end = strchr(line, '\n');
		fprintf(out, "%*s%.*s\n", 23 - width, "", (int)(end - line), line);
		width = 0;
	}
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: mailroute-auth [-c FILE] COMMAND [ARGS]\n"
		"       mailroute-auth help COMMAND | COMMAND --help\n"
		"\nCommands:\n");
	for (const struct command *command = commands; command->name != NULL;
	     command++)
		command_usage(out, command);
	fprintf(out, "\n"
		"  -c FILE   configuration file (default %s)\n"
		"  -h, --help, -V, --version\n", MR_CONFIG_DEFAULT_PATH);
}

/* One command's usage line, then its help: COMMAND --help on stdout, a
   wrong operand count on stderr. */
static void command_usage_full(FILE *out, const struct command *command)
{
	fprintf(out, "Usage: mailroute-auth [-c FILE] %s%s%s\n\n", command->name,
		*command->operands != '\0' ? " " : "", command->operands);
	command_usage(out, command);
}

static const struct command *command_find(const char *name)
{
	for (const struct command *command = commands; command->name != NULL;
	     command++) {
		if (strcmp(command->name, name) == 0)
			return command;
	}
	return NULL;
}

static struct mr_config *load_config(const char *path)
{
	struct mr_config *config;
	struct mr_error error;

	if (mr_config_load(path, &config, &error) < 0) {
		fprintf(stderr, "mailroute-auth: %s\n", error.message);
		return NULL;
	}
	return config;
}

static void print_fields(const struct mr_config *config,
			 const struct mr_account *account, int *status)
{
	struct mr_userdb_fields fields;
	struct mr_dovecot_fields dovecot;
	const struct mr_field *list = dovecot.list;
	struct mr_error error;

	if (mr_userdb_fields_build(config, account, &fields, &error) < 0 ||
	    mr_dovecot_fields_make(config, &fields, &dovecot, &error) < 0) {
		mr_userdb_fields_free(&fields);
		printf("refused: %s\n", error.message);
		*status = EXIT_DB_FAILURE;
		return;
	}
	printf("user\t%s\n", output_text(fields.user));
	for (unsigned int i = 0; i < dovecot.count; i++) {
		/* one line per import, as Dovecot splits them */
		if (strcmp(list[i].name, "userdb_import") == 0) {
			char *imports = strdup(list[i].value), *save = NULL;

			for (char *item = strtok_r(imports, "\t", &save);
			     item != NULL; item = strtok_r(NULL, "\t", &save))
				printf("%s\t%s\n", list[i].name,
				       output_text(item));
			free(imports);
		} else {
			printf("%s\t%s\n", list[i].name,
			       output_text(list[i].value));
		}
	}
	if (fields.continuity_withheld)
		printf("note\thosted and continuity: hosted wins, no autoexpunge\n");
	mr_dovecot_fields_free(&dovecot);
	mr_userdb_fields_free(&fields);
}

/* The database handle's own messages (host failures, failover) go to
   stderr; debug ones are left out. */
static void log_db_message(void *context, enum mr_db_log_level level,
			   const char *message)
{
	(void)context;
	if (level != MR_DB_LOG_DEBUG)
		fprintf(stderr, "mailroute-auth: %s\n", message);
}

static struct mr_db *cli_db_create(const struct mr_config *config)
{
	struct mr_db *db = mr_db_create(config);

	if (db != NULL)
		mr_db_set_log(db, log_db_message, NULL);
	return db;
}

static int cmd_lookup(const struct mr_config *config, char *operands[])
{
	const char *name = operands[0];
	struct mr_db *db = cli_db_create(config);
	struct mr_match match;
	struct mr_error error;
	char rule[64];
	int status = EXIT_FOUND;

	if (db == NULL)
		return EXIT_DB_FAILURE;
	switch (mr_resolve_recipient(db, config->recipient_delimiter, name,
				     &match, &error)) {
	case MR_DB_FAILED:
		printf("error: %s\n", error.message);
		status = EXIT_DB_FAILURE;
		break;
	case MR_DB_NOT_FOUND:
		printf("unknown: %s\n", error.message);
		status = EXIT_REFUSED;
		break;
	case MR_DB_FOUND: {
		const struct mr_account *account = &match.account;

		printf("address\t%s\n", name);
		printf("matched\t%s (%s)\n", mr_match_rule(&match, rule, sizeof(rule)),
		       match.matched_localpart);
		printf("account\t%llu\n", (unsigned long long)account->account_id);
		printf("active\t%s\nhosted\t%s\ncontinuity\t%s\n",
		       account->is_active ? "yes" : "no",
		       account->hosted ? "yes" : "no",
		       account->continuity ? "yes" : "no");
		printf("password\t%s\n", mr_password_format(account->password));
		if (!mr_account_may_receive(account)) {
			printf("refused: neither hosted nor continuity\n");
			status = EXIT_REFUSED;
			break;
		}
		if (!mr_account_may_login(account))
			printf("login\trefused (user is not active; mail is still delivered)\n");
		print_fields(config, account, &status);
		break;
	}
	}
	mr_account_wipe(&match.account);
	mr_db_destroy(&db);
	return status;
}

/* One plan row: "plan" then the columns that say how a table is read. */
static void print_plan_row(void *context, unsigned int count,
			   const char *const *names,
			   const char *const *values)
{
	static const char *const shown[] = {
		"select_type", "table", "type", "key", "rows", "Extra",
	};

	(void)context;
	printf("plan");
	for (unsigned int i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		for (unsigned int j = 0; j < count; j++) {
			if (strcmp(names[j], shown[i]) == 0)
				printf("\t%s=%s", names[j], values[j]);
		}
	}
	printf("\n");
}

/* The server that answered; -1 (reported) when it cannot be read or the
   schema is older than this code. */
static int print_server(struct mr_db *db)
{
	struct mr_db_server server;
	struct mr_error error;

	if (mr_db_server_info(db, &server, &error) < 0) {
		fprintf(stderr, "mailroute-auth: database: %s\n",
			error.message);
		return -1;
	}
	printf("server\t%s\n", server.host);
	printf("version\t%s\n", server.version);
	printf("tls\t%s\n", server.tls_cipher[0] != '\0' ?
	       server.tls_cipher : "none");
	printf("schema\t%lu\n", server.schema_version);
	if (server.schema_version < MR_DB_SCHEMA_VERSION) {
		fprintf(stderr, "mailroute-auth: database: schema version %lu, "
			"this version reads %u: apply sql/migrations up to "
			"%04u\n", server.schema_version, MR_DB_SCHEMA_VERSION,
			MR_DB_SCHEMA_VERSION);
		return -1;
	}
	return 0;
}

static int cmd_check_config(const struct mr_config *config, char *operands[])
{
	(void)operands;
	struct mr_db *db = cli_db_create(config);
	struct mr_match match;
	struct mr_error error;
	int status = EXIT_FOUND;

	/* A lookup of an address no account has proves the connection, the
	   grants and the views in one step. The plan is the one the lookup
	   statement gets, bound values and all; EXPLAIN of a view needs the
	   SHOW VIEW grant, which lookups do not. */
	if (db == NULL ||
	    mr_resolve_login(db, "check-config@invalid", &match,
			     &error) == MR_DB_FAILED) {
		fprintf(stderr, "mailroute-auth: database: %s\n",
			db == NULL ? "out of memory" : error.message);
		status = EXIT_DB_FAILURE;
	} else if (print_server(db) < 0) {
		status = EXIT_DB_FAILURE;
	} else {
		if (mr_db_explain_find_address(db, "check-config", "invalid",
					       print_plan_row, NULL,
					       &error) < 0)
			printf("plan\tnot shown: %s\n", error.message);
		printf("%s: ok\n", config->path);
	}
	mr_account_wipe(&match.account);
	mr_db_destroy(&db);
	return status;
}

/* The listing the module's userdb iterate gives Dovecot; stopping after
   `limit` names leaves nothing running on the server. */
static int cmd_users(const struct mr_config *config, char *operands[])
{
	const char *limit_arg = operands[0];
	unsigned long limit = ULONG_MAX, listed = 0;
	struct mr_db *db;
	struct mr_db_user_iter *iter;
	struct mr_account account;
	struct mr_error error;
	enum mr_db_result ret = MR_DB_FAILED;

	if (limit_arg != NULL &&
	    !mr_parse_ulong(limit_arg, 1, ULONG_MAX, &limit)) {
		fprintf(stderr, "mailroute-auth: users: LIMIT must be a "
			"positive decimal number\n");
		return EXIT_USAGE;
	}
	db = cli_db_create(config);
	if (db == NULL)
		return EXIT_DB_FAILURE;
	iter = mr_db_user_iter_init(db, MR_DB_USERS_RECEIVING, &error);
	if (iter != NULL) {
		while (listed < limit &&
		       (ret = mr_db_user_iter_next(iter, &account, &error)) ==
		       MR_DB_FOUND) {
			/* as the module skips them: such a name cannot travel
			   in Dovecot's protocol */
			if (mr_text_is_printable(account.localpart) &&
			    mr_text_is_printable(account.domain))
				printf("%s@%s\n", account.localpart,
				       account.domain);
			else
				fprintf(stderr, "account %llu skipped: control "
					"characters in its name\n",
					(unsigned long long)account.account_id);
			mr_account_wipe(&account);
			listed++;
		}
		if (listed == limit)
			ret = MR_DB_NOT_FOUND;
		mr_db_user_iter_deinit(&iter);
	}
	mr_db_destroy(&db);
	if (ret == MR_DB_FAILED) {
		fprintf(stderr, "mailroute-auth: database: %s\n", error.message);
		return EXIT_DB_FAILURE;
	}
	return EXIT_FOUND;
}

#define CENSUS_MAX_FORMATS 32
/* distinct PBKDF2 costs: a few per Django release the passwords were set
   under; more are left out of the median */
#define CENSUS_MAX_COSTS 64

struct census_cost {
	unsigned long iterations;
	unsigned long hashes;
};

static void census_add_cost(struct census_cost *costs, unsigned int *count,
			    unsigned long iterations)
{
	for (unsigned int i = 0; i < *count; i++) {
		if (costs[i].iterations == iterations) {
			costs[i].hashes++;
			return;
		}
	}
	if (*count < CENSUS_MAX_COSTS)
		costs[(*count)++] = (struct census_cost){ iterations, 1 };
}

static int census_cost_cmp(const void *a, const void *b)
{
	unsigned long x = ((const struct census_cost *)a)->iterations;
	unsigned long y = ((const struct census_cost *)b)->iterations;

	return (x > y) - (x < y);
}

/* The decoy an unknown user costs should be what a wrong password costs:
   the median stored PBKDF2 cost against dummy_pbkdf2_iterations. */
static void census_print_costs(const struct mr_config *config,
			       struct census_cost *costs, unsigned int count)
{
	unsigned long total = 0, seen = 0, median = 0;
	unsigned long dummy = config->hash.dummy_pbkdf2_iterations;

	for (unsigned int i = 0; i < count; i++)
		total += costs[i].hashes;
	if (total == 0)
		return;
	qsort(costs, count, sizeof(costs[0]), census_cost_cmp);
	for (unsigned int i = 0; i < count && seen * 2 < total; i++) {
		seen += costs[i].hashes;
		median = costs[i].iterations;
	}
	printf("# pbkdf2 iterations: median %lu over %lu hashes; "
	       "dummy_pbkdf2_iterations = %lu\n", median, total, dummy);
	if (median > dummy + dummy / 20 || median < dummy - dummy / 20) {
		printf("# set dummy_pbkdf2_iterations = %lu: unknown users "
		       "must cost what a wrong password costs\n", median);
	}
}

struct census_count {
	const char *format;
	unsigned long accounts;
	/* may log in: active, hosted or continuity */
	unsigned long admitted;
};

static struct census_count *census_count_of(struct census_count *counts,
					    unsigned int *count,
					    const char *format)
{
	for (unsigned int i = 0; i < *count; i++) {
		if (strcmp(counts[i].format, format) == 0)
			return &counts[i];
	}
	/* format names are a fixed set far smaller than the table */
	counts[*count] = (struct census_count){ .format = format };
	return &counts[(*count)++];
}

/* A stored hash every front end refuses (and logs) at each login:
   malformed, over a cap, or a variant this build cannot verify. Listed so
   that the operator fixes the rows before their users call. */
static bool census_list_unverifiable(const struct mr_config *config,
				     const struct mr_account *account,
				     const char *format, FILE *out)
{
	const char *reason;
	enum mr_password_result result;

	if (!mr_password_may_match(account->password))
		return false;
	result = mr_password_check_stored(&config->hash, account->password,
					  &reason);
	if (result == MR_PASSWORD_MISMATCH)
		return false;
	fprintf(out, "%llu\t%s@%s\t%s\t%s\t%s\n",
		(unsigned long long)account->account_id,
		output_text(account->localpart), output_text(account->domain),
		format,
		result == MR_PASSWORD_TOO_COSTLY ? "over-cap" :
		result == MR_PASSWORD_MALFORMED ? "malformed" : "unverifiable",
		reason);
	return true;
}

static int cmd_hash_census(const struct mr_config *config, char *operands[])
{
	(void)operands;
	struct census_count counts[CENSUS_MAX_FORMATS];
	struct census_cost costs[CENSUS_MAX_COSTS];
	unsigned int count = 0, listed = 0, unverifiable = 0, cost_count = 0;
	char *unverifiable_rows = NULL;
	size_t unverifiable_size = 0;
	FILE *unverifiable_out;
	unsigned long iterations;
	struct mr_db *db = cli_db_create(config);
	struct mr_db_user_iter *iter = NULL;
	struct mr_account account;
	struct mr_error error;
	enum mr_db_result ret = MR_DB_FAILED;

	if (db == NULL)
		return EXIT_DB_FAILURE;
	unverifiable_out = open_memstream(&unverifiable_rows, &unverifiable_size);
	if (unverifiable_out == NULL) {
		fprintf(stderr, "mailroute-auth: open_memstream: %s\n",
			strerror(errno));
		mr_db_destroy(&db);
		return EXIT_DB_FAILURE;
	}
	iter = mr_db_user_iter_init(db, MR_DB_USERS_ALL, &error);
	if (iter != NULL) {
		printf("# may log in, with a hash Stalwart cannot verify:\n"
		       "# account\tuser\tformat\n");
		while ((ret = mr_db_user_iter_next(iter, &account, &error)) ==
		       MR_DB_FOUND) {
			const char *format = mr_password_format(account.password);
			struct census_count *c =
				census_count_of(counts, &count, format);
			bool may_login = mr_account_may_login(&account);

			c->accounts++;
			c->admitted += may_login ? 1 : 0;
			if (may_login &&
			    mr_password_pbkdf2_iterations(account.password,
							  &iterations))
				census_add_cost(costs, &cost_count, iterations);
			/* hashes no system verifies (unusable, empty, unknown)
			   lock nobody out by moving: they are only counted */
			if (may_login && mr_password_may_match(account.password) &&
			    !mr_stalwart_can_verify(format)) {
				printf("%llu\t%s@%s\t%s\n",
				       (unsigned long long)account.account_id,
				       output_text(account.localpart),
				       output_text(account.domain), format);
				listed++;
			}
			if (census_list_unverifiable(config, &account, format,
						     unverifiable_out))
				unverifiable++;
			mr_account_wipe(&account);
		}
		mr_db_user_iter_deinit(&iter);
	}
	mr_db_destroy(&db);
	fclose(unverifiable_out);
	if (ret == MR_DB_FAILED) {
		free(unverifiable_rows);
		fprintf(stderr, "mailroute-auth: database: %s\n", error.message);
		return EXIT_DB_FAILURE;
	}
	printf("# format\taccounts\tmay log in\tStalwart verifies\n");
	for (unsigned int i = 0; i < count; i++) {
		printf("%s\t%lu\t%lu\t%s\n", counts[i].format,
		       counts[i].accounts, counts[i].admitted,
		       mr_stalwart_can_verify(counts[i].format) ? "yes" : "no");
	}
	printf("# %u account%s to move before Stalwart\n", listed,
	       listed == 1 ? "" : "s");
	printf("# stored hash refused at every login, by every front end:\n"
	       "# account\tuser\tformat\tproblem\treason\n%s"
	       "# %u account%s with an unverifiable hash\n",
	       unverifiable_rows, unverifiable, unverifiable == 1 ? "" : "s");
	free(unverifiable_rows);
	census_print_costs(config, costs, cost_count);
	return listed == 0 && unverifiable == 0 ? EXIT_FOUND : EXIT_REFUSED;
}

static int read_password(char *buf, size_t size)
{
	size_t len;

	if (fgets(buf, (int)size, stdin) == NULL) {
		buf[0] = '\0';
		return feof(stdin) ? 0 : -1;
	}
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	else if (!feof(stdin))
		return -1;
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	return 0;
}

static int cmd_pw_test(const struct mr_config *config, char *operands[])
{
	char password[PASSWORD_MAX];
	char *stored = NULL;
	struct mr_error error;
	enum mr_password_result result;
	const char *reason;

	/* Never the hash on the command line: every local user can read
	   it there (/proc/PID/cmdline). */
	if (operands[0] != NULL && operands[1] != NULL &&
	    strcmp(operands[0], "-f") == 0) {
		if (mr_read_small_file(operands[1], 4096, &stored, NULL,
				       &error) < 0) {
			fprintf(stderr, "mailroute-auth: %s\n", error.message);
			return EXIT_PW_UNVERIFIABLE;
		}
		stored[strcspn(stored, "\r\n")] = '\0';
	} else if (operands[0] == NULL) {
		stored = malloc(MR_PASSWORD_SIZE);
		if (stored != NULL &&
		    read_password(stored, MR_PASSWORD_SIZE) < 0) {
			fprintf(stderr, "mailroute-auth: cannot read the hash\n");
			sodium_memzero(stored, MR_PASSWORD_SIZE);
			free(stored);
			return EXIT_PW_UNVERIFIABLE;
		}
	} else {
		command_usage_full(stderr, command_find("pw-test"));
		return EXIT_USAGE;
	}
	if (stored == NULL || read_password(password, sizeof(password)) < 0) {
		fprintf(stderr, "mailroute-auth: cannot read the password\n");
		free(stored);
		return EXIT_PW_UNVERIFIABLE;
	}
	result = mr_password_verify(&config->hash, password, stored, &reason);
	sodium_memzero(password, sizeof(password));
	sodium_memzero(stored, strlen(stored));
	free(stored);
	switch (result) {
	case MR_PASSWORD_MATCH:
		printf("match\n");
		return EXIT_PW_MATCH;
	case MR_PASSWORD_MISMATCH:
		printf("mismatch\n");
		return EXIT_PW_MISMATCH;
	default:
		fprintf(stderr, "mailroute-auth: %s\n", reason);
		return EXIT_PW_UNVERIFIABLE;
	}
}

/* One worker's share of the addresses; 0, or EXIT_DB_FAILURE reported. */
static int compare_legacy_worker(const struct mr_config *config,
				 unsigned int part, unsigned int parts,
				 struct compare_legacy_counts *counts)
{
	struct mr_db *listing = cli_db_create(config);
	struct mr_db *lookups = cli_db_create(config);
	struct mr_error error;
	int status = 0;

	if (listing == NULL || lookups == NULL) {
		fprintf(stderr, "mailroute-auth: out of memory\n");
		status = EXIT_DB_FAILURE;
	} else if (compare_legacy_part(config, listing, lookups, part, parts,
				       counts, &error) < 0) {
		fprintf(stderr, "mailroute-auth: database: %s%s\n",
			error.message,
			strstr(error.message, "temporary_hosted") != NULL ?
			" (compare before migration 0003 renames "
			"temporary_hosted)" : "");
		status = EXIT_DB_FAILURE;
	}
	mr_db_destroy(&listing);
	mr_db_destroy(&lookups);
	return status;
}

/* jobs workers, each a process with its connections, its share of the
   addresses and its counts sent back through a pipe. */
static int compare_legacy_in_workers(const struct mr_config *config,
				     unsigned int jobs,
				     struct compare_legacy_counts *total)
{
	struct compare_legacy_counts counts;
	int fds[2], status, failed = 0;

	if (pipe(fds) < 0) {
		fprintf(stderr, "mailroute-auth: pipe: %s\n", strerror(errno));
		return EXIT_DB_FAILURE;
	}
	fflush(stdout);
	for (unsigned int part = 0; part < jobs; part++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "mailroute-auth: fork: %s\n",
				strerror(errno));
			failed = 1;
			break;
		}
		if (pid == 0) {
			close(fds[0]);
			/* whole lines, so that workers' lines never mix */
			setvbuf(stdout, NULL, _IOLBF, 0);
			memset(&counts, 0, sizeof(counts));
			status = compare_legacy_worker(config, part, jobs,
						       &counts);
			fflush(stdout);
			if (status == 0 &&
			    write(fds[1], &counts, sizeof(counts)) !=
			    (ssize_t)sizeof(counts))
				status = EXIT_DB_FAILURE;
			_exit(status);
		}
	}
	close(fds[1]);
	while (read(fds[0], &counts, sizeof(counts)) == (ssize_t)sizeof(counts)) {
		total->addresses += counts.addresses;
		for (unsigned int i = 0; i < COMPARE_LEGACY_CATEGORIES; i++)
			total->by_category[i] += counts.by_category[i];
	}
	close(fds[0]);
	while (wait(&status) > 0) {
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	}
	return failed ? EXIT_DB_FAILURE : 0;
}

static int cmd_list(const struct mr_config *config, char *operands[])
{
	const char *address = operands[0];
	struct mr_db *db = cli_db_create(config);
	struct mr_error error;
	int status = EXIT_REFUSED;

	if (db == NULL)
		return EXIT_DB_FAILURE;
	switch (list_expansion_print(db, address, &error)) {
	case LIST_EXPANSION_FAILED:
		fprintf(stderr, "mailroute-auth: database: %s\n", error.message);
		status = EXIT_DB_FAILURE;
		break;
	case LIST_EXPANSION_NOT_A_LIST:
	case LIST_EXPANSION_INACTIVE:
		break;
	case LIST_EXPANSION_ACTIVE:
		status = EXIT_FOUND;
		break;
	}
	mr_db_destroy(&db);
	return status;
}

static int cmd_check_lists(const struct mr_config *config, char *operands[])
{
	(void)operands;
	struct mr_db *db = cli_db_create(config);
	struct mr_error error;
	int collisions;

	if (db == NULL)
		return EXIT_DB_FAILURE;
	collisions = list_collisions_print(db, &error);
	if (collisions < 0)
		fprintf(stderr, "mailroute-auth: database: %s\n", error.message);
	else
		printf("%d addresses both a list's and an account's\n",
		       collisions);
	mr_db_destroy(&db);
	return collisions < 0 ? EXIT_DB_FAILURE :
		collisions > 0 ? EXIT_REFUSED : EXIT_FOUND;
}

static int cmd_stalwart_lists(const struct mr_config *config, char *operands[])
{
	(void)operands;
	struct mr_db *db = cli_db_create(config);
	struct mr_error error;
	int lists;

	if (db == NULL)
		return EXIT_DB_FAILURE;
	lists = stalwart_lists_print(db, &error);
	if (lists < 0)
		fprintf(stderr, "mailroute-auth: database: %s\n", error.message);
	mr_db_destroy(&db);
	return lists < 0 ? EXIT_DB_FAILURE : EXIT_FOUND;
}

static int cmd_stalwart_mailing_lists(const struct mr_config *config,
				      char *operands[])
{
	const char *domain_ids_path = operands[0];
	struct stalwart_domain_ids domain_ids;
	struct mr_error error;
	struct mr_db *db;
	unsigned int left_out = 0;
	int lists;

	if (stalwart_domain_ids_load(domain_ids_path, &domain_ids, &error) < 0) {
		fprintf(stderr, "mailroute-auth: %s\n", error.message);
		return EXIT_USAGE;
	}
	if ((db = cli_db_create(config)) == NULL) {
		stalwart_domain_ids_free(&domain_ids);
		return EXIT_DB_FAILURE;
	}
	lists = stalwart_mailing_lists_print(db, &domain_ids, &left_out,
					     &error);
	if (lists < 0)
		fprintf(stderr, "mailroute-auth: database: %s\n", error.message);
	mr_db_destroy(&db);
	stalwart_domain_ids_free(&domain_ids);
	return lists < 0 ? EXIT_DB_FAILURE :
		left_out > 0 ? EXIT_REFUSED : EXIT_FOUND;
}

static int cmd_quota(const struct mr_config *config, char *operands[])
{
	const char *domain = operands[0];
	struct mr_db *db = cli_db_create(config);
	struct mr_error error;
	int users;

	if (db == NULL)
		return EXIT_DB_FAILURE;
	users = quota_report_print(db, domain, &error);
	if (users < 0)
		fprintf(stderr, "mailroute-auth: database: %s\n", error.message);
	mr_db_destroy(&db);
	return users < 0 ? EXIT_DB_FAILURE :
		users == 0 ? EXIT_REFUSED : EXIT_FOUND;
}

static int cmd_compare_legacy(const struct mr_config *config,
			      char *operands[])
{
	const char *jobs_arg = operands[0];
	struct compare_legacy_counts total;
	unsigned long jobs = 1;
	int status;

	if (jobs_arg != NULL && !mr_parse_ulong(jobs_arg, 1, 64, &jobs)) {
		fprintf(stderr, "mailroute-auth: compare-legacy: JOBS must be "
			"a number 1-64\n");
		return EXIT_USAGE;
	}
	if (strcmp(config->mail_root, "/data/mailstorage") != 0 ||
	    strcmp(config->index_root, "/data/mailindices") != 0)
		fprintf(stderr, "mailroute-auth: mail_root or index_root is not "
			"the legacy query's /data/mailstorage, "
			"/data/mailindices: every home will differ\n");
	memset(&total, 0, sizeof(total));
	status = jobs == 1 ?
		compare_legacy_worker(config, 0, 1, &total) :
		compare_legacy_in_workers(config, (unsigned int)jobs, &total);
	if (status != 0)
		return status;
	return compare_legacy_summary(&total) > 0 ? 1 : 0;
}

static const struct command commands[] = {
	{ "lookup", "USER@DOMAIN", 1, 1,
	  "what the userdb returns for this address and which\n"
	  "rule matched, or why it is refused\n"
	  "exit: 0 found, 1 unknown or refused, 2 usage or\n"
	  "configuration error, 3 database failure or data error\n",
	  cmd_lookup },
	{ "check-config", "", 0, 0,
	  "parse the configuration and connect to the database\n"
	  "exit: 0 ok, 2 configuration error, 3 database failure\n",
	  cmd_check_config },
	{ "pw-test", "[-f FILE]", 0, 2,
	  "verify a password against a stored Django hash:\n"
	  "the hash from FILE or the first line of standard\n"
	  "input, then the password from the next line\n"
	  "exit: 0 match, 1 mismatch, 2 unsupported or\n"
	  "malformed hash (reason on stderr)\n",
	  cmd_pw_test },
	{ "users", "[LIMIT]", 0, 1,
	  "the canonical users Dovecot lists (doveadm user '*',\n"
	  "dsync), at most LIMIT of them\n"
	  "exit: 0 listed, 3 database failure\n",
	  cmd_users },
	{ "hash-census", "", 0, 0,
	  "count accounts per stored hash format, and list the\n"
	  "accounts that may log in with a hash Stalwart cannot\n"
	  "verify (they must log in once through Django, or\n"
	  "reset, before moving to Stalwart), and the accounts\n"
	  "whose stored hash never verifies anywhere: malformed\n"
	  "or over a hash_max_* cap\n"
	  "exit: 0 none to list, 1 accounts listed, 3 database\n"
	  "failure\n",
	  cmd_hash_census },
	{ "list", "ADDRESS", 1, 1,
	  "the distribution list at this address: every member\n"
	  "it delivers to and why, the members it skips and why\n"
	  "exit: 0 an active list, 1 not a list or inactive,\n"
	  "3 database failure\n",
	  cmd_list },
	{ "check-lists", "", 0, 0,
	  "addresses that are both a list's and an account's\n"
	  "(Postfix expands the list; the account gets no mail)\n"
	  "exit: 0 none, 1 listed, 3 database failure\n",
	  cmd_check_lists },
	{ "stalwart-lists", "", 0, 0,
	  "every active list as the principal Stalwart 0.10.7 to\n"
	  "0.15's management API creates (POST /api/principal),\n"
	  "one JSON object per line\n"
	  "exit: 0 printed, 3 database failure\n",
	  cmd_stalwart_lists },
	{ "stalwart-mailing-lists", "DOMAIN-IDS", 1, 1,
	  "every active list as Stalwart 0.16's MailingList\n"
	  "object, one JSON object per line; DOMAIN-IDS is a\n"
	  "file of \"domain id\" lines, Stalwart's id of each\n"
	  "domain name (one id names one domain)\n"
	  "exit: 0 printed, 1 lists or aliases left out for\n"
	  "want of a domain id (named on standard error),\n"
	  "2 unreadable or ambiguous DOMAIN-IDS, 3 database\n"
	  "failure\n",
	  cmd_stalwart_mailing_lists },
	{ "quota", "DOMAIN", 1, 1,
	  "each user of the domain (any of its names) with the\n"
	  "quota its policies give and the usage Dovecot last\n"
	  "wrote (quota_clone), and the domain's totals\n"
	  "exit: 0 users listed, 1 none, 3 database failure\n",
	  cmd_quota },
	{ "compare-legacy", "[JOBS]", 0, 1,
	  "before the cut-over (temporary_hosted still there):\n"
	  "every address answered by the legacy production\n"
	  "queries and by mailroute, each difference with its\n"
	  "category, intended or unexpected; JOBS worker\n"
	  "processes share the addresses (default 1)\n"
	  "exit: 0 none unexpected, 1 unexpected differences,\n"
	  "3 database failure\n",
	  cmd_compare_legacy },
	{ NULL, NULL, 0, 0, NULL, NULL }
};

static bool is_help_option(const char *arg)
{
	return arg != NULL &&
		(strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0);
}

/* "help COMMAND" and "COMMAND --help" print that command's usage on
   stdout and exit 0, before any configuration is read; a name that is no
   command is a usage error. */
static int command_help(const char *name)
{
	const struct command *command = command_find(name);

	if (command == NULL) {
		fprintf(stderr, "mailroute-auth: no command %s\n", name);
		usage(stderr);
		return EXIT_USAGE;
	}
	command_usage_full(stdout, command);
	return 0;
}

int main(int argc, char *argv[])
{
	struct mr_options options;
	struct mr_config *config;
	const struct command *command;
	char **operands;
	int operand, count, status;

	switch (mr_options_parse(argc, argv, "mailroute-auth", false, usage,
				 &options)) {
	case MR_OPTIONS_RUN:
		break;
	case MR_OPTIONS_DONE:
		return 0;
	case MR_OPTIONS_BAD:
		return EXIT_USAGE;
	}
	operand = options.operands;
	if (operand >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[operand], "help") == 0) {
		if (argc - operand != 2) {
			usage(argc - operand == 1 ? stdout : stderr);
			return argc - operand == 1 ? 0 : EXIT_USAGE;
		}
		return command_help(argv[operand + 1]);
	}
	if ((command = command_find(argv[operand])) == NULL) {
		usage(stderr);
		return EXIT_USAGE;
	}
	operands = argv + operand + 1;
	count = argc - operand - 1;
	if (count == 1 && is_help_option(operands[0]))
		return command_help(command->name);
	if (count < command->min_operands || count > command->max_operands) {
		command_usage_full(stderr, command);
		return EXIT_USAGE;
	}
	if (mr_password_init() < 0) {
		fprintf(stderr, "mailroute-auth: libsodium initialisation failed\n");
		return EXIT_USAGE;
	}

	/* pw-test needs only the hash caps: it runs without a configuration
	   file when none is installed. */
	if (command->run == cmd_pw_test && access(options.config_path, F_OK) != 0)
		config = mr_config_new_defaults();
	else
		config = load_config(options.config_path);
	if (config == NULL)
		return EXIT_USAGE;
	status = command->run(config, operands);
	mr_config_free(&config);
	return status;
}
