#ifndef MR_CONFIG_H
#define MR_CONFIG_H

#include "mr-error.h"

#include <stdbool.h>

/* The configuration file shared by the Dovecot module and the
   checkpassword binary (SPEC 9): "key = value" lines, '#' comment lines.
   Unknown keys and bad values are refused with FILE:LINE: key. */

enum mr_db_tls {
	MR_DB_TLS_OFF,
	MR_DB_TLS_PREFERRED,
	MR_DB_TLS_REQUIRED,
	/* required + certificate chain and host name checked */
	MR_DB_TLS_VERIFY,
};

struct mr_db_host {
	char *name;
	unsigned int port; /* 0 = the client library's default */
};

/* Cost caps checked before any hashing work (SPEC 5), so a hostile or
   corrupt row cannot occupy an auth worker for minutes. */
struct mr_hash_limits {
	unsigned long pbkdf2_max_iterations;
	unsigned long argon2_max_memory_kib;
	unsigned long argon2_max_time;
	unsigned long argon2_max_lanes;
	/* scrypt N * r * p (time), and 128 * r * (N + p) bytes (memory) */
	unsigned long scrypt_max_work;
	unsigned long scrypt_max_memory_kib;
	unsigned long bcrypt_max_cost;
	/* PBKDF2-SHA256 iterations of the dummy verification run for unknown
	   users and unusable hashes: set it to the cost most stored hashes
	   have (mailroute-auth hash-census shows their median), so timing
	   does not tell them apart from a wrong password. */
	unsigned long dummy_pbkdf2_iterations;
};

struct mr_config {
	char *path;

	struct mr_db_host *db_hosts;
	unsigned int db_hosts_count;
	char *db_socket;
	char *db_name;
	char *db_user;
	char *db_password;
	/* db_password written in the configuration file itself */
	bool db_password_inline;
	enum mr_db_tls db_tls;
	char *db_tls_ca;
	unsigned int db_connect_timeout;
	unsigned int db_read_timeout;
	/* seconds a host that failed to connect is tried only after the
	   others (mr-db-hosts.h); 0 = never skipped */
	unsigned int db_retry_interval;
	/* where one-process-per-request programs remember failed hosts */
	char *db_host_state_file;

	char *mail_root;
	char *index_root;
	char *recipient_delimiter;
	char **continuity_mailboxes;
	unsigned int continuity_mailboxes_count;
	char *continuity_acl_group;

	struct mr_hash_limits hash;
	/* verified-credential cache (mr-verify-cache.h): entries, 0 = off;
	   seconds an entry is trusted; the file every process of a host
	   maps it from (NULL: one table per process) */
	unsigned int verify_cache_size;
	unsigned int verify_cache_ttl;
	char *verify_cache_file;
};

/* The path built in with ./configure --with-config-file, for callers that
   cannot include the build's config header (the Dovecot module). */
extern const char mr_config_default_path[];

/* Reads and validates the file. Returns 0, or -1 with error set. */
int mr_config_load(const char *path, struct mr_config **config_r,
		   struct mr_error *error);
/* Parses configuration text; source_name is used in error messages. */
int mr_config_parse(const char *source_name, const char *text,
		    struct mr_config **config_r, struct mr_error *error);
/* A configuration holding only defaults (no database settings). */
struct mr_config *mr_config_new_defaults(void);
/* Frees the configuration, wiping the database password. */
void mr_config_free(struct mr_config **config);

#endif
