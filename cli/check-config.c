/* mailroute-auth check-config: the configuration parses, the database
   answers a lookup with this configuration's grants, its schema is the
   one this release reads, and the plan MariaDB makes for the lookup. */

#include "command.h"
#include "mr-resolve.h"

#include <stdio.h>
#include <string.h>

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
		cli_database_error(&error);
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

int cmd_check_config(const struct cli_context *cli, char *operands[])
{
	(void)operands;
	struct mr_db *db = cli->db;
	struct mr_match match;
	struct mr_error error;
	int status = EXIT_FOUND;

	/* A lookup of an address no account has proves the connection, the
	   grants and the views in one step. The plan is the one the lookup
	   statement gets, bound values and all; EXPLAIN of a view needs the
	   SHOW VIEW grant, which lookups do not. */
	if (mr_resolve_login(db, "check-config@invalid", &match,
			     &error) == MR_DB_FAILED) {
		cli_database_error(&error);
		status = EXIT_DB_FAILURE;
	} else if (print_server(db) < 0) {
		status = EXIT_DB_FAILURE;
	} else {
		if (mr_db_explain_find_address(db, "check-config", "invalid",
					       print_plan_row, NULL,
					       &error) < 0)
			printf("plan\tnot shown: %s\n", error.message);
		printf("%s: ok\n", cli->config->path);
	}
	mr_account_wipe(&match.account);
	return status;
}
