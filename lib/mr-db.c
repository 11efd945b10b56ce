#include "mr-db.h"
#include "mr-address.h"
#include "mr-db-hosts.h"
#include "mr-text.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <sodium.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One slot per candidate localpart (exact, then cut at each delimiter);
   unused slots repeat the exact localpart. */
#define CANDIDATE_SLOTS "?, ?, ?, ?, ?, ?, ?, ?"
_Static_assert(MR_MAX_CANDIDATES == 8, "CANDIDATE_SLOTS has one ? per candidate");
#define FIND_ADDRESS_PARAM_COUNT (2 * (MR_MAX_CANDIDATES + 1))

/* Users in keyset pages of mailroute_user (one row per canonical user) by
   alias_id, each page read whole into the client, so the server holds
   nothing between pages and an abandoned iteration costs nothing. A page
   is a bounded primary-key range of the alias table: `ORDER BY alias_id
   LIMIT n` over the view is not enough for MariaDB to drive the join
   from that table (at 1,000,000 accounts it reads every domain, then
   sorts). So the page's last alias id is read first, from the primary key
   alone: the ITERATE_PAGE_SIZE-th id after the keyset, or the highest id
   for the last page (then the first column is NULL). */
static const char user_page_end_query[] =
	"SELECT (SELECT id FROM amavisd_localpartalias WHERE id > ? "
	"ORDER BY id LIMIT 1 OFFSET ?), "
	"(SELECT MAX(id) FROM amavisd_localpartalias)";
#define ITERATE_PAGE_SIZE 1000

enum statement_id {
	STMT_FIND_ADDRESS,
	STMT_USER_PAGE_END,
	STMT_ITERATE_USERS,
	STMT_ITERATE_ALL_USERS,
	STMT_SCHEMA_VERSION,
	STMT_ACCOUNT_GROUPS,
	STMT_COUNT
};

/* Room for the longest statement text (the address lookup's, about 1,100
   bytes, with EXPLAIN in front). */
#define QUERY_SIZE 2048

struct mr_db {
	const struct mr_config *config;
	MYSQL *conn;
	/* the host that answered, for error messages */
	const char *host_name;
	/* db_hosts: which failed recently, the order to try them in, and
	   the index of the one connected */
	struct mr_db_hosts *hosts;
	unsigned int *host_order;
	unsigned int host_index;
	mr_db_log_callback *log;
	void *log_context;
	/* made from account_columns by mr_db_create() */
	char queries[STMT_COUNT][QUERY_SIZE];
	/* the built-in statements, then the callers' (mr_db_query_rows) */
	MYSQL_STMT *statements[STMT_COUNT + MR_DB_CALLER_SLOTS];
	const char *caller_queries[MR_DB_CALLER_SLOTS];
	/* counts disconnects: a statement handle kept across calls (a user
	   iteration's page) is gone when this has changed */
	unsigned int generation;
};

/* Positions in an account row, in statement order. */
enum account_column_id {
	COL_ALIAS_ID, COL_LOGIN_LOCALPART, COL_LOGIN_DOMAIN,
	COL_ACCOUNT_ID, COL_USER_ID, COL_DOMAIN_ID,
	COL_LOCALPART, COL_DOMAIN, COL_PASSWORD,
	COL_IS_ACTIVE, COL_HOSTED, COL_CONTINUITY,
	COL_STORAGE_DAYS, COL_QUOTA_MB, COL_GROUPED, COL_TENANT,
	COL_COUNT
};

/* Where fetched columns land before they are checked and copied. */
struct account_row {
	MYSQL_BIND bind[COL_COUNT];
	unsigned long length[COL_COUNT];
	my_bool is_null[COL_COUNT];
	my_bool truncated[COL_COUNT];
	unsigned long long alias_id;
	char login_localpart[MR_NAME_SIZE];
	char login_domain[MR_NAME_SIZE];
	unsigned long long account_id, user_id, domain_id;
	unsigned long long is_active, hosted, continuity;
	unsigned long long storage_days, quota_mb;
	unsigned long long grouped;
	struct mr_account account;
};

enum account_column_type {
	COLUMN_NUMBER,	/* unsigned, into an unsigned long long */
	COLUMN_STRING,	/* into a char buffer, NUL added after the fetch */
};

/* The one description of an account row: every statement's select list,
   the result binding and the row checks are made from it. */
struct account_column {
	/* as the views (mailroute_login_*, mailroute_user) name it */
	const char *name;
	/* what a statement reads for it, NULL: the view's column itself */
	const char *expression;
	enum account_column_type type;
	/* where it lands in struct account_row; a string's buffer size */
	size_t offset, size;
	/* NULL is a value here (unusable password, no days, no quota);
	   elsewhere a malformed row */
	bool nullable;
};

#define NUMBER_COLUMN_AS(name, expression, field, nullable) \
	{ name, expression, COLUMN_NUMBER, \
	  offsetof(struct account_row, field), 0, nullable }
#define NUMBER_COLUMN(name, field, nullable) \
	NUMBER_COLUMN_AS(name, NULL, field, nullable)
#define STRING_COLUMN_AS(name, expression, field, nullable) \
	{ name, expression, COLUMN_STRING, \
	  offsetof(struct account_row, field), \
	  sizeof(((struct account_row *)NULL)->field), nullable }
#define STRING_COLUMN(name, field, nullable) \
	STRING_COLUMN_AS(name, NULL, field, nullable)

/* Whether the account is in a shared-folder group (migration 0014): one
   primary-key probe of mailroute_grouped_account, joined as GROUPED_JOIN
   (its column name is its own, so nothing needs qualifying). The groups
   are then read by STMT_ACCOUNT_GROUPS for the account chosen alone:
   read in the lookup, for every row and every account, they cost a
   quarter of its server time (bench/README.md). */
#define GROUPED_EXPRESSION "grouped_account_id IS NOT NULL"
#define GROUPED_JOIN \
	" LEFT JOIN mailroute_grouped_account" \
	" ON grouped_account_id = account_id"

/* The account's tenant: its canonical domain's customer, a column of the
   login views since migration 0014 (read from the domain they join). */
#define TENANT_EXPRESSION "CAST(customer_id AS CHAR)"

/* An account's groups, "<count>:<name>,<name>...", NULL for none: the
   count tells a ',' inside a hostile domain name from the separator (a
   domain "x.example,continuity" would otherwise add the continuity
   group). */
static const char account_groups_query[] =
	"SELECT CONCAT(COUNT(*), ':', "
	"GROUP_CONCAT(acl_group ORDER BY acl_group SEPARATOR ',')) "
	"FROM mailroute_account_group WHERE member_account_id = ?";

static const struct account_column account_columns[COL_COUNT] = {
	[COL_ALIAS_ID] = NUMBER_COLUMN("alias_id", alias_id, false),
	[COL_LOGIN_LOCALPART] =
		STRING_COLUMN("login_localpart", login_localpart, false),
	[COL_LOGIN_DOMAIN] = STRING_COLUMN("login_domain", login_domain, false),
	[COL_ACCOUNT_ID] = NUMBER_COLUMN("account_id", account_id, false),
	[COL_USER_ID] = NUMBER_COLUMN("user_id", user_id, false),
	[COL_DOMAIN_ID] = NUMBER_COLUMN("domain_id", domain_id, false),
	[COL_LOCALPART] =
		STRING_COLUMN("canonical_localpart", account.localpart, false),
	[COL_DOMAIN] = STRING_COLUMN("canonical_domain", account.domain, false),
	[COL_PASSWORD] = STRING_COLUMN("password", account.password, true),
	[COL_IS_ACTIVE] = NUMBER_COLUMN("is_active", is_active, false),
	[COL_HOSTED] = NUMBER_COLUMN("hosted", hosted, false),
	[COL_CONTINUITY] = NUMBER_COLUMN("continuity", continuity, false),
	[COL_STORAGE_DAYS] =
		NUMBER_COLUMN("continuity_storage_days", storage_days, true),
	[COL_QUOTA_MB] = NUMBER_COLUMN("quota_mb", quota_mb, true),
	[COL_GROUPED] = NUMBER_COLUMN_AS("grouped", GROUPED_EXPRESSION,
					 grouped, false),
	[COL_TENANT] = STRING_COLUMN_AS("tenant", TENANT_EXPRESSION,
					account.tenant, false),
};

/* What a statement reads for a column other than the column itself. */
struct column_override {
	enum account_column_id column;
	const char *expression;
};

/* Listing reads mailroute_user, which has no login columns; listings
   need neither groups nor the tenant. */
#define LISTED_NO_LOGIN \
	{ COL_LOGIN_LOCALPART, "''" }, { COL_LOGIN_DOMAIN, "''" }, \
	{ COL_GROUPED, "0" }, { COL_TENANT, "''" }

/* Appends text to query (QUERY_SIZE bytes); false if it does not fit. */
static bool query_append(char *query, const char *text)
{
	size_t len = strlen(query), add = strlen(text);

	if (len + add >= QUERY_SIZE)
		return false;
	memcpy(query + len, text, add + 1);
	return true;
}

/* "SELECT <every account column> FROM <rest>", a column read as an
   override's expression (under its own name) where one is given. */
static bool query_append_account_select(char *query,
					const struct column_override *overrides,
					unsigned int override_count,
					const char *rest)
{
	bool fits = query_append(query, "SELECT ");

	for (unsigned int i = 0; i < COL_COUNT; i++) {
		const char *expression = account_columns[i].expression;

		for (unsigned int j = 0; j < override_count; j++) {
			if (overrides[j].column == i)
				expression = overrides[j].expression;
		}
		if (i > 0)
			fits = fits && query_append(query, ", ");
		if (expression != NULL) {
			fits = fits && query_append(query, expression) &&
				query_append(query, " AS ");
		}
		fits = fits && query_append(query, account_columns[i].name);
	}
	return fits && query_append(query, " FROM ") &&
		query_append(query, rest);
}

/* The address lookup: every candidate in one round trip. A top-level
   UNION ALL with the parameters in each branch: MariaDB merges each
   branch's (join-only) view and searches its indexes with the bound
   values, where the same condition on the UNION view mailroute_login
   would materialise all of it (migration 0005). Which candidate a row
   answers is decided in C. */
static bool query_append_find_address(char *query)
{
	static const char joins_where[] =
		GROUPED_JOIN
		" WHERE login_localpart IN (" CANDIDATE_SLOTS ") "
		"AND login_domain = ?";

	return query_append_account_select(query, NULL, 0,
					   "mailroute_login_domain") &&
		query_append(query, joins_where) &&
		query_append(query, " UNION ALL ") &&
		query_append_account_select(query, NULL, 0,
					    "mailroute_login_external") &&
		query_append(query, joins_where);
}

/* Fills db->queries; false if a text does not fit QUERY_SIZE (a build
   error, caught by every test). */
static bool db_queries_make(struct mr_db *db)
{
	/* Delivery users: names only, no hashes leave the database. */
	static const struct column_override delivery_users[] = {
		LISTED_NO_LOGIN, { COL_PASSWORD, "NULL" },
	};
	/* Every account with its hash, for the hash census. */
	static const struct column_override all_users[] = { LISTED_NO_LOGIN };
	static const char page[] =
		"mailroute_user WHERE alias_id > ? AND alias_id <= ? ";

	return query_append(db->queries[STMT_SCHEMA_VERSION],
			    "SELECT MAX(version) FROM mailroute_schema_version") &&
		query_append_find_address(db->queries[STMT_FIND_ADDRESS]) &&
		query_append(db->queries[STMT_USER_PAGE_END],
			     user_page_end_query) &&
		query_append_account_select(db->queries[STMT_ITERATE_USERS],
			delivery_users, MR_N_ELEMENTS(delivery_users), page) &&
		query_append(db->queries[STMT_ITERATE_USERS],
			     "AND (hosted = 1 OR continuity = 1) "
			     "ORDER BY alias_id") &&
		query_append_account_select(db->queries[STMT_ITERATE_ALL_USERS],
			all_users, MR_N_ELEMENTS(all_users), page) &&
		query_append(db->queries[STMT_ITERATE_ALL_USERS],
			     "ORDER BY alias_id") &&
		query_append(db->queries[STMT_ACCOUNT_GROUPS],
			     account_groups_query);
}

struct mr_db *mr_db_create(const struct mr_config *config)
{
	struct mr_db *db = calloc(1, sizeof(*db));

	if (db == NULL)
		return NULL;
	db->config = config;
	db->hosts = mr_db_hosts_create(config);
	db->host_order = calloc(config->db_hosts_count + 1,
				sizeof(*db->host_order));
	if (db->hosts == NULL || db->host_order == NULL ||
	    !db_queries_make(db)) {
		mr_db_destroy(&db);
		return NULL;
	}
	return db;
}

void mr_db_set_log(struct mr_db *db, mr_db_log_callback *callback,
		   void *context)
{
	db->log = callback;
	db->log_context = context;
}

static void db_log(struct mr_db *db, enum mr_db_log_level level,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void db_log(struct mr_db *db, enum mr_db_log_level level,
		   const char *fmt, ...)
{
	char message[1024];
	va_list args;

	if (db->log == NULL)
		return;
	va_start(args, fmt);
	vsnprintf(message, sizeof(message), fmt, args);
	va_end(args);
	db->log(db->log_context, level, message);
}

static void db_disconnect(struct mr_db *db)
{
	for (unsigned int i = 0; i < MR_N_ELEMENTS(db->statements); i++) {
		if (db->statements[i] != NULL) {
			mysql_stmt_close(db->statements[i]);
			db->statements[i] = NULL;
		}
	}
	if (db->conn != NULL) {
		mysql_close(db->conn);
		db->conn = NULL;
		db->generation++;
	}
	db->host_name = NULL;
}

void mr_db_destroy(struct mr_db **_db)
{
	struct mr_db *db = *_db;

	if (db == NULL)
		return;
	*_db = NULL;
	db_disconnect(db);
	mr_db_hosts_destroy(&db->hosts);
	free(db->host_order);
	free(db);
}

static int set_tls_options(MYSQL *conn, const struct mr_config *config)
{
	my_bool on = 1;

	if (config->db_tls == MR_DB_TLS_OFF)
		return 0;
	if (mysql_ssl_set(conn, NULL, NULL, config->db_tls_ca, NULL,
			  NULL) != 0)
		return -1;
	if (config->db_tls >= MR_DB_TLS_REQUIRED &&
	    mysql_optionsv(conn, MYSQL_OPT_SSL_ENFORCE, &on) != 0)
		return -1;
	if (config->db_tls == MR_DB_TLS_VERIFY &&
	    mysql_optionsv(conn, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on) != 0)
		return -1;
	return 0;
}

static MYSQL *connection_new(const struct mr_config *config)
{
	MYSQL *conn = mysql_init(NULL);
	unsigned int connect_timeout = config->db_connect_timeout;
	unsigned int read_timeout = config->db_read_timeout;
	my_bool off = 0;

	if (conn == NULL)
		return NULL;
	/* utf8 (3-byte) is the schema's character set: parameters compare
	   without conversion and indexes stay usable. Reconnection is ours,
	   so statements are prepared again on the new connection. */
	if (mysql_optionsv(conn, MYSQL_OPT_CONNECT_TIMEOUT,
			   &connect_timeout) != 0 ||
	    mysql_optionsv(conn, MYSQL_OPT_READ_TIMEOUT, &read_timeout) != 0 ||
	    mysql_optionsv(conn, MYSQL_OPT_WRITE_TIMEOUT, &read_timeout) != 0 ||
	    mysql_optionsv(conn, MYSQL_SET_CHARSET_NAME, "utf8") != 0 ||
	    mysql_optionsv(conn, MYSQL_OPT_RECONNECT, &off) != 0 ||
	    mysql_optionsv(conn, MYSQL_READ_DEFAULT_GROUP, NULL) != 0 ||
	    set_tls_options(conn, config) < 0) {
		mysql_close(conn);
		return NULL;
	}
	return conn;
}

/* A connection to one server, TLS checked; NULL with error set. */
static MYSQL *connection_open(const struct mr_config *config, const char *host,
			      unsigned int port, const char *socket,
			      struct mr_error *error)
{
	const char *where = socket != NULL ? socket : host;
	MYSQL *conn = connection_new(config);

	if (conn == NULL) {
		mr_error_set(error, "MariaDB client initialisation failed");
		return NULL;
	}
	if (mysql_real_connect(conn, host, config->db_user,
			       config->db_password, config->db_name, port,
			       socket, 0) == NULL) {
		mr_error_set(error, "connect to %s failed: %s", where,
			     mysql_error(conn));
		mysql_close(conn);
		return NULL;
	}
	/* Connector/C's MYSQL_OPT_SSL_ENFORCE lets a server without TLS
	   answer in plain text (only certificate verification refuses it):
	   check what was negotiated before any query sends a hash. */
	if (config->db_tls >= MR_DB_TLS_REQUIRED &&
	    mysql_get_ssl_cipher(conn) == NULL) {
		mr_error_set(error, "connect to %s refused: db_tls requires "
			     "TLS and the server did not negotiate it", where);
		mysql_close(conn);
		return NULL;
	}
	return conn;
}

/* host:port for logs, IPv6 addresses in brackets. */
static const char *host_label(const struct mr_db_host *host, char *buf,
			      size_t size)
{
	unsigned int port = host->port != 0 ? host->port : MYSQL_PORT;

	if (strchr(host->name, ':') != NULL)
		snprintf(buf, size, "[%s]:%u", host->name, port);
	else
		snprintf(buf, size, "%s:%u", host->name, port);
	return buf;
}

static unsigned long long milliseconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (unsigned long long)(now.tv_sec - start->tv_sec) * 1000ULL +
		(unsigned long long)((now.tv_nsec - start->tv_nsec) / 1000000L);
}

/* Connects to db_hosts[i]. A failure is logged with the time it cost and
   marks the host down; a host marked down that answers again is logged
   as back. */
static MYSQL *db_try_host(struct mr_db *db, unsigned int i, time_t now,
			  struct mr_error *error)
{
	const struct mr_db_host *host = &db->config->db_hosts[i];
	struct mr_error state_error;
	struct timespec start;
	char label[300];
	bool was_down;
	MYSQL *conn;

	host_label(host, label, sizeof(label));
	clock_gettime(CLOCK_MONOTONIC, &start);
	conn = connection_open(db->config, host->name, host->port, NULL,
			       error);
	if (conn == NULL) {
		db_log(db, MR_DB_LOG_WARNING,
		       "database host %s failed after %llu ms: %s; tried "
		       "after the other hosts for %u s", label,
		       milliseconds_since(&start), error->message,
		       db->config->db_retry_interval);
		if (mr_db_hosts_failed(db->hosts, i, now, &state_error) < 0)
			db_log(db, MR_DB_LOG_WARNING, "%s",
			       state_error.message);
		return NULL;
	}
	if (mr_db_hosts_connected(db->hosts, i, &was_down, &state_error) < 0)
		db_log(db, MR_DB_LOG_WARNING, "%s", state_error.message);
	if (was_down)
		db_log(db, MR_DB_LOG_INFO, "database host %s is back", label);
	return conn;
}

static void db_install(struct mr_db *db, MYSQL *conn, const char *name,
		       unsigned int host_index)
{
	db->conn = conn;
	db->host_name = name;
	db->host_index = host_index;
}

/* A long-lived process connected to a later host goes back to an
   earlier one once it is no longer marked down: one connect attempt per
   host and retry interval. */
static void db_return_to_earlier_host(struct mr_db *db)
{
	const struct mr_config *config = db->config;
	time_t now = time(NULL);
	struct mr_error error;
	char from[300], to[300];

	for (unsigned int i = 0; i < db->host_index; i++) {
		MYSQL *conn;

		if (mr_db_hosts_down(db->hosts, i, now))
			continue;
		conn = db_try_host(db, i, now, &error);
		if (conn == NULL)
			continue;
		db_log(db, MR_DB_LOG_INFO, "database: leaving %s for %s",
		       host_label(&config->db_hosts[db->host_index], from,
				  sizeof(from)),
		       host_label(&config->db_hosts[i], to, sizeof(to)));
		db_disconnect(db);
		db_install(db, conn, config->db_hosts[i].name, i);
		return;
	}
}

bool mr_db_connected(const struct mr_db *db)
{
	return db->conn != NULL;
}

int mr_db_connect(struct mr_db *db, struct mr_error *error)
{
	const struct mr_config *config = db->config;
	unsigned int count, failed = 0;
	char label[300];
	time_t now;

	if (db->conn != NULL) {
		if (db->host_index > 0)
			db_return_to_earlier_host(db);
		return 0;
	}
	if (config->db_socket != NULL) {
		MYSQL *conn = connection_open(config, NULL, 0,
					      config->db_socket, error);

		if (conn == NULL)
			return -1;
		db_install(db, conn, config->db_socket, 0);
		return 0;
	}
	/* every host, the ones down last: a request fails only when every
	   host failed it; the error is the last host's */
	now = time(NULL);
	count = mr_db_hosts_order(db->hosts, now, db->host_order);
	for (unsigned int k = 0; k < count; k++) {
		unsigned int i = db->host_order[k];
		MYSQL *conn = db_try_host(db, i, now, error);

		if (conn == NULL) {
			failed++;
			continue;
		}
		host_label(&config->db_hosts[i], label, sizeof(label));
		if (failed > 0)
			db_log(db, MR_DB_LOG_WARNING, "database: failed over "
			       "to %s after %u host(s) failed", label, failed);
		else if (i != 0)
			db_log(db, MR_DB_LOG_DEBUG, "database: using %s, the "
			       "hosts before it are down", label);
		db_install(db, conn, config->db_hosts[i].name, i);
		return 0;
	}
	return -1;
}

/* A statement's error number and message. Connector/C leaves errors of
   the network layer (a connection lost in the middle of a result) on the
   connection, not the statement: without this they would read as
   error 0 with an empty message, and never as a lost connection. */
static unsigned int statement_errno(struct mr_db *db, MYSQL_STMT *stmt)
{
	unsigned int errnum = mysql_stmt_errno(stmt);

	return errnum != 0 || db->conn == NULL ? errnum :
		mysql_errno(db->conn);
}

static const char *statement_error(struct mr_db *db, MYSQL_STMT *stmt)
{
	if (mysql_stmt_errno(stmt) != 0 || db->conn == NULL)
		return mysql_stmt_error(stmt);
	return mysql_errno(db->conn) != 0 ? mysql_error(db->conn) :
		"unknown error";
}

/* A new server-side prepared statement on the open connection; NULL
   with *errnum_r set on failure. */
static MYSQL_STMT *statement_prepare(struct mr_db *db, const char *query,
				     unsigned int *errnum_r,
				     struct mr_error *error)
{
	MYSQL_STMT *stmt = mysql_stmt_init(db->conn);

	if (stmt == NULL) {
		*errnum_r = mysql_errno(db->conn);
		mr_error_set(error, "mysql_stmt_init failed: %s",
			     mysql_error(db->conn));
		return NULL;
	}
	if (mysql_stmt_prepare(stmt, query, strlen(query)) != 0) {
		*errnum_r = statement_errno(db, stmt);
		mr_error_set(error, "prepare failed on %s: %s", db->host_name,
			     statement_error(db, stmt));
		mysql_stmt_close(stmt);
		return NULL;
	}
	return stmt;
}

static const char *statement_text(const struct mr_db *db, unsigned int id)
{
	return id < STMT_COUNT ? db->queries[id] :
		db->caller_queries[id - STMT_COUNT];
}

/* The prepared statement id, connecting and preparing as needed; NULL
   with *errnum_r set (0 when there is no connection) on failure. */
static MYSQL_STMT *db_statement(struct mr_db *db, unsigned int id,
				unsigned int *errnum_r,
				struct mr_error *error)
{
	*errnum_r = 0;
	if (mr_db_connect(db, error) < 0)
		return NULL;
	if (db->statements[id] == NULL)
		db->statements[id] = statement_prepare(db, statement_text(db, id),
						       errnum_r, error);
	return db->statements[id];
}

/* Errors after which a new connection may succeed: the server went away,
   restarted (statement handles gone) or the connection broke. */
static bool connection_lost(unsigned int errnum)
{
	switch (errnum) {
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_SERVER_LOST_EXTENDED:
	case ER_UNKNOWN_STMT_HANDLER:
	case ER_CONNECTION_KILLED:
		return true;
	default:
		return false;
	}
}

static void account_row_init(struct account_row *row)
{
	memset(row, 0, sizeof(*row));
	for (unsigned int i = 0; i < COL_COUNT; i++) {
		const struct account_column *column = &account_columns[i];
		MYSQL_BIND *bind = &row->bind[i];

		bind->buffer = (char *)row + column->offset;
		bind->length = &row->length[i];
		bind->is_null = &row->is_null[i];
		bind->error = &row->truncated[i];
		switch (column->type) {
		case COLUMN_NUMBER:
			bind->buffer_type = MYSQL_TYPE_LONGLONG;
			bind->is_unsigned = 1;
			break;
		case COLUMN_STRING:
			bind->buffer_type = MYSQL_TYPE_STRING;
			/* one byte kept for the NUL terminator */
			bind->buffer_length = column->size - 1;
			break;
		}
	}
}

static void account_row_wipe(struct account_row *row)
{
	sodium_memzero(row, sizeof(*row));
}


/* A row the view should never produce (NULL where the schema has NOT
   NULL, a value too long for its buffer, a flag other than 0/1) is a
   data error, reported with the account id so it can be fixed. */
static int account_row_finish(struct account_row *row,
			      struct mr_account *account_r,
			      struct mr_error *error)
{
	struct mr_account *account = &row->account;

	for (unsigned int i = 0; i < COL_COUNT; i++) {
		const struct account_column *column = &account_columns[i];
		/* a number that does not fit an unsigned 64-bit value is
		   negative (the schema's columns are unsigned) */
		const char *problem = row->is_null[i] ? "NULL" :
			column->type == COLUMN_NUMBER ? "negative" : "too long";

		if (row->truncated[i] ||
		    (row->is_null[i] && !column->nullable)) {
			mr_error_set(error,
				"malformed row for account %llu: column %s is %s",
				row->is_null[COL_ACCOUNT_ID] ? 0ULL :
				row->account_id, column->name, problem);
			return -1;
		}
		if (column->type == COLUMN_STRING) {
			char *text = (char *)row + column->offset;

			text[row->is_null[i] ? 0 : row->length[i]] = '\0';
		}
	}
	if (row->is_active > 1 || row->hosted > 1 || row->continuity > 1 ||
	    row->grouped > 1) {
		mr_error_set(error,
			"malformed row for account %llu: flag not 0 or 1",
			row->account_id);
		return -1;
	}
	if (strlen(account->localpart) != row->length[COL_LOCALPART] ||
	    strlen(account->domain) != row->length[COL_DOMAIN]) {
		mr_error_set(error,
			"malformed row for account %llu: NUL byte in a name",
			row->account_id);
		return -1;
	}
	account->account_id = row->account_id;
	account->user_id = row->user_id;
	account->domain_id = row->domain_id;
	account->is_active = row->is_active == 1;
	account->hosted = row->hosted == 1;
	account->continuity = row->continuity == 1;
	account->has_storage_days = !row->is_null[COL_STORAGE_DAYS];
	account->storage_days = account->has_storage_days ?
		(unsigned long)row->storage_days : 0;
	account->has_quota = !row->is_null[COL_QUOTA_MB];
	account->quota_mb = account->has_quota ?
		(unsigned long)row->quota_mb : 0;
	*account_r = *account;
	return 0;
}

/* Executes a prepared statement with its result bound to row. On a lost
   connection, reconnects and tries once more: nothing has been read yet,
   so the retry cannot deliver a row twice. */
static MYSQL_STMT *db_execute(struct mr_db *db, unsigned int id,
			      MYSQL_BIND *params, MYSQL_BIND *result,
			      struct mr_error *error)
{
	for (unsigned int attempt = 0; attempt < 2; attempt++) {
		unsigned int errnum;
		MYSQL_STMT *stmt = db_statement(db, id, &errnum, error);

		if (stmt == NULL) {
			if (attempt == 0 && connection_lost(errnum)) {
				db_disconnect(db);
				continue;
			}
			return NULL;
		}
		if ((params != NULL && mysql_stmt_bind_param(stmt, params) != 0) ||
		    mysql_stmt_execute(stmt) != 0 ||
		    mysql_stmt_bind_result(stmt, result) != 0) {
			errnum = statement_errno(db, stmt);
			mr_error_set(error, "query failed on %s: %s",
				     db->host_name, statement_error(db, stmt));
			mysql_stmt_free_result(stmt);
			if (attempt == 0 && connection_lost(errnum)) {
				db_disconnect(db);
				continue;
			}
			return NULL;
		}
		return stmt;
	}
	return NULL;
}

/* Fetches the next row: 1 row, 0 end of result, -1 failure. A broken
   connection is closed so that it is never reused. */
static int db_fetch(struct mr_db *db, MYSQL_STMT *stmt,
		    struct mr_error *error)
{
	int fetch = mysql_stmt_fetch(stmt);

	if (fetch == 0 || fetch == MYSQL_DATA_TRUNCATED)
		return 1;
	if (fetch == MYSQL_NO_DATA)
		return 0;
	mr_error_set(error, "fetch failed on %s: %s",
		     db->host_name, statement_error(db, stmt));
	if (connection_lost(statement_errno(db, stmt)))
		db_disconnect(db);
	else
		mysql_stmt_free_result(stmt);
	return -1;
}

struct find_address_context {
	const char *localpart;
	const struct mr_candidate *candidates;
	unsigned int count;
	const char *domain;
	size_t domain_len;
	/* the account of the best candidate so far; best == count: none */
	struct mr_account *account;
	unsigned int best;
	/* the account is in a shared-folder group */
	bool grouped;
	/* a second account at the best candidate: a data error */
	bool conflict;
	uint64_t conflict_account_id, conflict_domain_id;
};

/* The candidate a row answers, by its login columns compared as SPEC 3
   says (ASCII letters case-insensitively, every other byte exactly);
   count when none: the server's utf8_general_ci also returns look-alikes
   (jöhn for john), which are not this address. */
static unsigned int row_candidate(const struct account_row *row,
				  const struct find_address_context *ctx)
{
	if (row->truncated[COL_LOGIN_LOCALPART] ||
	    row->truncated[COL_LOGIN_DOMAIN] ||
	    row->is_null[COL_LOGIN_LOCALPART] ||
	    row->is_null[COL_LOGIN_DOMAIN] ||
	    !mr_address_name_equal(row->login_domain,
				   row->length[COL_LOGIN_DOMAIN],
				   ctx->domain, ctx->domain_len))
		return ctx->count;
	for (unsigned int i = 0; i < ctx->count; i++) {
		if (mr_address_name_equal(row->login_localpart,
					  row->length[COL_LOGIN_LOCALPART],
					  ctx->localpart,
					  ctx->candidates[i].length))
			return i;
	}
	return ctx->count;
}

/* Keeps the row if it answers a better candidate than any before: an
   exact match beats a cut one whatever order the rows come in. Several
   rows of one account at one candidate (a domain alias and an
   external_domain) are one match; two accounts are a data error unless
   a better candidate is found later. */
static int find_address_row(struct account_row *row,
			    struct find_address_context *ctx,
			    struct mr_error *error)
{
	unsigned int candidate = row_candidate(row, ctx);
	struct mr_account account;

	if (candidate > ctx->best || candidate == ctx->count)
		return 0;
	if (account_row_finish(row, &account, error) < 0)
		return -1;
	if (candidate < ctx->best) {
		*ctx->account = account;
		ctx->best = candidate;
		ctx->grouped = row->grouped == 1;
		ctx->conflict = false;
	} else if (account.account_id != ctx->account->account_id ||
		   account.domain_id != ctx->account->domain_id) {
		ctx->conflict = true;
		ctx->conflict_account_id = account.account_id;
		ctx->conflict_domain_id = account.domain_id;
	}
	mr_account_wipe(&account);
	return 0;
}

static void bind_param_string(MYSQL_BIND *bind, const char *value,
			      unsigned long *length)
{
	memset(bind, 0, sizeof(*bind));
	bind->buffer_type = MYSQL_TYPE_STRING;
	bind->buffer = (void *)value;
	bind->buffer_length = *length;
	bind->length = length;
}

static void bind_param_number(MYSQL_BIND *bind, unsigned long long *number)
{
	memset(bind, 0, sizeof(*bind));
	bind->buffer_type = MYSQL_TYPE_LONGLONG;
	bind->buffer = number;
	bind->is_unsigned = 1;
}

/* Parameters of the address lookup: per branch, one slot per candidate
   (unused ones repeat the exact localpart), then the domain. */
static void find_address_bind(const struct find_address_context *ctx,
			      MYSQL_BIND params[FIND_ADDRESS_PARAM_COUNT],
			      unsigned long lengths[FIND_ADDRESS_PARAM_COUNT])
{
	unsigned int n = 0;

	for (unsigned int branch = 0; branch < 2; branch++) {
		for (unsigned int slot = 0; slot < MR_MAX_CANDIDATES; slot++) {
			unsigned int i = slot < ctx->count ? slot : 0;

			lengths[n] = ctx->candidates[i].length;
			bind_param_string(&params[n], ctx->localpart,
					  &lengths[n]);
			n++;
		}
		lengths[n] = ctx->domain_len;
		bind_param_string(&params[n], ctx->domain, &lengths[n]);
		n++;
	}
}

/* The shared-folder groups of account_id into groups (MR_GROUPS_SIZE),
   "" for none; -1 on a database or data error. */
static int account_groups_read(struct mr_db *db, uint64_t account_id,
			       char *groups, struct mr_error *error)
{
	unsigned long long id = account_id;
	unsigned long length = 0;
	my_bool is_null = 0, truncated = 0;
	MYSQL_BIND param, result;
	MYSQL_STMT *stmt;
	int fetched, rows = 0;

	bind_param_number(&param, &id);
	memset(&result, 0, sizeof(result));
	result.buffer_type = MYSQL_TYPE_STRING;
	result.buffer = groups;
	/* one byte kept for the NUL terminator */
	result.buffer_length = MR_GROUPS_SIZE - 1;
	result.length = &length;
	result.is_null = &is_null;
	result.error = &truncated;
	groups[0] = '\0';
	stmt = db_execute(db, STMT_ACCOUNT_GROUPS, &param, &result, error);
	if (stmt == NULL)
		return -1;
	while ((fetched = db_fetch(db, stmt, error)) > 0)
		rows++;
	if (fetched < 0)
		return -1;
	mysql_stmt_free_result(stmt);
	if (rows != 1 || truncated) {
		mr_error_set(error,
			"malformed groups for account %llu: %s", id,
			rows != 1 ? "not one row" : "too long");
		return -1;
	}
	groups[is_null ? 0 : length] = '\0';
	if (strlen(groups) != (is_null ? 0 : length)) {
		mr_error_set(error,
			"malformed groups for account %llu: NUL byte in a name",
			id);
		return -1;
	}
	if (!is_null && !mr_account_groups_decode(groups)) {
		mr_error_set(error,
			"malformed groups for account %llu: a group's name holds ','",
			id);
		return -1;
	}
	return 0;
}

enum mr_db_result mr_db_find_address(struct mr_db *db, const char *localpart,
				     const struct mr_candidate *candidates,
				     unsigned int count, const char *domain,
				     struct mr_account *account_r,
				     unsigned int *candidate_r,
				     struct mr_error *error)
{
	struct find_address_context ctx = {
		.localpart = localpart, .candidates = candidates,
		.count = count, .domain = domain, .domain_len = strlen(domain),
		.account = account_r, .best = count,
	};
	unsigned long lengths[FIND_ADDRESS_PARAM_COUNT];
	MYSQL_BIND params[FIND_ADDRESS_PARAM_COUNT];
	struct account_row row;
	MYSQL_STMT *stmt;
	int ret = 0, fetched;

	memset(account_r, 0, sizeof(*account_r));
	*candidate_r = count;
	if (count == 0 || count > MR_MAX_CANDIDATES) {
		mr_error_set(error, "%u candidate localparts", count);
		return MR_DB_FAILED;
	}
	find_address_bind(&ctx, params, lengths);
	account_row_init(&row);
	stmt = db_execute(db, STMT_FIND_ADDRESS, params, row.bind, error);
	if (stmt == NULL)
		return MR_DB_FAILED;
	/* read every row even after a failure: the connection must be left
	   ready for the next statement */
	while ((fetched = db_fetch(db, stmt, error)) > 0) {
		if (ret == 0 && find_address_row(&row, &ctx, error) < 0)
			ret = -1;
	}
	if (fetched == 0)
		mysql_stmt_free_result(stmt);
	account_row_wipe(&row);
	if (ret == 0 && fetched == 0 && ctx.conflict) {
		mr_error_set(error,
			"data error: %.*s@%s matches account %llu "
			"(domain %llu) and account %llu (domain %llu)",
			(int)candidates[ctx.best].length, localpart, domain,
			(unsigned long long)account_r->account_id,
			(unsigned long long)account_r->domain_id,
			(unsigned long long)ctx.conflict_account_id,
			(unsigned long long)ctx.conflict_domain_id);
		ret = -1;
	}
	if (ret == 0 && fetched == 0 && ctx.best < count && ctx.grouped)
		ret = account_groups_read(db, account_r->account_id,
					  account_r->groups, error);
	if (ret < 0 || fetched < 0) {
		mr_account_wipe(account_r);
		return MR_DB_FAILED;
	}
	if (ctx.best == count)
		return MR_DB_NOT_FOUND;
	*candidate_r = ctx.best;
	return MR_DB_FOUND;
}

int mr_db_server_info(struct mr_db *db, struct mr_db_server *server_r,
		      struct mr_error *error)
{
	const struct mr_config *config = db->config;
	unsigned long long version = 0;
	my_bool is_null = 1;
	MYSQL_BIND result;
	MYSQL_STMT *stmt;
	const char *cipher;
	int fetched;

	memset(server_r, 0, sizeof(*server_r));
	bind_param_number(&result, &version);
	result.is_null = &is_null;
	stmt = db_execute(db, STMT_SCHEMA_VERSION, NULL, &result, error);
	if (stmt == NULL)
		return -1;
	while ((fetched = db_fetch(db, stmt, error)) > 0) ;
	if (fetched < 0)
		return -1;
	mysql_stmt_free_result(stmt);
	server_r->schema_version = is_null ? 0 : (unsigned long)version;
	if (config->db_socket != NULL)
		snprintf(server_r->host, sizeof(server_r->host), "%s",
			 config->db_socket);
	else
		host_label(&config->db_hosts[db->host_index], server_r->host,
			   sizeof(server_r->host));
	cipher = mysql_get_ssl_cipher(db->conn);
	snprintf(server_r->tls_cipher, sizeof(server_r->tls_cipher), "%s",
		 cipher != NULL ? cipher : "");
	snprintf(server_r->version, sizeof(server_r->version), "%s",
		 mysql_get_server_info(db->conn));
	return 0;
}

/* Binds every result column of stmt as text into values (one byte kept
   for the terminator). */
static int rows_bind(MYSQL_STMT *stmt, unsigned int *count_r,
		     char values[][MR_DB_VALUE_SIZE], unsigned long *lengths,
		     my_bool *is_null, my_bool *truncated, MYSQL_BIND *bind,
		     struct mr_error *error)
{
	unsigned int count = mysql_stmt_field_count(stmt);

	if (count == 0 || count > MR_DB_ROW_MAX_COLUMNS) {
		mr_error_set(error, "statement gives %u columns (1-%u read)",
			     count, MR_DB_ROW_MAX_COLUMNS);
		return -1;
	}
	memset(bind, 0, count * sizeof(*bind));
	memset(truncated, 0, count * sizeof(*truncated));
	for (unsigned int i = 0; i < count; i++) {
		bind[i].buffer_type = MYSQL_TYPE_STRING;
		bind[i].buffer = values[i];
		bind[i].buffer_length = MR_DB_VALUE_SIZE - 1;
		bind[i].length = &lengths[i];
		bind[i].is_null = &is_null[i];
		bind[i].error = &truncated[i];
	}
	*count_r = count;
	return 0;
}

int mr_db_query_rows(struct mr_db *db, unsigned int slot, const char *query,
		     const char *const *params, unsigned int param_count,
		     mr_db_row_callback *callback, void *context,
		     struct mr_error *error)
{
	char values[MR_DB_ROW_MAX_COLUMNS][MR_DB_VALUE_SIZE];
	const char *row[MR_DB_ROW_MAX_COLUMNS];
	unsigned long lengths[MR_DB_ROW_MAX_COLUMNS];
	unsigned long param_lengths[MR_DB_ROW_MAX_COLUMNS];
	my_bool is_null[MR_DB_ROW_MAX_COLUMNS];
	my_bool truncated[MR_DB_ROW_MAX_COLUMNS];
	MYSQL_BIND bind[MR_DB_ROW_MAX_COLUMNS];
	MYSQL_BIND param_bind[MR_DB_ROW_MAX_COLUMNS];
	unsigned int id = STMT_COUNT + slot, count, errnum;
	int fetched, ret = 0;
	MYSQL_STMT *stmt;

	if (slot >= MR_DB_CALLER_SLOTS || param_count > MR_DB_ROW_MAX_COLUMNS) {
		mr_error_set(error, "statement slot %u or %u parameters out "
			     "of range", slot, param_count);
		return -1;
	}
	if (db->caller_queries[slot] != query) {
		/* another text in the slot: prepare the new one */
		if (db->statements[id] != NULL) {
			mysql_stmt_close(db->statements[id]);
			db->statements[id] = NULL;
		}
		db->caller_queries[slot] = query;
	}
	for (unsigned int i = 0; i < param_count; i++) {
		param_lengths[i] = strlen(params[i]);
		bind_param_string(&param_bind[i], params[i], &param_lengths[i]);
	}
	stmt = db_statement(db, id, &errnum, error);
	if (stmt == NULL ||
	    rows_bind(stmt, &count, values, lengths, is_null, truncated, bind,
		      error) < 0)
		return -1;
	stmt = db_execute(db, id, param_count > 0 ? param_bind : NULL, bind,
			  error);
	if (stmt == NULL)
		return -1;
	/* read every row even after a failure: the connection must be left
	   ready for the next statement */
	while ((fetched = db_fetch(db, stmt, error)) > 0) {
		if (ret < 0)
			continue;
		for (unsigned int i = 0; i < count; i++) {
			if (truncated[i]) {
				mr_error_set(error, "a value longer than %u "
					     "bytes", MR_DB_VALUE_SIZE - 1);
				truncated[i] = 0;
				ret = -1;
			}
			values[i][is_null[i] ? 0 : lengths[i]] = '\0';
			row[i] = is_null[i] ? NULL : values[i];
			/* never a value silently cut at a NUL */
			if (ret == 0 && !is_null[i] &&
			    strlen(values[i]) != lengths[i]) {
				mr_error_set(error, "column %u of a row holds "
					     "a NUL byte: a data error", i + 1);
				ret = -1;
			}
		}
		if (ret == 0)
			ret = callback(context, count, row, error);
	}
	if (fetched == 0)
		mysql_stmt_free_result(stmt);
	return fetched < 0 ? -1 : ret;
}

#define PLAN_MAX_COLUMNS 16
#define PLAN_VALUE_SIZE 256

/* Runs a prepared EXPLAIN and hands each plan row to the callback, every
   column as text (NULL as "NULL"). */
static int explain_rows(struct mr_db *db, MYSQL_STMT *stmt,
			mr_db_plan_callback *callback, void *context,
			struct mr_error *error)
{
	char values[PLAN_MAX_COLUMNS][PLAN_VALUE_SIZE];
	const char *names[PLAN_MAX_COLUMNS], *shown[PLAN_MAX_COLUMNS];
	unsigned long lengths[PLAN_MAX_COLUMNS];
	my_bool is_null[PLAN_MAX_COLUMNS];
	MYSQL_BIND bind[PLAN_MAX_COLUMNS];
	MYSQL_RES *metadata = mysql_stmt_result_metadata(stmt);
	unsigned int count;
	int fetched;

	if (metadata == NULL) {
		mr_error_set(error, "EXPLAIN gave no result on %s: %s",
			     db->host_name, statement_error(db, stmt));
		return -1;
	}
	count = mysql_num_fields(metadata);
	if (count > PLAN_MAX_COLUMNS)
		count = PLAN_MAX_COLUMNS;
	memset(bind, 0, sizeof(bind));
	for (unsigned int i = 0; i < count; i++) {
		names[i] = mysql_fetch_field_direct(metadata, i)->name;
		bind[i].buffer_type = MYSQL_TYPE_STRING;
		bind[i].buffer = values[i];
		bind[i].buffer_length = PLAN_VALUE_SIZE - 1;
		bind[i].length = &lengths[i];
		bind[i].is_null = &is_null[i];
	}
	if (mysql_stmt_bind_result(stmt, bind) != 0) {
		mr_error_set(error, "EXPLAIN failed on %s: %s",
			     db->host_name, statement_error(db, stmt));
		mysql_free_result(metadata);
		return -1;
	}
	while ((fetched = db_fetch(db, stmt, error)) > 0) {
		for (unsigned int i = 0; i < count; i++) {
			size_t len = lengths[i] < PLAN_VALUE_SIZE - 1 ?
				lengths[i] : PLAN_VALUE_SIZE - 1;

			values[i][len] = '\0';
			shown[i] = is_null[i] ? "NULL" : values[i];
		}
		callback(context, count, names, shown);
	}
	if (fetched == 0)
		mysql_stmt_free_result(stmt);
	mysql_free_result(metadata);
	return fetched;
}

int mr_db_explain_find_address(struct mr_db *db, const char *localpart,
			       const char *domain,
			       mr_db_plan_callback *callback, void *context,
			       struct mr_error *error)
{
	struct mr_candidate candidate = { strlen(localpart), '\0' };
	struct find_address_context ctx = {
		.localpart = localpart, .candidates = &candidate, .count = 1,
		.domain = domain, .domain_len = strlen(domain),
	};
	unsigned long lengths[FIND_ADDRESS_PARAM_COUNT];
	MYSQL_BIND params[FIND_ADDRESS_PARAM_COUNT];
	char explain[QUERY_SIZE];
	MYSQL_STMT *stmt;
	unsigned int errnum;
	int ret;

	if (mr_db_connect(db, error) < 0)
		return -1;
	explain[0] = '\0';
	if (!query_append(explain, "EXPLAIN ") ||
	    !query_append(explain, db->queries[STMT_FIND_ADDRESS])) {
		mr_error_set(error, "EXPLAIN statement too long");
		return -1;
	}
	stmt = statement_prepare(db, explain, &errnum, error);
	if (stmt == NULL)
		return -1;
	find_address_bind(&ctx, params, lengths);
	if (mysql_stmt_bind_param(stmt, params) != 0 ||
	    mysql_stmt_execute(stmt) != 0) {
		mr_error_set(error, "EXPLAIN failed on %s: %s", db->host_name,
			     statement_error(db, stmt));
		mysql_stmt_close(stmt);
		return -1;
	}
	ret = explain_rows(db, stmt, callback, context, error);
	mysql_stmt_close(stmt);
	return ret < 0 ? -1 : 0;
}

struct mr_db_user_iter {
	struct mr_db *db;
	enum statement_id statement;
	/* the current page, read whole into the client; NULL between pages */
	MYSQL_STMT *stmt;
	unsigned int generation;
	/* keyset: alias ids up to page_start are handed out, the current
	   page ends at page_end; last_page when no alias id follows it */
	unsigned long long page_start, page_end;
	bool last_page;
	bool finished, failed;
	struct account_row row;
};

struct mr_db_user_iter *mr_db_user_iter_init(struct mr_db *db,
					     enum mr_db_user_scope scope,
					     struct mr_error *error)
{
	struct mr_db_user_iter *iter = calloc(1, sizeof(*iter));

	if (iter == NULL) {
		mr_error_set(error, "out of memory");
		return NULL;
	}
	iter->db = db;
	iter->statement = scope == MR_DB_USERS_ALL ?
		STMT_ITERATE_ALL_USERS : STMT_ITERATE_USERS;
	/* Connect now, so that an unreachable database fails the start of
	   the iteration rather than its first row. */
	if (mr_db_connect(db, error) < 0) {
		free(iter);
		return NULL;
	}
	return iter;
}

/* Where the page after page_start ends: 1, or 0 when no alias id
   follows, -1 on failure. */
static int user_iter_find_page_end(struct mr_db_user_iter *iter,
				   struct mr_error *error)
{
	unsigned long long offset = ITERATE_PAGE_SIZE - 1;
	unsigned long long end[2] = { 0, 0 };
	my_bool is_null[2] = { 1, 1 };
	MYSQL_BIND params[2], result[2];
	MYSQL_STMT *stmt;
	int fetched;

	bind_param_number(&params[0], &iter->page_start);
	bind_param_number(&params[1], &offset);
	for (unsigned int i = 0; i < 2; i++) {
		bind_param_number(&result[i], &end[i]);
		result[i].is_null = &is_null[i];
	}
	stmt = db_execute(iter->db, STMT_USER_PAGE_END, params, result, error);
	if (stmt == NULL)
		return -1;
	fetched = db_fetch(iter->db, stmt, error);
	if (fetched < 0)
		return -1;
	/* one row, always: drain it */
	if (fetched > 0)
		while ((fetched = db_fetch(iter->db, stmt, error)) > 0) ;
	if (fetched < 0)
		return -1;
	mysql_stmt_free_result(stmt);
	iter->last_page = is_null[0] != 0;
	iter->page_end = iter->last_page ? end[1] : end[0];
	return !is_null[1] && iter->page_end > iter->page_start ? 1 : 0;
}

/* Reads the users of (page_start, page_end] into the client. */
static int user_iter_read_page(struct mr_db_user_iter *iter,
			       struct mr_error *error)
{
	MYSQL_BIND params[2];
	MYSQL_STMT *stmt;

	bind_param_number(&params[0], &iter->page_start);
	bind_param_number(&params[1], &iter->page_end);
	account_row_init(&iter->row);
	stmt = db_execute(iter->db, iter->statement, params, iter->row.bind,
			  error);
	if (stmt == NULL)
		return -1;
	if (mysql_stmt_store_result(stmt) != 0) {
		mr_error_set(error, "reading users failed on %s: %s",
			     iter->db->host_name,
			     statement_error(iter->db, stmt));
		if (connection_lost(statement_errno(iter->db, stmt)))
			db_disconnect(iter->db);
		else
			mysql_stmt_free_result(stmt);
		return -1;
	}
	iter->stmt = stmt;
	iter->generation = iter->db->generation;
	return 0;
}

static void user_iter_end_page(struct mr_db_user_iter *iter)
{
	if (iter->stmt != NULL && iter->generation == iter->db->generation)
		mysql_stmt_free_result(iter->stmt);
	iter->stmt = NULL;
}

/* 1 with the next row in iter->row, 0 at the end, -1 on failure. A page
   lost to a reconnect (another lookup on the same handle) is read again
   from the last row handed out. Pages without a listed user are
   skipped. */
static int user_iter_next_row(struct mr_db_user_iter *iter,
			      struct mr_error *error)
{
	for (;;) {
		int ret;

		if (iter->stmt != NULL &&
		    iter->generation != iter->db->generation)
			iter->stmt = NULL;
		if (iter->stmt == NULL) {
			if (iter->page_end <= iter->page_start) {
				ret = user_iter_find_page_end(iter, error);
				if (ret <= 0)
					return ret;
			}
			if (user_iter_read_page(iter, error) < 0)
				return -1;
		}
		ret = db_fetch(iter->db, iter->stmt, error);
		if (ret != 0) {
			if (ret < 0)
				iter->stmt = NULL;
			return ret;
		}
		user_iter_end_page(iter);
		iter->page_start = iter->page_end;
		if (iter->last_page)
			return 0;
	}
}

enum mr_db_result mr_db_user_iter_next(struct mr_db_user_iter *iter,
				       struct mr_account *account_r,
				       struct mr_error *error)
{
	int ret;

	if (iter->finished)
		return iter->failed ? MR_DB_FAILED : MR_DB_NOT_FOUND;
	ret = user_iter_next_row(iter, error);
	if (ret > 0 && account_row_finish(&iter->row, account_r, error) == 0) {
		/* handed out: a page read again starts after it */
		iter->page_start = iter->row.alias_id;
		return MR_DB_FOUND;
	}
	user_iter_end_page(iter);
	iter->finished = true;
	iter->failed = ret != 0;
	return iter->failed ? MR_DB_FAILED : MR_DB_NOT_FOUND;
}

void mr_db_user_iter_deinit(struct mr_db_user_iter **_iter)
{
	struct mr_db_user_iter *iter = *_iter;

	if (iter == NULL)
		return;
	*_iter = NULL;
	user_iter_end_page(iter);
	account_row_wipe(&iter->row);
	free(iter);
}
