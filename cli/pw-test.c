/* mailroute-auth pw-test [-f FILE]: a password against a stored Django
   hash, as doveadm pw -t; the hash never on the command line. */

#include "command.h"
#include "mr-file.h"
#include "mr-password.h"
#include "secret-input.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_pw_test(const struct cli_context *cli, char *operands[])
{
	char password[SECRET_INPUT_MAX];
	char *stored = NULL;
	struct mr_error error;
	enum mr_password_result result;
	const char *reason;

	/* never the hash on the command line (secret-input.h) */
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
		    secret_input_line(stored, MR_PASSWORD_SIZE) < 0) {
			fprintf(stderr, "mailroute-auth: cannot read the hash\n");
			sodium_memzero(stored, MR_PASSWORD_SIZE);
			free(stored);
			return EXIT_PW_UNVERIFIABLE;
		}
	} else {
		command_usage_full(stderr, command_find("pw-test"));
		return EXIT_USAGE;
	}
	if (stored == NULL || secret_input_line(password, sizeof(password)) < 0) {
		fprintf(stderr, "mailroute-auth: cannot read the password\n");
		free(stored);
		return EXIT_PW_UNVERIFIABLE;
	}
	result = mr_password_verify(&cli->config->hash, password, stored,
				    &reason);
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
