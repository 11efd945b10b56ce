/* Reading the small files the configuration names (the configuration
   itself, a password file, a stored hash for pw-test). */

#include "mr-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int mr_read_small_file(const char *path, size_t max_size, char **text_r,
		       struct stat *st_r, struct mr_error *error)
{
	char *text;
	size_t used = 0;
	int fd;

	*text_r = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		mr_error_set(error, "open(%s) failed: %s", path,
			     strerror(errno));
		return -1;
	}
	if (st_r != NULL && fstat(fd, st_r) < 0) {
		mr_error_set(error, "fstat(%s) failed: %s", path,
			     strerror(errno));
		close(fd);
		return -1;
	}
	text = malloc(max_size + 1);
	if (text == NULL) {
		close(fd);
		mr_error_set(error, "%s: out of memory", path);
		return -1;
	}
	for (;;) {
		ssize_t ret = read(fd, text + used, max_size + 1 - used);

		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0) {
			mr_error_set(error, "read(%s) failed: %s", path,
				     strerror(errno));
			break;
		}
		if (ret == 0) {
			close(fd);
			text[used] = '\0';
			if (strlen(text) != used) {
				mr_error_set(error, "%s: contains a NUL byte",
					     path);
				free(text);
				return -1;
			}
			*text_r = text;
			return 0;
		}
		used += (size_t)ret;
		if (used > max_size) {
			mr_error_set(error, "%s: larger than %zu bytes", path,
				     max_size);
			break;
		}
	}
	close(fd);
	free(text);
	return -1;
}
