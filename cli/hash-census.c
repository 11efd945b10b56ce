/* mailroute-auth hash-census: the stored hashes by format, the accounts
   that must move before Stalwart (a hash it cannot verify), those whose
   hash verifies nowhere, and the median PBKDF2 cost against the decoy's. */

#include "command.h"
#include "output.h"
#include "mr-password.h"
#include "mr-stalwart.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* What the census gathers over every account. */
struct census {
	struct census_count counts[CENSUS_MAX_FORMATS];
	unsigned int count;
	struct census_cost costs[CENSUS_MAX_COSTS];
	unsigned int cost_count;
	/* accounts listed as to move before Stalwart, and as unverifiable
	   (their rows in unverifiable_out, printed after the others) */
	unsigned int listed, unverifiable;
	FILE *unverifiable_out;
};

/* One account: counted by hash format, its PBKDF2 cost kept, and listed
   when it must move before Stalwart or its hash verifies nowhere. */
static void census_add_account(const struct mr_config *config,
			       struct census *census,
			       const struct mr_account *account)
{
	const char *format = mr_password_format(account->password);
	struct census_count *c =
		census_count_of(census->counts, &census->count, format);
	bool may_login = mr_account_may_login(account);
	unsigned long iterations;

	c->accounts++;
	c->admitted += may_login ? 1 : 0;
	if (may_login &&
	    mr_password_pbkdf2_iterations(account->password, &iterations))
		census_add_cost(census->costs, &census->cost_count, iterations);
	/* hashes no system verifies (unusable, empty, unknown) lock nobody
	   out by moving: they are only counted */
	if (may_login && mr_password_may_match(account->password) &&
	    !mr_stalwart_can_verify(format)) {
		printf("%llu\t%s@%s\t%s\n",
		       (unsigned long long)account->account_id,
		       output_text(account->localpart),
		       output_text(account->domain), format);
		census->listed++;
	}
	if (census_list_unverifiable(config, account, format,
				     census->unverifiable_out))
		census->unverifiable++;
}

static void census_print(const struct mr_config *config,
			 struct census *census, const char *unverifiable_rows)
{
	printf("# format\taccounts\tmay log in\tStalwart verifies\n");
	for (unsigned int i = 0; i < census->count; i++) {
		const struct census_count *c = &census->counts[i];

		printf("%s\t%lu\t%lu\t%s\n", c->format, c->accounts,
		       c->admitted,
		       mr_stalwart_can_verify(c->format) ? "yes" : "no");
	}
	printf("# %u account%s to move before Stalwart\n", census->listed,
	       census->listed == 1 ? "" : "s");
	printf("# stored hash refused at every login, by every front end:\n"
	       "# account\tuser\tformat\tproblem\treason\n%s"
	       "# %u account%s with an unverifiable hash\n",
	       unverifiable_rows, census->unverifiable,
	       census->unverifiable == 1 ? "" : "s");
	census_print_costs(config, census->costs, census->cost_count);
}

int cmd_hash_census(const struct cli_context *cli, char *operands[])
{
	(void)operands;
	struct census census = { .count = 0 };
	char *unverifiable_rows = NULL;
	size_t unverifiable_size = 0;
	struct mr_db_user_iter *iter;
	struct mr_account account;
	struct mr_error error;
	enum mr_db_result ret = MR_DB_FAILED;

	census.unverifiable_out = open_memstream(&unverifiable_rows,
						 &unverifiable_size);
	if (census.unverifiable_out == NULL) {
		fprintf(stderr, "mailroute-auth: open_memstream: %s\n",
			strerror(errno));
		return EXIT_DB_FAILURE;
	}
	iter = mr_db_user_iter_init(cli->db, MR_DB_USERS_ALL, &error);
	if (iter != NULL) {
		printf("# may log in, with a hash Stalwart cannot verify:\n"
		       "# account\tuser\tformat\n");
		while ((ret = mr_db_user_iter_next(iter, &account, &error)) ==
		       MR_DB_FOUND) {
			census_add_account(cli->config, &census, &account);
			mr_account_wipe(&account);
		}
		mr_db_user_iter_deinit(&iter);
	}
	fclose(census.unverifiable_out);
	if (ret == MR_DB_FAILED) {
		free(unverifiable_rows);
		cli_database_error(&error);
		return EXIT_DB_FAILURE;
	}
	census_print(cli->config, &census, unverifiable_rows);
	free(unverifiable_rows);
	return census.listed == 0 && census.unverifiable == 0 ?
		EXIT_FOUND : EXIT_REFUSED;
}
