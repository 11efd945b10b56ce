/* mailroute-auth login USER@DOMAIN: the passdb's answer for a login, the
   password from standard input. The one login path the Dovecot passdb and
   checkpassword take (mr_admission_login()), without the verified-
   credential cache (every check a full one), then the fields Dovecot
   gets for an admitted account. */

#include "answer.h"
#include "command.h"
#include "secret-input.h"
#include "mr-admission.h"

#include <sodium.h>

#include <stdio.h>

int cmd_login(const struct cli_context *cli, char *operands[])
{
	char password[SECRET_INPUT_MAX];
	enum mr_login_result decision;
	struct mr_login login;
	struct mr_error error;
	int status = EXIT_REFUSED;

	if (secret_input_line(password, sizeof(password)) < 0) {
		sodium_memzero(password, sizeof(password));
		fprintf(stderr, "mailroute-auth: cannot read the password\n");
		return EXIT_USAGE;
	}
	decision = mr_admission_login(cli->db, cli->config, NULL, operands[0],
				      password, &login, &error);
	sodium_memzero(password, sizeof(password));
	switch (decision) {
	case MR_LOGIN_TEMPFAIL:
		printf("tempfail: %s\n", error.message);
		status = EXIT_DB_FAILURE;
		break;
	case MR_LOGIN_FAILED:
	case MR_LOGIN_BAD_HASH:
	case MR_LOGIN_DISABLED:
		printf("refused: %s\n", error.message);
		break;
	case MR_LOGIN_OK:
		printf("login\tok\naccount\t%llu\n",
		       (unsigned long long)login.match.account.account_id);
		status = answer_print(cli->config, &login.match.account) < 0 ?
			EXIT_DB_FAILURE : EXIT_FOUND;
		break;
	}
	mr_account_wipe(&login.match.account);
	return status;
}
