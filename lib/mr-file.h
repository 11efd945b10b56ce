#ifndef MR_FILE_H
#define MR_FILE_H

#include "mr-error.h"

#include <stddef.h>
#include <sys/stat.h>

/* Reads a whole file of at most max_size bytes into a NUL-terminated
   buffer the caller frees; st_r (may be NULL) gets the open file's
   status. A NUL byte inside is an error. */
int mr_read_small_file(const char *path, size_t max_size, char **text_r,
		       struct stat *st_r, struct mr_error *error);

#endif
