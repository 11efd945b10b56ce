/* The memory of failed database hosts, per process and in an optional
   state file shared by one-process-per-request programs. */

#include "mr-db-hosts.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A file for a handful of hosts; anything longer is not ours. */
#define STATE_FILE_MAX 8192

struct mr_db_hosts {
	const struct mr_config *config;
	/* per configured host: down until then; 0 = never failed, a past
	   time = failed once and not connected since (a recovery to log) */
	time_t *down_until;
};

struct mr_db_hosts *mr_db_hosts_create(const struct mr_config *config)
{
	struct mr_db_hosts *hosts = calloc(1, sizeof(*hosts));

	if (hosts == NULL)
		return NULL;
	hosts->config = config;
	hosts->down_until = calloc(config->db_hosts_count + 1,
				   sizeof(*hosts->down_until));
	if (hosts->down_until == NULL) {
		free(hosts);
		return NULL;
	}
	return hosts;
}

void mr_db_hosts_destroy(struct mr_db_hosts **_hosts)
{
	struct mr_db_hosts *hosts = *_hosts;

	if (hosts == NULL)
		return;
	*_hosts = NULL;
	free(hosts->down_until);
	free(hosts);
}

/* One "name port down_until" line of the state file into the table; lines
   for hosts no longer configured, or malformed, are ignored. A time
   further away than one retry interval (a clock set back) is cut to it. */
static void state_line_apply(struct mr_db_hosts *hosts, char *line,
			     time_t now)
{
	const struct mr_config *config = hosts->config;
	char *port_text, *until_text, *end;
	unsigned long port;
	long long until;

	port_text = strchr(line, ' ');
	if (port_text == NULL)
		return;
	*port_text++ = '\0';
	until_text = strchr(port_text, ' ');
	if (until_text == NULL)
		return;
	*until_text++ = '\0';
	errno = 0;
	port = strtoul(port_text, &end, 10);
	if (errno != 0 || *end != '\0' || port > 65535)
		return;
	until = strtoll(until_text, &end, 10);
	if (errno != 0 || *end != '\0' || until < 0)
		return;
	if (until > (long long)now + config->db_retry_interval)
		until = (long long)now + config->db_retry_interval;
	for (unsigned int i = 0; i < config->db_hosts_count; i++) {
		if (strcmp(config->db_hosts[i].name, line) == 0 &&
		    config->db_hosts[i].port == port)
			hosts->down_until[i] = (time_t)until;
	}
}

/* The file's marks replace this process's: another process may have
   seen a host fail or come back since. A missing file means no marks; an
   unreadable one leaves this process's as they are. */
static void state_file_read(struct mr_db_hosts *hosts, time_t now)
{
	const char *path = hosts->config->db_host_state_file;
	char text[STATE_FILE_MAX + 1], *line, *next;
	ssize_t length;
	int fd;

	if (path == NULL)
		return;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	length = fd < 0 ? -1 : read(fd, text, STATE_FILE_MAX);
	if (fd >= 0)
		close(fd);
	if (length < 0 && !(fd < 0 && errno == ENOENT))
		return;
	text[length < 0 ? 0 : length] = '\0';
	memset(hosts->down_until, 0,
	       hosts->config->db_hosts_count * sizeof(*hosts->down_until));
	for (line = text; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (line[0] != '#' && line[0] != '\0')
			state_line_apply(hosts, line, now);
	}
}

/* Replaces the file atomically (a new file renamed over it), so that a
   reader never sees half of it. */
static int state_file_write(struct mr_db_hosts *hosts, struct mr_error *error)
{
	const struct mr_config *config = hosts->config;
	const char *path = config->db_host_state_file;
	char text[STATE_FILE_MAX], temp_path[4096];
	size_t used;
	int fd, written;

	if (path == NULL)
		return 0;
	used = (size_t)snprintf(text, sizeof(text),
				"# mailroute-auth: database hosts that failed, "
				"down until (Unix time)\n");
	for (unsigned int i = 0; i < config->db_hosts_count; i++) {
		if (hosts->down_until[i] == 0)
			continue;
		written = snprintf(text + used, sizeof(text) - used,
				   "%s %u %" PRIdMAX "\n",
				   config->db_hosts[i].name,
				   config->db_hosts[i].port,
				   (intmax_t)hosts->down_until[i]);
		if (written < 0 || (size_t)written >= sizeof(text) - used) {
			mr_error_set(error, "db_host_state_file: too many hosts");
			return -1;
		}
		used += (size_t)written;
	}
	if (snprintf(temp_path, sizeof(temp_path), "%s.XXXXXX", path) >=
	    (int)sizeof(temp_path)) {
		mr_error_set(error, "db_host_state_file: path too long");
		return -1;
	}
	fd = mkstemp(temp_path);
	if (fd < 0) {
		mr_error_set(error, "db_host_state_file: creating %s failed: %s",
			     temp_path, strerror(errno));
		return -1;
	}
	if (write(fd, text, used) != (ssize_t)used || close(fd) < 0 ||
	    rename(temp_path, path) < 0) {
		mr_error_set(error, "db_host_state_file: writing %s failed: %s",
			     path, strerror(errno));
		unlink(temp_path);
		return -1;
	}
	return 0;
}

bool mr_db_hosts_down(const struct mr_db_hosts *hosts, unsigned int i,
		      time_t now)
{
	return hosts->down_until[i] > now;
}

unsigned int mr_db_hosts_order(struct mr_db_hosts *hosts, time_t now,
			       unsigned int *order)
{
	unsigned int count = hosts->config->db_hosts_count, n = 0;

	state_file_read(hosts, now);
	for (unsigned int i = 0; i < count; i++) {
		if (!mr_db_hosts_down(hosts, i, now))
			order[n++] = i;
	}
	/* the down ones, soonest back first (insertion: a handful) */
	for (unsigned int i = 0; i < count; i++) {
		unsigned int at = n;

		if (!mr_db_hosts_down(hosts, i, now))
			continue;
		while (at > 0 && mr_db_hosts_down(hosts, order[at - 1], now) &&
		       hosts->down_until[order[at - 1]] > hosts->down_until[i]) {
			order[at] = order[at - 1];
			at--;
		}
		order[at] = i;
		n++;
	}
	return n;
}

int mr_db_hosts_failed(struct mr_db_hosts *hosts, unsigned int i, time_t now,
		       struct mr_error *error)
{
	hosts->down_until[i] = now + hosts->config->db_retry_interval;
	/* with no retry interval a failure is still marked, so that the
	   recovery is logged */
	if (hosts->down_until[i] == 0)
		hosts->down_until[i] = 1;
	return state_file_write(hosts, error);
}

int mr_db_hosts_connected(struct mr_db_hosts *hosts, unsigned int i,
			  bool *was_down_r, struct mr_error *error)
{
	*was_down_r = hosts->down_until[i] != 0;
	if (!*was_down_r)
		return 0;
	hosts->down_until[i] = 0;
	return state_file_write(hosts, error);
}
