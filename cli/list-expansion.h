#ifndef LIST_EXPANSION_H
#define LIST_EXPANSION_H

#include "mr-db.h"
#include "mr-error.h"

/* Distribution lists (migration 0009) as the administrator's tool shows
   them, read through mailroute_list_address, mailroute_list_expansion and
   mailroute_list_collision with bound values. */

enum list_expansion_result {
	LIST_EXPANSION_FAILED = -1,
	/* no list has this address */
	LIST_EXPANSION_NOT_A_LIST,
	/* a list, inactive: Postfix delivers its mail to nobody */
	LIST_EXPANSION_INACTIVE,
	LIST_EXPANSION_ACTIVE,
};

/* Prints the list that ADDRESS names (SPEC 3's name rule) and every
   member it expands to: delivered ones with the reason they are there (a
   member account or address, or via a member list), skipped ones with
   why (an account that receives no mail, a member list that is
   inactive is not expanded at all). */
enum list_expansion_result
list_expansion_print(struct mr_db *db, const char *address,
		     struct mr_error *error);

/* Prints every address that is both a list's and an account's; returns
   their count, or -1 with error set. */
int list_collisions_print(struct mr_db *db, struct mr_error *error);

#endif
