#ifndef STALWART_DOMAIN_IDS_H
#define STALWART_DOMAIN_IDS_H

#include "mr-error.h"

#include <stddef.h>

/* Stalwart 0.16 names a domain by the id of its Domain object, which only
   Stalwart knows: the operator lists them (stalwart-cli, WebUI) into a
   file, one "domain-name id" pair a line, '#' starts a comment. */
struct stalwart_domain_id {
	char *name;
	char *id;
};

struct stalwart_domain_ids {
	struct stalwart_domain_id *list; /* sorted by name */
	size_t count;
};

/* Returns 0, or -1 with error set (unreadable file, a line that is not a
   pair, a domain named twice, an id given to two domains). */
int stalwart_domain_ids_load(const char *path, struct stalwart_domain_ids *ids_r,
			     struct mr_error *error);
/* The id of domain (any case), or NULL. */
const char *stalwart_domain_ids_find(const struct stalwart_domain_ids *ids,
				     const char *domain);
void stalwart_domain_ids_free(struct stalwart_domain_ids *ids);

#endif
