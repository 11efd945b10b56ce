/* mailroute-auth quota DOMAIN: a customer domain's quota usage, as the
   web application sees it. */

#include "quota-report.h"
#include "command.h"
#include "output.h"
#include "mr-address.h"
#include "mr-text.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* any name of the domain; its users are those of the domain's id */
static const char quota_query[] =
	"SELECT da.name, r.canonical_localpart, r.canonical_domain,"
	" r.quota_mb, r.bytes, r.messages, r.updated_at,"
	" r.hosted = 1 OR r.continuity = 1"
	" FROM amavisd_domainalias da"
	" JOIN mailroute_quota_report r ON r.domain_id = da.domain_id"
	" WHERE da.name = ?"
	" ORDER BY r.canonical_localpart";

struct quota_totals {
	const char *domain;
	unsigned int users;
	unsigned long bytes, messages;
};

/* A usage count as the row gives it (NULL: not reported, 0): canonical
   decimal only. A negative or non-numeric count is a data error, never
   a total wrapped around to 18446744073709551615. */
static bool usage_count(const char *value, unsigned long *count_r)
{
	*count_r = 0;
	return value == NULL || mr_parse_ulong(value, 0, ULONG_MAX, count_r);
}

static int quota_row(void *context, unsigned int count,
		     const char *const *values, struct mr_error *error)
{
	struct quota_totals *totals = context;
	const char *quota_mb = values[3], *bytes = values[4];
	unsigned long used_bytes, messages, limit_mb = 0;
	char limit[32], used[64];

	/* the collation matched the domain name; SPEC 3 decides */
	if (count != 8 || values[0] == NULL ||
	    !mr_address_name_equal(values[0], strlen(values[0]),
				   totals->domain, strlen(totals->domain)))
		return 0;
	if (!usage_count(bytes, &used_bytes) ||
	    !usage_count(values[5], &messages) ||
	    (quota_mb != NULL &&
	     !mr_parse_ulong(quota_mb, 0, ULONG_MAX / (1024 * 1024),
			     &limit_mb)) ||
	    __builtin_add_overflow(totals->bytes, used_bytes, &totals->bytes) ||
	    __builtin_add_overflow(totals->messages, messages,
				   &totals->messages)) {
		/* mr_error_set() escapes what it is given */
		mr_error_set(error, "malformed quota row for %s@%s: bytes %s, "
			     "messages %s, quota %s MB", values[1], values[2],
			     bytes != NULL ? bytes : "NULL",
			     values[5] != NULL ? values[5] : "NULL",
			     quota_mb != NULL ? quota_mb : "NULL");
		return -1;
	}
	if (quota_mb == NULL)
		snprintf(limit, sizeof(limit), "none");
	else if (limit_mb == 0)
		snprintf(limit, sizeof(limit), "unlimited");
	else
		snprintf(limit, sizeof(limit), "%lu MB", limit_mb);
	if (bytes == NULL)
		snprintf(used, sizeof(used), "not reported");
	else if (limit_mb > 0)
		snprintf(used, sizeof(used), "%lu bytes (%.1f%%)", used_bytes,
			 100.0 * (double)used_bytes /
			 ((double)limit_mb * 1024 * 1024));
	else
		snprintf(used, sizeof(used), "%lu bytes", used_bytes);
	printf("user\t%s@%s\tquota %s\tused %s\tmessages %s\tupdated %s%s\n",
	       output_text(values[1]), output_text(values[2]), limit, used,
	       values[5] != NULL ? output_text(values[5]) : "-",
	       values[6] != NULL ? output_text(values[6]) : "-",
	       values[7] != NULL && strcmp(values[7], "1") == 0 ? "" :
	       "\t(receives no mail)");
	totals->users++;
	return 0;
}

int quota_report_print(struct mr_db *db, const char *domain,
		       struct mr_error *error)
{
	struct quota_totals totals = { .domain = domain };
	const char *params[1] = { domain };

	if (mr_db_query_rows(db, quota_query, params, 1, quota_row,
			     &totals, error) < 0)
		return -1;
	printf("total\t%u users\t%lu bytes\t%lu messages\n", totals.users,
	       totals.bytes, totals.messages);
	return (int)totals.users;
}

int cmd_quota(const struct cli_context *cli, char *operands[])
{
	const char *domain = operands[0];
	struct mr_error error;
	int users = quota_report_print(cli->db, domain, &error);

	if (users < 0)
		cli_database_error(&error);
	return users < 0 ? EXIT_DB_FAILURE :
		users == 0 ? EXIT_REFUSED : EXIT_FOUND;
}
