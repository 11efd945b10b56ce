#ifndef COMMAND_H
#define COMMAND_H

#include "mr-config.h"
#include "mr-db.h"
#include "mr-error.h"

#include <stdbool.h>
#include <stdio.h>

/* mailroute-auth's commands: one table (mailroute-auth.c) of what each
   takes and runs; usage, `help COMMAND` and `COMMAND --help` are printed
   from it. Each command's handler lives in the file named for it, or for
   its feature when two commands share one (list-expansion.c,
   stalwart-lists.c). */

/* lookup, login, check-config, users, hash-census, list, quota, ... */
#define EXIT_FOUND 0
#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_DB_FAILURE 3

/* pw-test, as doveadm pw -t */
#define EXIT_PW_MATCH 0
#define EXIT_PW_MISMATCH 1
#define EXIT_PW_UNVERIFIABLE 2

/* What a handler is given. */
struct cli_context {
	const struct mr_config *config;
	/* the database handle of a command that needs_database (not yet
	   connected: the first statement connects), else NULL */
	struct mr_db *db;
};

struct command {
	const char *name;
	/* as usage shows them, "" for none */
	const char *operands;
	int min_operands, max_operands;
	/* the dispatcher makes cli_context.db (and destroys it after) */
	bool needs_database;
	/* runs without a configuration file when none is installed */
	bool config_optional;
	/* lines, each ending in '\n' */
	const char *help;
	/* the exit status */
	int (*run)(const struct cli_context *cli, char *operands[]);
};

/* The command named so, NULL if none. */
const struct command *command_find(const char *name);
/* "Usage: ..." for the command, then its help. */
void command_usage_full(FILE *out, const struct command *command);

/* A database handle whose own messages (host failures, failover) go to
   standard error. NULL when out of memory. */
struct mr_db *cli_db_create(const struct mr_config *config);
/* "mailroute-auth: database: <reason>" on standard error. */
void cli_database_error(const struct mr_error *error);

int cmd_lookup(const struct cli_context *cli, char *operands[]);
int cmd_login(const struct cli_context *cli, char *operands[]);
int cmd_check_config(const struct cli_context *cli, char *operands[]);
int cmd_pw_test(const struct cli_context *cli, char *operands[]);
int cmd_users(const struct cli_context *cli, char *operands[]);
int cmd_hash_census(const struct cli_context *cli, char *operands[]);
int cmd_list(const struct cli_context *cli, char *operands[]);
int cmd_check_lists(const struct cli_context *cli, char *operands[]);
int cmd_stalwart_lists(const struct cli_context *cli, char *operands[]);
int cmd_stalwart_mailing_lists(const struct cli_context *cli,
			       char *operands[]);
int cmd_quota(const struct cli_context *cli, char *operands[]);
int cmd_compare_legacy(const struct cli_context *cli, char *operands[]);

#endif
