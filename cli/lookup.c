/* mailroute-auth lookup USER@DOMAIN: what the userdb answers for an
   address (the fields, one per line, as Dovecot gets them) and which rule
   matched, or why it is refused. */

#include "answer.h"
#include "command.h"
#include "output.h"
#include "mr-password.h"
#include "mr-resolve.h"

#include <stdio.h>

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
		if (answer_print(config, account) < 0)
			status = EXIT_DB_FAILURE;
		break;
	}
	}
	mr_account_wipe(&match.account);
	return status;
}
