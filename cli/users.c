/* mailroute-auth users [LIMIT]: the canonical users the module's userdb
   lists to Dovecot (doveadm user '*', dsync). */

#include "command.h"
#include "mr-text.h"

#include <limits.h>
#include <stdio.h>

/* The listing the module's userdb iterate gives Dovecot; stopping after
   `limit` names leaves nothing running on the server. */
int cmd_users(const struct cli_context *cli, char *operands[])
{
	const char *limit_arg = operands[0];
	unsigned long limit = ULONG_MAX, listed = 0;
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
	iter = mr_db_user_iter_init(cli->db, MR_DB_USERS_RECEIVING, &error);
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
	if (ret == MR_DB_FAILED) {
		cli_database_error(&error);
		return EXIT_DB_FAILURE;
	}
	return EXIT_FOUND;
}
