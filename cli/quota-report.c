/* mailroute-auth quota DOMAIN: a customer domain's quota usage, as the
   web application sees it. */

#include "quota-report.h"
#include "mr-address.h"
#include "mr-text.h"

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
	unsigned long long bytes, messages;
};

static unsigned long long value_or_zero(const char *value)
{
	return value != NULL ? strtoull(value, NULL, 10) : 0;
}

static int quota_row(void *context, unsigned int count,
		     const char *const *values, struct mr_error *error)
{
	struct quota_totals *totals = context;
	const char *quota_mb = values[3], *bytes = values[4];
	char limit[32], used[48];

	(void)error;
	/* the collation matched the domain name; SPEC 3 decides */
	if (count != 8 || values[0] == NULL ||
	    !mr_address_name_equal(values[0], strlen(values[0]),
				   totals->domain, strlen(totals->domain)))
		return 0;
	if (quota_mb == NULL)
		snprintf(limit, sizeof(limit), "none");
	else if (strcmp(quota_mb, "0") == 0)
		snprintf(limit, sizeof(limit), "unlimited");
	else
		snprintf(limit, sizeof(limit), "%s MB", quota_mb);
	if (bytes == NULL) {
		snprintf(used, sizeof(used), "not reported");
	} else if (quota_mb != NULL && strcmp(quota_mb, "0") != 0) {
		unsigned long long limit_bytes =
			value_or_zero(quota_mb) * 1024 * 1024;
		unsigned long long used_bytes = value_or_zero(bytes);

		snprintf(used, sizeof(used), "%s bytes (%.1f%%)", bytes,
			 100.0 * (double)used_bytes / (double)limit_bytes);
	} else {
		snprintf(used, sizeof(used), "%s bytes", bytes);
	}
	printf("user\t%s@%s\tquota %s\tused %s\tmessages %s\tupdated %s%s\n",
	       values[1], values[2], limit, used,
	       values[5] != NULL ? values[5] : "-",
	       values[6] != NULL ? values[6] : "-",
	       values[7] != NULL && strcmp(values[7], "1") == 0 ? "" :
	       "\t(receives no mail)");
	totals->users++;
	totals->bytes += value_or_zero(bytes);
	totals->messages += value_or_zero(values[5]);
	return 0;
}

int quota_report_print(struct mr_db *db, const char *domain,
		       struct mr_error *error)
{
	struct quota_totals totals = { .domain = domain };
	const char *params[1] = { domain };

	if (mr_db_query_rows(db, 0, quota_query, params, 1, quota_row,
			     &totals, error) < 0)
		return -1;
	printf("total\t%u users\t%llu bytes\t%llu messages\n", totals.users,
	       totals.bytes, totals.messages);
	return (int)totals.users;
}
