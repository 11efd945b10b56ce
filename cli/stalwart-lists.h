#ifndef STALWART_LISTS_H
#define STALWART_LISTS_H

#include "mr-db.h"
#include "mr-error.h"
#include "stalwart-domain-ids.h"

/* Every active distribution list (migration 0009) as the principal that
   Stalwart 0.10.7 to 0.15's management API creates (POST /api/principal):
   one JSON object per line, {"type":"list","name","description","emails",
   "members","externalMembers"}; these versions read lists from their own
   store, not from the SQL directory. Returns the number of lists printed,
   or -1 with error set. */
int stalwart_lists_print(struct mr_db *db, struct mr_error *error);

/* Every active distribution list as the MailingList object Stalwart 0.16's
   registry takes: {"name","domainId","description","aliases",
   "recipients"}, one a line, the domains by their ids in domain_ids. A
   list whose domain has no id there, or an alias on such a domain, is
   left out and named on standard error; *left_out_r counts them. Returns
   the number of lists printed, or -1 with error set. */
int stalwart_mailing_lists_print(struct mr_db *db,
				 const struct stalwart_domain_ids *domain_ids,
				 unsigned int *left_out_r,
				 struct mr_error *error);

#endif
