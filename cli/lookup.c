/* mailroute-auth lookup USER@DOMAIN: what the userdb answers for an
   address (the fields, one per line, as Dovecot gets them) and which rule
   matched, or why it is refused. */

#include "command.h"
#include "output.h"
#include "mr-dovecot-fields.h"
#include "mr-password.h"
#include "mr-resolve.h"
#include "mr-userdb-fields.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_fields(const struct mr_config *config,
			 const struct mr_account *account, int *status)
{
	struct mr_dovecot_answer answer;
	const struct mr_field *list = answer.dovecot.list;
	struct mr_error error;

	if (mr_dovecot_answer_make(config, account, false, &answer,
				   &error) < 0) {
		mr_dovecot_answer_free(&answer);
		printf("refused: %s\n", error.message);
		*status = EXIT_DB_FAILURE;
		return;
	}
	printf("user\t%s\n", output_text(answer.fields.user));
	for (unsigned int i = 0; i < answer.dovecot.count; i++) {
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
	if (answer.fields.continuity_withheld)
		printf("note\thosted and continuity: hosted wins, no autoexpunge\n");
	mr_dovecot_answer_free(&answer);
}

int cmd_lookup(const struct cli_context *cli, char *operands[])
{
	const struct mr_config *config = cli->config;
	const char *name = operands[0];
	struct mr_match match;
	struct mr_error error;
	char rule[64];
	int status = EXIT_FOUND;

	switch (mr_resolve_recipient(cli->db, config->recipient_delimiter, name,
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
	return status;
}
