#ifndef STALWART_LISTS_H
#define STALWART_LISTS_H

#include "mr-db.h"
#include "mr-error.h"

/* Every active distribution list (migration 0009) as the principal that
   Stalwart 0.10.7 to 0.15's management API creates (POST /api/principal):
   one JSON object per line, {"type":"list","name","description","emails",
   "members","externalMembers"}; these versions read lists from their own
   store, not from the SQL directory. Returns the number of lists printed,
   or -1 with error set. */
int stalwart_lists_print(struct mr_db *db, struct mr_error *error);

#endif
