/* mailroute-auth list ADDRESS and check-lists: distribution lists as the
   database expands them for Postfix (conf.d/postfix/) and Stalwart. */

#include "list-expansion.h"
#include "command.h"
#include "output.h"
#include "mr-address.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char list_query[] =
	"SELECT list_id, list_localpart, list_domain, active, description"
	" FROM mailroute_list_address"
	" WHERE list_localpart = ? AND list_domain = ?";

static const char members_query[] =
	"SELECT member_kind, member_address, account_id, receives, via_list_id"
	" FROM mailroute_list_expansion"
	" WHERE list_id = ? AND list_domain = ?"
	" ORDER BY via_list_id IS NOT NULL, via_list_id, member_kind,"
	" member_address";

static const char collisions_query[] =
	"SELECT list_id, list_localpart, list_domain, account_id,"
	" login_localpart, login_domain"
	" FROM mailroute_list_collision"
	" ORDER BY list_id, account_id, list_domain, login_localpart";

struct list_row {
	const struct mr_address *asked;
	bool found;
	char list_id[24];
	char domain[MR_NAME_SIZE];
	bool active;
};

/* The collation matched both names; SPEC 3 decides (jöhn is not john). */
static bool same_address(const char *localpart, const char *domain,
			 const char *other_localpart, const char *other_domain)
{
	return localpart != NULL && domain != NULL &&
		other_localpart != NULL && other_domain != NULL &&
		mr_address_name_equal(localpart, strlen(localpart),
				      other_localpart, strlen(other_localpart)) &&
		mr_address_name_equal(domain, strlen(domain),
				      other_domain, strlen(other_domain));
}

static int list_row(void *context, unsigned int count,
		    const char *const *values, struct mr_error *error)
{
	struct list_row *row = context;

	(void)error;
	if (count != 5 || values[0] == NULL ||
	    !same_address(values[1], values[2], row->asked->localpart,
			  row->asked->domain))
		return 0;
	row->found = true;
	snprintf(row->list_id, sizeof(row->list_id), "%s", values[0]);
	snprintf(row->domain, sizeof(row->domain), "%s", values[2]);
	row->active = values[3] != NULL && strcmp(values[3], "1") == 0;
	printf("list\t%s@%s\tlist %s, %s%s%s\n", output_text(values[1]),
	       output_text(values[2]), output_text(values[0]),
	       row->active ? "active" : "inactive",
	       values[4] != NULL && values[4][0] != '\0' ? ": " : "",
	       values[4] != NULL ? output_text(values[4]) : "");
	return 0;
}

struct member_counts {
	bool list_active;
	unsigned int delivered, skipped;
};

static int member_row(void *context, unsigned int count,
		      const char *const *values, struct mr_error *error)
{
	struct member_counts *counts = context;
	const char *kind = values[0], *address = values[1];
	const char *account = values[2], *via = values[4];
	bool receives = values[3] != NULL && strcmp(values[3], "1") == 0;
	char why[4 * MR_DB_VALUE_SIZE + 64];

	(void)error;
	if (count != 5 || kind == NULL)
		return 0;
	if (strcmp(kind, "account") == 0)
		snprintf(why, sizeof(why), "account %s",
			 account != NULL ? output_text(account) : "-");
	else
		snprintf(why, sizeof(why), "external address");
	if (via != NULL) {
		size_t used = strlen(why);

		snprintf(why + used, sizeof(why) - used, ", via list %s",
			 output_text(via));
	}
	if (address != NULL)
		address = output_text(address);
	if (address == NULL) {
		printf("skipped\t-\t%s: the account has no address\n", why);
		counts->skipped++;
	} else if (!receives) {
		printf("skipped\t%s\t%s: neither hosted nor continuity\n",
		       address, why);
		counts->skipped++;
	} else if (!counts->list_active) {
		printf("skipped\t%s\t%s: the list is inactive\n", address, why);
		counts->skipped++;
	} else {
		printf("member\t%s\t%s\n", address, why);
		counts->delivered++;
	}
	return 0;
}

enum list_expansion_result
list_expansion_print(struct mr_db *db, const char *address,
		     struct mr_error *error)
{
	struct mr_address asked;
	struct list_row row = { .asked = &asked };
	struct member_counts counts = { 0 };
	const char *params[2], *reason;

	if (!mr_address_parse(address, &asked, &reason)) {
		printf("not a list: %s\n", reason);
		return LIST_EXPANSION_NOT_A_LIST;
	}
	params[0] = asked.localpart;
	params[1] = asked.domain;
	if (mr_db_query_rows(db, list_query, params, 2, list_row,
			     &row, error) < 0)
		return LIST_EXPANSION_FAILED;
	if (!row.found) {
		printf("not a list: %s\n", address);
		return LIST_EXPANSION_NOT_A_LIST;
	}
	counts.list_active = row.active;
	params[0] = row.list_id;
	params[1] = row.domain;
	if (mr_db_query_rows(db, members_query, params, 2,
			     member_row, &counts, error) < 0)
		return LIST_EXPANSION_FAILED;
	printf("delivered to %u, skipped %u\n", counts.delivered,
	       counts.skipped);
	return row.active ? LIST_EXPANSION_ACTIVE : LIST_EXPANSION_INACTIVE;
}

static int collision_row(void *context, unsigned int count,
			 const char *const *values, struct mr_error *error)
{
	unsigned int *collisions = context;

	(void)error;
	if (count != 6 || !same_address(values[1], values[2], values[4],
					 values[5]))
		return 0;
	printf("collision\t%s@%s\tlist %s and account %s: Postfix expands "
	       "the list, the account gets no mail at this address\n",
	       output_text(values[1]), output_text(values[2]),
	       output_text(values[0]), output_text(values[3]));
	(*collisions)++;
	return 0;
}

int list_collisions_print(struct mr_db *db, struct mr_error *error)
{
	unsigned int collisions = 0;

	if (mr_db_query_rows(db, collisions_query, NULL, 0,
			     collision_row, &collisions, error) < 0)
		return -1;
	return (int)collisions;
}

int cmd_list(const struct cli_context *cli, char *operands[])
{
	const char *address = operands[0];
	struct mr_error error;
	int status = EXIT_REFUSED;

	switch (list_expansion_print(cli->db, address, &error)) {
	case LIST_EXPANSION_FAILED:
		cli_database_error(&error);
		status = EXIT_DB_FAILURE;
		break;
	case LIST_EXPANSION_NOT_A_LIST:
	case LIST_EXPANSION_INACTIVE:
		break;
	case LIST_EXPANSION_ACTIVE:
		status = EXIT_FOUND;
		break;
	}
	return status;
}

int cmd_check_lists(const struct cli_context *cli, char *operands[])
{
	(void)operands;
	struct mr_error error;
	int collisions = list_collisions_print(cli->db, &error);

	if (collisions < 0)
		cli_database_error(&error);
	else
		printf("%d addresses both a list's and an account's\n",
		       collisions);
	return collisions < 0 ? EXIT_DB_FAILURE :
		collisions > 0 ? EXIT_REFUSED : EXIT_FOUND;
}
