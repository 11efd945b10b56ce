/* The load client bench-lookup uses for Dovecot's userdb: the same
   request LMTP sends for a recipient (USER <id> <name> service=lmtp),
   from C, so that a Dovecot contender is not measured with a client
   dearer than bench-lookup's own. */

#include "auth-userdb-client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static bool send_all(int fd, const char *data, size_t size)
{
	while (size > 0) {
		ssize_t sent = send(fd, data, size, MSG_NOSIGNAL);

		if (sent < 0 && errno == EINTR)
			continue;
		if (sent <= 0)
			return false;
		data += sent;
		size -= (size_t)sent;
	}
	return true;
}

bool auth_userdb_client_open(struct auth_userdb_client *client,
			     const char *socket_path)
{
	static const char handshake[] = "VERSION\t1\t0\n";
	union {
		struct sockaddr any;
		struct sockaddr_un unix_socket;
	} address = { .unix_socket = { .sun_family = AF_UNIX } };

	client->next_id = 1;
	client->used = 0;
	if (strlen(socket_path) >= sizeof(address.unix_socket.sun_path)) {
		errno = ENAMETOOLONG;
		return false;
	}
	strcpy(address.unix_socket.sun_path, socket_path);
	client->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (client->fd < 0)
		return false;
	if (connect(client->fd, &address.any, sizeof(address)) < 0 ||
	    !send_all(client->fd, handshake, sizeof(handshake) - 1)) {
		auth_userdb_client_close(client);
		return false;
	}
	return true;
}

/* The next line from the server, without its '\n', into line; false
   when the connection fails or closes, or the line does not fit. */
static bool read_line(struct auth_userdb_client *client, char *line,
		      size_t size)
{
	for (;;) {
		char *end = memchr(client->buffer, '\n', client->used);
		ssize_t got;

		if (end != NULL) {
			size_t length = (size_t)(end - client->buffer);

			if (length >= size)
				return false;
			memcpy(line, client->buffer, length);
			line[length] = '\0';
			client->used -= length + 1;
			memmove(client->buffer, end + 1, client->used);
			return true;
		}
		if (client->used == sizeof(client->buffer))
			return false;
		got = recv(client->fd, client->buffer + client->used,
			   sizeof(client->buffer) - client->used, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return false;
		client->used += (size_t)got;
	}
}

/* Whether line answers request id: "<word>\t<id>" then '\t' or its end. */
static bool answers(const char *line, const char *word, unsigned int id)
{
	char prefix[32];
	int length = snprintf(prefix, sizeof(prefix), "%s\t%u", word, id);

	return strncmp(line, prefix, (size_t)length) == 0 &&
		(line[length] == '\t' || line[length] == '\0');
}

enum auth_userdb_reply auth_userdb_client_lookup(
	struct auth_userdb_client *client, const char *user)
{
	unsigned int id = client->next_id++;
	char request[512], line[sizeof(client->buffer)];
	int length = snprintf(request, sizeof(request),
			      "USER\t%u\t%s\tservice=lmtp\n", id, user);

	if (length < 0 || (size_t)length >= sizeof(request) ||
	    !send_all(client->fd, request, (size_t)length))
		return AUTH_USERDB_BROKEN;
	/* the server's handshake (VERSION, SPID) comes before the first */
	while (read_line(client, line, sizeof(line))) {
		if (answers(line, "USER", id))
			return AUTH_USERDB_USER;
		if (answers(line, "NOTFOUND", id) || answers(line, "FAIL", id))
			return AUTH_USERDB_NOTFOUND;
	}
	return AUTH_USERDB_BROKEN;
}

void auth_userdb_client_close(struct auth_userdb_client *client)
{
	if (client->fd >= 0)
		close(client->fd);
	client->fd = -1;
}
