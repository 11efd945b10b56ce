#ifndef BENCH_AUTH_USERDB_CLIENT_H
#define BENCH_AUTH_USERDB_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

/* One connection to Dovecot's auth-userdb socket (the auth-master
   protocol LMTP and doveadm speak), one request at a time. */
struct auth_userdb_client {
	int fd;
	unsigned int next_id;
	size_t used;
	char buffer[16384];
};

enum auth_userdb_reply {
	AUTH_USERDB_USER,	/* USER: found */
	AUTH_USERDB_NOTFOUND,	/* NOTFOUND or FAIL */
	AUTH_USERDB_BROKEN,	/* the connection failed or closed */
};

/* Connects and sends the handshake; false with errno set on failure. */
bool auth_userdb_client_open(struct auth_userdb_client *client,
			     const char *socket_path);
enum auth_userdb_reply auth_userdb_client_lookup(
	struct auth_userdb_client *client, const char *user);
void auth_userdb_client_close(struct auth_userdb_client *client);

#endif
