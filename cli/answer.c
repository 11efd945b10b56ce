#include "answer.h"
#include "output.h"
#include "mr-dovecot-fields.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* userdb_import's value holds its imports TAB-separated; Dovecot splits
   them, so one line each. -1 when out of memory. */
static int print_imports(const char *name, const char *imports)
{
	char *copy = strdup(imports), *save = NULL;

	if (copy == NULL)
		return -1;
	for (char *item = strtok_r(copy, "\t", &save); item != NULL;
	     item = strtok_r(NULL, "\t", &save))
		printf("%s\t%s\n", name, output_text(item));
	free(copy);
	return 0;
}

int answer_print(const struct mr_config *config,
		 const struct mr_account *account)
{
	struct mr_dovecot_answer answer;
	const struct mr_field *list = answer.dovecot.list;
	struct mr_error error;
	int ret = 0;

	if (mr_dovecot_answer_make(config, account, false, &answer,
				   &error) < 0) {
		mr_dovecot_answer_free(&answer);
		printf("refused: %s\n", error.message);
		return -1;
	}
	printf("user\t%s\n", output_text(answer.fields.user));
	for (unsigned int i = 0; i < answer.dovecot.count; i++) {
		if (strcmp(list[i].name, "userdb_import") != 0) {
			printf("%s\t%s\n", list[i].name,
			       output_text(list[i].value));
		} else if (print_imports(list[i].name, list[i].value) < 0) {
			printf("refused: out of memory\n");
			ret = -1;
		}
	}
	if (answer.fields.continuity_withheld)
		printf("note\thosted and continuity: hosted wins, no autoexpunge\n");
	mr_dovecot_answer_free(&answer);
	return ret;
}
