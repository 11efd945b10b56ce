/* The ceiling for bench/auth-load's userdb test: the module's own
   resolution (mr_resolve_recipient, the same prepared statement) called
   straight from N threads, one connection each, without Dovecot. Names
   are those of tests/lib/mrtest/scale.py, the same rotation of canonical,
   alias and '+' detail addresses.

   With --auth-userdb, the same names from the same N threads go to a
   Dovecot's auth-userdb socket instead, as LMTP asks for a recipient:
   every userdb contender is driven by this one client, so that the
   ratios between them and the ceiling are Dovecot's and the userdb's,
   not the clients'.

   bench-lookup CONFIG ACCOUNTS CLIENTS SECONDS
   bench-lookup --auth-userdb SOCKET ACCOUNTS CLIENTS SECONDS
   prints: lookups/s p50_ms p99_ms failures */

#include "auth-userdb-client.h"
#include "mr-config.h"
#include "mr-db.h"
#include "mr-resolve.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SAMPLE_ACCOUNTS 5000
#define MAX_LATENCIES (1 << 22)

struct client {
	pthread_t thread;
	/* the module's resolution from config, or Dovecot's at the socket */
	const struct mr_config *config;
	const char *userdb_socket;
	unsigned long accounts;
	double deadline;
	unsigned int seed;
	double *latencies;
	unsigned long count, failures;
};

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* scale.py: account n is in domain (n - 1) / 10 + 1 */
static void scale_address(unsigned long n, unsigned int kind, char *buf,
			  size_t size)
{
	unsigned long domain = (n - 1) / 10 + 1;

	switch (kind % 3) {
	case 0:
		snprintf(buf, size, "user%lu@dom%lu.example", n, domain);
		break;
	case 1:
		snprintf(buf, size, "alias%lu@alias%lu.example", n, domain);
		break;
	default:
		snprintf(buf, size, "user%lu+tag@dom%lu.example", n, domain);
		break;
	}
}

/* The next name for c, as scale.py names its accounts. */
static void next_name(struct client *c, char *name, size_t size)
{
	unsigned long sample = c->accounts < SAMPLE_ACCOUNTS ?
		c->accounts : SAMPLE_ACCOUNTS;
	unsigned long n = (unsigned long)rand_r(&c->seed) % sample *
		(c->accounts / sample) + 1;

	scale_address(n, (unsigned int)rand_r(&c->seed), name, size);
}

/* Runs lookup(target, name) on c's names until its deadline. */
static void client_loop(struct client *c, void *target,
			bool (*lookup)(struct client *c, void *target,
				       const char *name))
{
	while (now_seconds() < c->deadline && c->count < MAX_LATENCIES) {
		char name[128];
		double start;

		next_name(c, name, sizeof(name));
		start = now_seconds();
		if (!lookup(c, target, name))
			c->failures++;
		c->latencies[c->count++] = now_seconds() - start;
	}
}

static bool resolve_lookup(struct client *c, void *target, const char *name)
{
	struct mr_match match;
	struct mr_error error;
	bool found = mr_resolve_recipient(target, c->config->recipient_delimiter,
					  name, &match, &error) == MR_DB_FOUND;

	mr_account_wipe(&match.account);
	return found;
}

static bool userdb_lookup(struct client *c, void *target, const char *name)
{
	(void)c;
	return auth_userdb_client_lookup(target, name) == AUTH_USERDB_USER;
}

static void *client_run(void *context)
{
	struct client *c = context;

	if (c->userdb_socket != NULL) {
		struct auth_userdb_client userdb;

		if (!auth_userdb_client_open(&userdb, c->userdb_socket)) {
			perror(c->userdb_socket);
			c->failures++;
			return NULL;
		}
		client_loop(c, &userdb, userdb_lookup);
		auth_userdb_client_close(&userdb);
	} else {
		struct mr_db *db = mr_db_create(c->config);

		if (db == NULL) {
			c->failures++;
			return NULL;
		}
		client_loop(c, db, resolve_lookup);
		mr_db_destroy(&db);
	}
	return NULL;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char *argv[])
{
	struct mr_config *config = NULL;
	const char *userdb_socket = NULL;
	struct mr_error error;
	struct client *clients;
	unsigned long accounts, total = 0, failures = 0;
	unsigned int count;
	double seconds, begin, *all;

	if (argc == 6 && strcmp(argv[1], "--auth-userdb") == 0) {
		userdb_socket = argv[2];
		argv++;
	} else if (argc != 5) {
		fprintf(stderr, "usage: bench-lookup CONFIG ACCOUNTS CLIENTS SECONDS\n"
			"       bench-lookup --auth-userdb SOCKET ACCOUNTS CLIENTS SECONDS\n");
		return 2;
	}
	if (userdb_socket == NULL && mr_config_load(argv[1], &config, &error) < 0) {
		fprintf(stderr, "bench-lookup: %s\n", error.message);
		return 2;
	}
	accounts = strtoul(argv[2], NULL, 10);
	count = (unsigned int)strtoul(argv[3], NULL, 10);
	seconds = strtod(argv[4], NULL);
	clients = calloc(count, sizeof(*clients));
	begin = now_seconds();
	for (unsigned int i = 0; i < count; i++) {
		clients[i].config = config;
		clients[i].userdb_socket = userdb_socket;
		clients[i].accounts = accounts;
		clients[i].deadline = begin + seconds;
		clients[i].seed = i + 1;
		clients[i].latencies = malloc(MAX_LATENCIES * sizeof(double));
		pthread_create(&clients[i].thread, NULL, client_run, &clients[i]);
	}
	for (unsigned int i = 0; i < count; i++) {
		pthread_join(clients[i].thread, NULL);
		total += clients[i].count;
		failures += clients[i].failures;
	}
	seconds = now_seconds() - begin;
	all = malloc((total > 0 ? total : 1) * sizeof(double));
	total = 0;
	for (unsigned int i = 0; i < count; i++) {
		memcpy(all + total, clients[i].latencies,
		       clients[i].count * sizeof(double));
		total += clients[i].count;
		free(clients[i].latencies);
	}
	qsort(all, total, sizeof(double), compare_doubles);
	printf("%.1f %.2f %.2f %lu\n", (double)total / seconds,
	       total > 0 ? all[total / 2] * 1e3 : 0.0,
	       total > 0 ? all[total * 99 / 100] * 1e3 : 0.0, failures);
	free(all);
	free(clients);
	mr_config_free(&config);
	return failures == 0 ? 0 : 1;
}
