/* mailroute-auth: the operator's tool. The command table, usage and help
   made from it, and the dispatcher: it reads the configuration, makes the
   database handle a command needs, runs it and returns its status. The
   commands themselves live in their own files (command.h). */

#include "mailroute-auth-config.h"
#include "command.h"
#include "mr-options.h"
#include "mr-password.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
void command_usage_full(FILE *out, const struct command *command)
{
	fprintf(out, "Usage: mailroute-auth [-c FILE] %s%s%s\n\n", command->name,
		*command->operands != '\0' ? " " : "", command->operands);
	command_usage(out, command);
}

const struct command *command_find(const char *name)
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

/* The database handle's own messages (host failures, failover) go to
   stderr; debug ones are left out. */
static void log_db_message(void *context, enum mr_db_log_level level,
			   const char *message)
{
	(void)context;
	if (level != MR_DB_LOG_DEBUG)
		fprintf(stderr, "mailroute-auth: %s\n", message);
}

struct mr_db *cli_db_create(const struct mr_config *config)
{
	struct mr_db *db = mr_db_create(config);

	if (db != NULL)
		mr_db_set_log(db, log_db_message, NULL);
	return db;
}

void cli_database_error(const struct mr_error *error)
{
	fprintf(stderr, "mailroute-auth: database: %s\n", error->message);
}

/* needs_database, config_optional after the operand counts. compare-legacy
   makes its own handles: two per worker process, made after the fork. */
static const struct command commands[] = {
	{ "lookup", "USER@DOMAIN", 1, 1,
	  true, false,
	  "what the userdb returns for this address and which\n"
	  "rule matched, or why it is refused\n"
	  "exit: 0 found, 1 unknown or refused, 2 usage or\n"
	  "configuration error, 3 database failure or data error\n",
	  cmd_lookup },
	{ "login", "USER@DOMAIN", 1, 1,
	  true, false,
	  "what the passdb answers for a login with the password\n"
	  "read from standard input (never the command line):\n"
	  "the module's and checkpassword's one login path,\n"
	  "the fields of an admitted account, or why it is\n"
	  "refused\n"
	  "exit: 0 admitted, 1 refused (unknown, wrong password,\n"
	  "disabled, unusable hash), 2 usage or configuration\n"
	  "error, 3 temporary failure (database, two accounts,\n"
	  "no safe mail path)\n",
	  cmd_login },
	{ "check-config", "", 0, 0,
	  true, false,
	  "parse the configuration and connect to the database\n"
	  "exit: 0 ok, 2 configuration error, 3 database failure\n",
	  cmd_check_config },
	{ "pw-test", "[-f FILE]", 0, 2,
	  false, true,
	  "verify a password against a stored Django hash:\n"
	  "the hash from FILE or the first line of standard\n"
	  "input, then the password from the next line\n"
	  "exit: 0 match, 1 mismatch, 2 unsupported or\n"
	  "malformed hash (reason on stderr)\n",
	  cmd_pw_test },
	{ "users", "[LIMIT]", 0, 1,
	  true, false,
	  "the canonical users Dovecot lists (doveadm user '*',\n"
	  "dsync), at most LIMIT of them\n"
	  "exit: 0 listed, 3 database failure\n",
	  cmd_users },
	{ "hash-census", "", 0, 0,
	  true, false,
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
	  true, false,
	  "the distribution list at this address: every member\n"
	  "it delivers to and why, the members it skips and why\n"
	  "exit: 0 an active list, 1 not a list or inactive,\n"
	  "3 database failure\n",
	  cmd_list },
	{ "check-lists", "", 0, 0,
	  true, false,
	  "addresses that are both a list's and an account's\n"
	  "(Postfix expands the list; the account gets no mail)\n"
	  "exit: 0 none, 1 listed, 3 database failure\n",
	  cmd_check_lists },
	{ "stalwart-lists", "", 0, 0,
	  true, false,
	  "every active list as the principal Stalwart 0.10.7 to\n"
	  "0.15's management API creates (POST /api/principal),\n"
	  "one JSON object per line\n"
	  "exit: 0 printed, 3 database failure\n",
	  cmd_stalwart_lists },
	{ "stalwart-mailing-lists", "DOMAIN-IDS", 1, 1,
	  true, false,
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
	  true, false,
	  "each user of the domain (any of its names) with the\n"
	  "quota its policies give and the usage Dovecot last\n"
	  "wrote (quota_clone), and the domain's totals\n"
	  "exit: 0 users listed, 1 none, 3 database failure\n",
	  cmd_quota },
	{ "compare-legacy", "[JOBS]", 0, 1,
	  false, false,
	  "before the cut-over (temporary_hosted still there):\n"
	  "every address answered by the legacy production\n"
	  "queries and by mailroute, each difference with its\n"
	  "category, intended or unexpected; JOBS worker\n"
	  "processes share the addresses (default 1)\n"
	  "exit: 0 none unexpected, 1 unexpected differences,\n"
	  "3 database failure\n",
	  cmd_compare_legacy },
	{ NULL, NULL, 0, 0, false, false, NULL, NULL }
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

static int command_run(const struct command *command,
		       const struct mr_config *config, char *operands[])
{
	struct cli_context cli = { .config = config };
	int status;

	if (command->needs_database &&
	    (cli.db = cli_db_create(config)) == NULL) {
		fprintf(stderr, "mailroute-auth: out of memory\n");
		return EXIT_DB_FAILURE;
	}
	status = command->run(&cli, operands);
	if (cli.db != NULL)
		mr_db_destroy(&cli.db);
	return status;
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

	if (command->config_optional && access(options.config_path, F_OK) != 0)
		config = mr_config_new_defaults();
	else
		config = load_config(options.config_path);
	if (config == NULL)
		return EXIT_USAGE;
	status = command_run(command, config, operands);
	mr_config_free(&config);
	return status;
}
