#ifndef MR_SHARED_MAP_H
#define MR_SHARED_MAP_H

#include "mr-error.h"

#include <stdbool.h>
#include <stddef.h>

/* A file of fixed size that every process opening it maps MAP_SHARED:
   how the auth processes of one host share one table. Opened before the
   process drops its privileges (Dovecot's preinit, as root): the file and
   its directory must belong to the caller's user and be closed to
   everyone else, so no other user can read or plant one. */

struct mr_shared_map_format {
	/* whether an existing file of the right size holds this format */
	bool (*matches)(const void *region, const void *context);
	/* fills a new, zeroed file before any other process can see it */
	void (*initialise)(void *region, const void *context);
	const void *context;
};

/* Maps path, making it (and its missing directory, mode 0700) when it is
   absent, and putting a new file in its place when the one there is of
   another size or format: processes still mapping the old one keep it.
   Returns the region, or NULL with error set. */
void *mr_shared_map(const char *path, size_t size,
		    const struct mr_shared_map_format *format,
		    struct mr_error *error);
void mr_shared_unmap(void *region, size_t size);

#endif
