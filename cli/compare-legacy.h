#ifndef COMPARE_LEGACY_H
#define COMPARE_LEGACY_H

#include "mr-config.h"
#include "mr-db.h"
#include "mr-error.h"

/* The legacy production queries, with bound values for placeholders. */
extern const char compare_legacy_passdb_query[];
extern const char compare_legacy_userdb_query[];

#define COMPARE_LEGACY_CATEGORIES 8

struct compare_legacy_counts {
	unsigned long addresses;
	/* per category, the intended ones first, unexpected last */
	unsigned long by_category[COMPARE_LEGACY_CATEGORIES];
};

/* Compares, for every address of the login view whose hash modulo parts
   is part, the legacy answers (login, userdb fields) with the new ones,
   prints each difference with its category and adds to counts. listing
   streams the addresses while lookups answers: two connections. Returns
   0, or -1 with error set on a database failure. */
int compare_legacy_part(const struct mr_config *config, struct mr_db *listing,
			struct mr_db *lookups, unsigned int part,
			unsigned int parts, struct compare_legacy_counts *counts,
			struct mr_error *error);
/* Prints the totals; returns the number of unexpected differences. */
unsigned long compare_legacy_summary(const struct compare_legacy_counts *counts);

#endif
