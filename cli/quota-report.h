#ifndef QUOTA_REPORT_H
#define QUOTA_REPORT_H

#include "mr-db.h"
#include "mr-error.h"

/* mailroute-auth quota DOMAIN: each user of a customer domain with the
   quota its policies give and the usage Dovecot last wrote
   (mailroute_quota_report, migration 0010). Returns the number of users
   listed (0: no such domain or no users), or -1 with error set. */
int quota_report_print(struct mr_db *db, const char *domain,
		       struct mr_error *error);

#endif
