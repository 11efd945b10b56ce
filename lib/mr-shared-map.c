#include "mr-shared-map.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Why an existing file or directory cannot be trusted, or NULL. */
static const char *ownership_problem(const struct stat *st, mode_t type)
{
	if ((st->st_mode & S_IFMT) != type)
		return type == S_IFDIR ? "not a directory" : "not a regular file";
	if (st->st_uid != geteuid())
		return "owned by another user";
	if ((st->st_mode & (type == S_IFDIR ? 022 : 077)) != 0)
		return type == S_IFDIR ? "writable by group or others" :
			"open to group or others";
	return NULL;
}

static int check_directory(const char *path, struct mr_error *error)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/'), *problem;
	struct stat st;

	if (slash == NULL || (size_t)(slash - path) >= sizeof(dir)) {
		mr_error_set(error, "%s: not an absolute path", path);
		return -1;
	}
	if (slash == path)
		return 0;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		mr_error_set(error, "mkdir %s failed: %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) < 0) {
		mr_error_set(error, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if ((problem = ownership_problem(&st, S_IFDIR)) != NULL) {
		mr_error_set(error, "%s: %s", dir, problem);
		return -1;
	}
	return 0;
}

static void *map_fd(int fd, size_t size)
{
	void *region = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			    fd, 0);

	return region == MAP_FAILED ? NULL : region;
}

/* The existing file's region; NULL with *replace_r when it is absent or
   must be replaced, NULL with error set when it cannot be used. */
static void *map_existing(const char *path, size_t size,
			  const struct mr_shared_map_format *format,
			  bool *replace_r, struct mr_error *error)
{
	const char *problem;
	struct stat st;
	void *region;
	int fd;

	*replace_r = false;
	fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			mr_error_set(error, "open %s failed: %s", path,
				     strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		mr_error_set(error, "fstat %s failed: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if ((problem = ownership_problem(&st, S_IFREG)) != NULL) {
		mr_error_set(error, "%s: %s", path, problem);
		close(fd);
		return NULL;
	}
	region = (size_t)st.st_size == size ? map_fd(fd, size) : NULL;
	close(fd);
	if (region != NULL &&
	    format->matches(region, format->context))
		return region;
	if (region != NULL)
		munmap(region, size);
	*replace_r = true;
	return NULL;
}

/* A new file, filled, then put at path: linked, so that of two processes
   making it at once one wins and the other maps the winner's, or renamed
   over a file of another format. */
static void *map_new(const char *path, size_t size,
		     const struct mr_shared_map_format *format, bool replace,
		     bool *lost_race_r, struct mr_error *error)
{
	char tmp[PATH_MAX];
	void *region = NULL;
	int fd;

	*lost_race_r = false;
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		mr_error_set(error, "%s: path too long", path);
		return NULL;
	}
	if ((fd = mkstemp(tmp)) < 0) {
		mr_error_set(error, "creating %s failed: %s", tmp,
			     strerror(errno));
		return NULL;
	}
	if (fchmod(fd, 0600) < 0 || ftruncate(fd, (off_t)size) < 0 ||
	    (region = map_fd(fd, size)) == NULL) {
		mr_error_set(error, "sizing %s failed: %s", tmp, strerror(errno));
		goto failed;
	}
	format->initialise(region, format->context);
	if (replace ? rename(tmp, path) < 0 : link(tmp, path) < 0) {
		*lost_race_r = !replace && errno == EEXIST;
		mr_error_set(error, "creating %s failed: %s", path,
			     strerror(errno));
		goto failed;
	}
	if (!replace)
		unlink(tmp);
	close(fd);
	return region;
failed:
	if (region != NULL)
		munmap(region, size);
	unlink(tmp);
	close(fd);
	return NULL;
}

void *mr_shared_map(const char *path, size_t size,
		    const struct mr_shared_map_format *format,
		    struct mr_error *error)
{
	bool replace, lost_race = true;
	void *region = NULL;

	if (check_directory(path, error) < 0)
		return NULL;
	/* a lost race to create it: map the winner's */
	for (unsigned int attempt = 0; attempt < 2 && lost_race; attempt++) {
		error->message[0] = '\0';
		region = map_existing(path, size, format, &replace, error);
		if (region != NULL || error->message[0] != '\0')
			return region;
		region = map_new(path, size, format, replace, &lost_race,
				 error);
	}
	return region;
}

void mr_shared_unmap(void *region, size_t size)
{
	if (region != NULL)
		munmap(region, size);
}
