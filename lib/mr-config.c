#include "mr-config.h"
#include "mr-file.h"
#include "mr-address.h"
#include "mr-text.h"

#include "mailroute-auth-config.h"

#include <sodium.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char mr_config_default_path[] = MR_CONFIG_DEFAULT_PATH;

#define MR_CONFIG_MAX_FILE_SIZE (64 * 1024)

static const char *const default_continuity_mailboxes =
	"inbox Drafts Quarantine Quarantine.Spam Quarantine.BadHeaders "
	"Quarantine.BannedFiles Quarantine.Blocked Quarantine.Virus Trash Sent";

enum mr_config_value_type {
	MR_CONFIG_STRING,
	MR_CONFIG_UINT,
};

struct mr_config_parser {
	struct mr_config *config;
	const char *source;
	unsigned int line;
	bool seen_password;
	bool seen_password_file;
	struct mr_error *error;
};

typedef int mr_config_setter_t(struct mr_config_parser *parser,
			       const char *key, const char *value);

struct mr_config_key {
	const char *name;
	mr_config_setter_t *set;
	/* for the generic number setter */
	size_t uint_offset;
	bool uint_is_int;
	unsigned long uint_min, uint_max;
	bool seen;
};

static int parse_error(struct mr_config_parser *parser, const char *key,
		       const char *reason)
{
	mr_error_set(parser->error, "%s:%u: %s: %s", parser->source,
		     parser->line, key, reason);
	return -1;
}

static int replace_string(char **dest, const char *value)
{
	char *copy = strdup(value);

	if (copy == NULL)
		return -1;
	free(*dest);
	*dest = copy;
	return 0;
}

static int set_string_or_fail(struct mr_config_parser *parser, char **dest,
			      const char *key, const char *value)
{
	if (replace_string(dest, value) < 0)
		return parse_error(parser, key, "out of memory");
	return 0;
}

/* Splits one db_hosts word in place: "host", "host:port", "[v6]",
   "[v6]:port", or a bare IPv6 address (two or more ':', no port). Port 0:
   the client library's default. Returns NULL, or why the word is bad. */
static const char *split_host_port(char *word, const char **host_r,
				   unsigned long *port_r)
{
	char *port = NULL;

	*port_r = 0;
	if (word[0] == '[') {
		char *end = strchr(word, ']');

		if (end == NULL || end == word + 1 ||
		    (end[1] != '\0' && end[1] != ':'))
			return "an IPv6 address goes in [], then :port";
		*end = '\0';
		if (end[1] == ':')
			port = end + 2;
		word++;
	} else {
		char *colon = strchr(word, ':');

		/* a second ':' makes it a bare IPv6 address */
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			*colon = '\0';
			port = colon + 1;
		}
	}
	if (word[0] == '\0')
		return "empty host name";
	if (port != NULL && !mr_parse_ulong(port, 1, 65535, port_r))
		return "port must be a number 1-65535";
	*host_r = word;
	return NULL;
}

static int set_db_hosts(struct mr_config_parser *parser, const char *key,
			const char *value)
{
	struct mr_config *config = parser->config;
	char *words = strdup(value), *save = NULL, *word;

	if (words == NULL)
		return parse_error(parser, key, "out of memory");
	for (word = strtok_r(words, " \t,", &save); word != NULL;
	     word = strtok_r(NULL, " \t,", &save)) {
		struct mr_db_host *hosts, *host;
		const char *name, *problem;
		unsigned long port;

		problem = split_host_port(word, &name, &port);
		if (problem != NULL) {
			free(words);
			return parse_error(parser, key, problem);
		}
		hosts = realloc(config->db_hosts,
				(config->db_hosts_count + 1) * sizeof(*hosts));
		if (hosts == NULL) {
			free(words);
			return parse_error(parser, key, "out of memory");
		}
		config->db_hosts = hosts;
		host = &hosts[config->db_hosts_count];
		host->name = strdup(name);
		host->port = (unsigned int)port;
		if (host->name == NULL) {
			free(words);
			return parse_error(parser, key, "out of memory");
		}
		config->db_hosts_count++;
	}
	free(words);
	if (config->db_hosts_count == 0)
		return parse_error(parser, key, "no host given");
	return 0;
}

static int set_db_socket(struct mr_config_parser *parser, const char *key,
			 const char *value)
{
	if (value[0] != '/')
		return parse_error(parser, key, "must be an absolute path");
	return set_string_or_fail(parser, &parser->config->db_socket, key,
				  value);
}

static int set_db_name(struct mr_config_parser *parser, const char *key,
		       const char *value)
{
	if (value[0] == '\0')
		return parse_error(parser, key, "must not be empty");
	return set_string_or_fail(parser, &parser->config->db_name, key, value);
}

static int set_db_user(struct mr_config_parser *parser, const char *key,
		       const char *value)
{
	if (value[0] == '\0')
		return parse_error(parser, key, "must not be empty");
	return set_string_or_fail(parser, &parser->config->db_user, key, value);
}

static void wipe_string(char **str)
{
	if (*str != NULL) {
		sodium_memzero(*str, strlen(*str));
		free(*str);
		*str = NULL;
	}
}

static int set_db_password(struct mr_config_parser *parser, const char *key,
			   const char *value)
{
	char *copy;

	if (parser->seen_password_file)
		return parse_error(parser, key,
				   "db_password_file is already set");
	parser->seen_password = true;
	copy = strdup(value);
	if (copy == NULL)
		return parse_error(parser, key, "out of memory");
	wipe_string(&parser->config->db_password);
	parser->config->db_password = copy;
	parser->config->db_password_inline = true;
	return 0;
}

/* Whether a file may steer the module (which runs as root at Dovecot's
   start) and hold the database password: owned by root or by the user
   reading it, writable by nobody else, and, when it holds the password,
   not readable by everyone. NULL when it may. */
static const char *file_trust_problem(const struct stat *st, bool secret)
{
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return "owned by another user than root";
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return "writable by group or others (chmod go-w)";
	if (secret && (st->st_mode & S_IROTH) != 0)
		return "holds the database password and is readable by "
			"everyone (chmod o-r; 0640 root:dovecot)";
	return NULL;
}

/* The password file holds the password on its first line; the trailing
   newline is not part of it. Read in full here because the module reads
   its configuration as root, before privileges are dropped. */
static int set_db_password_file(struct mr_config_parser *parser,
				const char *key, const char *value)
{
	const char *problem = NULL;
	char buf[1024];
	struct stat st;
	ssize_t len;
	int fd;
	char *end;

	if (parser->seen_password)
		return parse_error(parser, key, "db_password is already set");
	parser->seen_password_file = true;
	if (value[0] != '/')
		return parse_error(parser, key, "must be an absolute path");
	fd = open(value, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		char reason[PATH_MAX + 64];

		snprintf(reason, sizeof(reason), "open(%s) failed: %s", value,
			 strerror(errno));
		return parse_error(parser, key, reason);
	}
	if (fstat(fd, &st) < 0 ||
	    (problem = file_trust_problem(&st, true)) != NULL) {
		char reason[PATH_MAX + 128];

		snprintf(reason, sizeof(reason), "%s: %s", value,
			 problem != NULL ? problem : strerror(errno));
		close(fd);
		return parse_error(parser, key, reason);
	}
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len < 0) {
		sodium_memzero(buf, sizeof(buf));
		return parse_error(parser, key, "read failed");
	}
	buf[len] = '\0';
	end = strpbrk(buf, "\r\n");
	if (end != NULL)
		*end = '\0';
	else if ((size_t)len == sizeof(buf) - 1) {
		sodium_memzero(buf, sizeof(buf));
		return parse_error(parser, key, "password file too large");
	}
	wipe_string(&parser->config->db_password);
	parser->config->db_password = strdup(buf);
	sodium_memzero(buf, sizeof(buf));
	if (parser->config->db_password == NULL)
		return parse_error(parser, key, "out of memory");
	return 0;
}

static int set_db_tls(struct mr_config_parser *parser, const char *key,
		      const char *value)
{
	static const char *const names[] = {
		[MR_DB_TLS_OFF] = "off",
		[MR_DB_TLS_PREFERRED] = "preferred",
		[MR_DB_TLS_REQUIRED] = "required",
		[MR_DB_TLS_VERIFY] = "verify",
	};

	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(value, names[i]) == 0) {
			parser->config->db_tls = (enum mr_db_tls)i;
			return 0;
		}
	}
	return parse_error(parser, key,
			   "must be off, preferred, required or verify");
}

static int set_db_host_state_file(struct mr_config_parser *parser,
				  const char *key, const char *value)
{
	if (value[0] != '/')
		return parse_error(parser, key, "must be an absolute path");
	return set_string_or_fail(parser, &parser->config->db_host_state_file,
				  key, value);
}

/* Empty: a table per process (mr_verify_cache_new). */
static int set_verify_cache_file(struct mr_config_parser *parser,
				 const char *key, const char *value)
{
	if (value[0] == '\0') {
		free(parser->config->verify_cache_file);
		parser->config->verify_cache_file = NULL;
		return 0;
	}
	if (value[0] != '/')
		return parse_error(parser, key, "must be an absolute path or empty");
	return set_string_or_fail(parser, &parser->config->verify_cache_file,
				  key, value);
}

static int set_db_tls_ca(struct mr_config_parser *parser, const char *key,
			 const char *value)
{
	if (value[0] != '/')
		return parse_error(parser, key, "must be an absolute path");
	return set_string_or_fail(parser, &parser->config->db_tls_ca, key,
				  value);
}

/* Mail and index roots are absolute, without a trailing slash, so that
   paths are byte-identical to the legacy query's. */
static int set_root(struct mr_config_parser *parser, char **dest,
		    const char *key, const char *value)
{
	size_t len = strlen(value);

	if (value[0] != '/' || len < 2)
		return parse_error(parser, key,
				   "must be an absolute path other than /");
	if (value[len - 1] == '/')
		return parse_error(parser, key,
				   "must not end with '/'");
	if (!mr_text_is_printable(value) || strchr(value, ':') != NULL)
		return parse_error(parser, key,
				   "must not contain control characters or ':'");
	return set_string_or_fail(parser, dest, key, value);
}

static int set_mail_root(struct mr_config_parser *parser, const char *key,
			 const char *value)
{
	return set_root(parser, &parser->config->mail_root, key, value);
}

static int set_index_root(struct mr_config_parser *parser, const char *key,
			  const char *value)
{
	return set_root(parser, &parser->config->index_root, key, value);
}

static int set_recipient_delimiter(struct mr_config_parser *parser,
				   const char *key, const char *value)
{
	if (strlen(value) > MR_MAX_DELIMITERS)
		return parse_error(parser, key, "at most 7 delimiters");
	for (const char *p = value; *p != '\0'; p++) {
		if (*p <= ' ' || *p >= 0x7f || *p == '@')
			return parse_error(parser, key,
				"must be printable ASCII characters other than '@'");
		if (strchr(p + 1, *p) != NULL)
			return parse_error(parser, key,
					   "a delimiter is listed twice");
	}
	return set_string_or_fail(parser, &parser->config->recipient_delimiter,
				  key, value);
}

static void free_mailboxes(struct mr_config *config)
{
	for (unsigned int i = 0; i < config->continuity_mailboxes_count; i++)
		free(config->continuity_mailboxes[i]);
	free(config->continuity_mailboxes);
	config->continuity_mailboxes = NULL;
	config->continuity_mailboxes_count = 0;
}

/* Mailbox names become Dovecot settings paths
   (namespace/inbox/mailbox/<box>/autoexpunge): '/' and '=' would change
   the path, TAB would split the userdb_import field. */
static int set_continuity_mailboxes(struct mr_config_parser *parser,
				    const char *key, const char *value)
{
	struct mr_config *config = parser->config;
	char *words = strdup(value), *save = NULL, *word;

	if (words == NULL)
		return parse_error(parser, key, "out of memory");
	free_mailboxes(config);
	for (word = strtok_r(words, " ", &save); word != NULL;
	     word = strtok_r(NULL, " ", &save)) {
		char **boxes;

		if (!mr_text_is_printable(word) || strpbrk(word, "/=") != NULL) {
			free(words);
			return parse_error(parser, key,
				"mailbox names must not contain '/', '=' or control characters");
		}
		boxes = realloc(config->continuity_mailboxes,
				(config->continuity_mailboxes_count + 1) *
				sizeof(*boxes));
		if (boxes == NULL || (boxes[config->continuity_mailboxes_count] =
				      strdup(word)) == NULL) {
			if (boxes != NULL)
				config->continuity_mailboxes = boxes;
			free(words);
			return parse_error(parser, key, "out of memory");
		}
		config->continuity_mailboxes = boxes;
		config->continuity_mailboxes_count++;
	}
	free(words);
	return 0;
}

static int set_continuity_acl_group(struct mr_config_parser *parser,
				    const char *key, const char *value)
{
	if (value[0] == '\0' || !mr_text_is_printable(value) ||
	    strchr(value, ' ') != NULL)
		return parse_error(parser, key,
			"must be one word without control characters");
	return set_string_or_fail(parser,
				  &parser->config->continuity_acl_group,
				  key, value);
}

static int set_uint(struct mr_config_parser *parser,
		    const struct mr_config_key *def, const char *value)
{
	unsigned long number;
	char *field = (char *)parser->config + def->uint_offset;

	if (!mr_parse_ulong(value, def->uint_min, def->uint_max, &number)) {
		char reason[128];

		snprintf(reason, sizeof(reason),
			 "must be a decimal number %lu-%lu",
			 def->uint_min, def->uint_max);
		return parse_error(parser, def->name, reason);
	}
	if (def->uint_is_int)
		*(unsigned int *)(void *)field = (unsigned int)number;
	else
		*(unsigned long *)(void *)field = number;
	return 0;
}

#define UINT_KEY(name, member, is_int, min, max) \
	{ name, NULL, offsetof(struct mr_config, member), is_int, min, max, \
	  false }
#define STRING_KEY(name, setter) \
	{ name, setter, 0, false, 0, 0, false }

static const struct mr_config_key config_keys_template[] = {
	STRING_KEY("db_hosts", set_db_hosts),
	STRING_KEY("db_socket", set_db_socket),
	STRING_KEY("db_name", set_db_name),
	STRING_KEY("db_user", set_db_user),
	STRING_KEY("db_password", set_db_password),
	STRING_KEY("db_password_file", set_db_password_file),
	STRING_KEY("db_tls", set_db_tls),
	STRING_KEY("db_tls_ca", set_db_tls_ca),
	UINT_KEY("db_connect_timeout", db_connect_timeout, true, 1, 300),
	UINT_KEY("db_read_timeout", db_read_timeout, true, 1, 300),
	UINT_KEY("db_retry_interval", db_retry_interval, true, 0, 3600),
	STRING_KEY("db_host_state_file", set_db_host_state_file),
	STRING_KEY("mail_root", set_mail_root),
	STRING_KEY("index_root", set_index_root),
	STRING_KEY("recipient_delimiter", set_recipient_delimiter),
	STRING_KEY("continuity_mailboxes", set_continuity_mailboxes),
	STRING_KEY("continuity_acl_group", set_continuity_acl_group),
	UINT_KEY("hash_max_pbkdf2_iterations", hash.pbkdf2_max_iterations,
		 false, 1, 100000000),
	UINT_KEY("hash_max_argon2_memory_kib", hash.argon2_max_memory_kib,
		 false, 8, 4194304),
	UINT_KEY("hash_max_argon2_time", hash.argon2_max_time, false, 1, 1000),
	UINT_KEY("hash_max_argon2_lanes", hash.argon2_max_lanes, false, 1, 255),
	UINT_KEY("hash_max_scrypt_work", hash.scrypt_max_work, false,
		 2, 1UL << 30),
	UINT_KEY("hash_max_scrypt_memory_kib", hash.scrypt_max_memory_kib,
		 false, 64, 4194304),
	UINT_KEY("hash_max_bcrypt_cost", hash.bcrypt_max_cost, false, 4, 31),
	UINT_KEY("dummy_pbkdf2_iterations", hash.dummy_pbkdf2_iterations,
		 false, 1, 100000000),
	UINT_KEY("verify_cache_size", verify_cache_size, true, 0, 10000000),
	UINT_KEY("verify_cache_ttl", verify_cache_ttl, true, 1, 86400),
	STRING_KEY("verify_cache_file", set_verify_cache_file),
};

#define CONFIG_KEY_COUNT \
	(sizeof(config_keys_template) / sizeof(config_keys_template[0]))

struct mr_config *mr_config_new_defaults(void)
{
	struct mr_config *config = calloc(1, sizeof(*config));
	struct mr_config_parser parser = { .config = config,
					   .source = "(defaults)" };
	struct mr_error error;

	if (config == NULL)
		return NULL;
	parser.error = &error;
	config->db_tls = MR_DB_TLS_OFF;
	config->db_connect_timeout = 5;
	config->db_read_timeout = 10;
	config->db_retry_interval = 60;
	config->hash.pbkdf2_max_iterations = 4000000;
	config->hash.argon2_max_memory_kib = 262144;
	config->hash.argon2_max_time = 16;
	config->hash.argon2_max_lanes = 16;
	config->hash.scrypt_max_work = 1UL << 22;
	/* Django's default (N = 2^14, r = 8) takes 16 MiB */
	config->hash.scrypt_max_memory_kib = 131072;
	config->hash.bcrypt_max_cost = 16;
	/* Django 5.x's default: what most stored hashes cost */
	config->hash.dummy_pbkdf2_iterations = 1000000;
	/* one table for the host: 56 bytes an entry, 5.6 MB; at 8 ways a
	   set, half full or less keeps eviction of live entries rare */
	config->verify_cache_size = 100000;
	config->verify_cache_ttl = 3600;
	if (replace_string(&config->mail_root, "/data/mailstorage") < 0 ||
	    replace_string(&config->index_root, "/data/mailindices") < 0 ||
	    replace_string(&config->recipient_delimiter, "+-") < 0 ||
	    replace_string(&config->continuity_acl_group, "continuity") < 0 ||
	    replace_string(&config->verify_cache_file,
			   "/run/mailroute-auth/verify-cache") < 0 ||
	    set_continuity_mailboxes(&parser, "continuity_mailboxes",
				     default_continuity_mailboxes) < 0) {
		mr_config_free(&config);
		return NULL;
	}
	return config;
}

static int parse_line(struct mr_config_parser *parser,
		      struct mr_config_key *keys, char *line)
{
	char *key, *value, *eq;
	size_t len;

	key = mr_text_trim(line);
	if (key[0] == '\0' || key[0] == '#')
		return 0;
	eq = strchr(key, '=');
	if (eq == NULL)
		return parse_error(parser, key, "expected 'key = value'");
	*eq = '\0';
	key = mr_text_trim(key);
	value = mr_text_trim(eq + 1);
	/* Optional double quotes keep leading or trailing spaces. */
	len = strlen(value);
	if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
		value[len - 1] = '\0';
		value++;
	}
	for (unsigned int i = 0; i < CONFIG_KEY_COUNT; i++) {
		if (strcmp(keys[i].name, key) != 0)
			continue;
		if (keys[i].seen)
			return parse_error(parser, key, "set twice");
		keys[i].seen = true;
		if (keys[i].set != NULL)
			return keys[i].set(parser, key, value);
		return set_uint(parser, &keys[i], value);
	}
	return parse_error(parser, key, "unknown key");
}

static int check_complete(struct mr_config_parser *parser)
{
	const struct mr_config *config = parser->config;

	parser->line = 0;
	if (config->db_socket == NULL && config->db_hosts_count == 0)
		return parse_error(parser, "db_hosts",
				   "one of db_hosts or db_socket is required");
	if (config->db_socket != NULL && config->db_hosts_count > 0)
		return parse_error(parser, "db_socket",
				   "db_hosts and db_socket are exclusive");
	if (config->db_name == NULL)
		return parse_error(parser, "db_name", "is required");
	if (config->db_user == NULL)
		return parse_error(parser, "db_user", "is required");
	if (config->db_tls_ca != NULL && config->db_tls == MR_DB_TLS_OFF)
		return parse_error(parser, "db_tls_ca",
				   "is set but db_tls is off");
	return 0;
}

int mr_config_parse(const char *source_name, const char *text,
		    struct mr_config **config_r, struct mr_error *error)
{
	struct mr_config_key keys[CONFIG_KEY_COUNT];
	struct mr_config_parser parser = { .source = source_name,
					   .error = error };
	char *copy, *line, *next;
	int ret = 0;

	*config_r = NULL;
	memcpy(keys, config_keys_template, sizeof(keys));
	parser.config = mr_config_new_defaults();
	copy = strdup(text);
	if (parser.config == NULL || copy == NULL ||
	    replace_string(&parser.config->path, source_name) < 0) {
		free(copy);
		mr_config_free(&parser.config);
		mr_error_set(error, "%s: out of memory", source_name);
		return -1;
	}
	for (line = copy; line != NULL && ret == 0; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		parser.line++;
		ret = parse_line(&parser, keys, line);
	}
	sodium_memzero(copy, strlen(text));
	free(copy);
	if (ret == 0)
		ret = check_complete(&parser);
	if (ret < 0) {
		mr_config_free(&parser.config);
		return -1;
	}
	*config_r = parser.config;
	return 0;
}

int mr_config_load(const char *path, struct mr_config **config_r,
		   struct mr_error *error)
{
	const char *problem;
	struct stat st;
	char *text;
	int ret;

	*config_r = NULL;
	if (mr_read_small_file(path, MR_CONFIG_MAX_FILE_SIZE, &text, &st,
			       error) < 0)
		return -1;
	problem = file_trust_problem(&st, false);
	ret = problem != NULL ? -1 : mr_config_parse(path, text, config_r, error);
	sodium_memzero(text, strlen(text));
	free(text);
	if (ret == 0 && (*config_r)->db_password_inline)
		problem = file_trust_problem(&st, true);
	if (problem != NULL) {
		mr_config_free(config_r);
		mr_error_set(error, "%s: %s", path, problem);
		return -1;
	}
	return ret;
}

void mr_config_free(struct mr_config **_config)
{
	struct mr_config *config = *_config;

	if (config == NULL)
		return;
	*_config = NULL;
	for (unsigned int i = 0; i < config->db_hosts_count; i++)
		free(config->db_hosts[i].name);
	free(config->db_hosts);
	wipe_string(&config->db_password);
	free(config->path);
	free(config->db_socket);
	free(config->db_name);
	free(config->db_user);
	free(config->db_tls_ca);
	free(config->db_host_state_file);
	free(config->verify_cache_file);
	free(config->mail_root);
	free(config->index_root);
	free(config->recipient_delimiter);
	free(config->continuity_acl_group);
	free_mailboxes(config);
	free(config);
}
