/* The connection layer: hosts tried in order with their memory of
   failures (mr-db-hosts.c), TLS, timeouts, statements prepared once per
   connection and found again by their text, and one retry of a statement
   whose connection was lost. What runs through it: mr-db-account.c,
   mr-db-rows.c. */

#include "mr-clock.h"
#include "mr-db-private.h"
#include "mr-text.h"

#include <errmsg.h>
#include <mysqld_error.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	    !db_account_queries_make(db)) {
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

void db_disconnect(struct mr_db *db)
{
	for (unsigned int i = 0; i < db->prepared_count; i++)
		mysql_stmt_close(db->prepared[i].stmt);
	db->prepared_count = 0;
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
	mr_clock_start(&start);
	conn = connection_open(db->config, host->name, host->port, NULL,
			       error);
	if (conn == NULL) {
		db_log(db, MR_DB_LOG_WARNING,
		       "database host %s failed after %llu ms: %s; tried "
		       "after the other hosts for %u s", label,
		       mr_clock_usecs_since(&start) / 1000, error->message,
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
unsigned int db_statement_errno(struct mr_db *db, MYSQL_STMT *stmt)
{
	unsigned int errnum = mysql_stmt_errno(stmt);

	return errnum != 0 || db->conn == NULL ? errnum :
		mysql_errno(db->conn);
}

const char *db_statement_error(struct mr_db *db, MYSQL_STMT *stmt)
{
	if (mysql_stmt_errno(stmt) != 0 || db->conn == NULL)
		return mysql_stmt_error(stmt);
	return mysql_errno(db->conn) != 0 ? mysql_error(db->conn) :
		"unknown error";
}

MYSQL_STMT *db_prepare(struct mr_db *db, const char *query,
		       unsigned int *errnum_r, struct mr_error *error)
{
	MYSQL_STMT *stmt = mysql_stmt_init(db->conn);

	if (stmt == NULL) {
		*errnum_r = mysql_errno(db->conn);
		mr_error_set(error, "mysql_stmt_init failed: %s",
			     mysql_error(db->conn));
		return NULL;
	}
	if (mysql_stmt_prepare(stmt, query, strlen(query)) != 0) {
		*errnum_r = db_statement_errno(db, stmt);
		mr_error_set(error, "prepare failed on %s: %s", db->host_name,
			     db_statement_error(db, stmt));
		mysql_stmt_close(stmt);
		return NULL;
	}
	return stmt;
}

/* The statement of query on the open connection, prepared and checked
   the first time, connecting as needed; NULL with *errnum_r set (0 when
   there is no connection or the statement does not fit its query) on
   failure. */
static MYSQL_STMT *db_statement(struct mr_db *db, const struct db_query *query,
				unsigned int *errnum_r,
				struct mr_error *error)
{
	MYSQL_STMT *stmt;
	unsigned int columns;

	*errnum_r = 0;
	if (mr_db_connect(db, error) < 0)
		return NULL;
	for (unsigned int i = 0; i < db->prepared_count; i++) {
		if (db->prepared[i].text == query->text)
			return db->prepared[i].stmt;
	}
	if (db->prepared_count == DB_PREPARED_MAX) {
		mr_error_set(error, "more than %u statements on one connection",
			     DB_PREPARED_MAX);
		return NULL;
	}
	stmt = db_prepare(db, query->text, errnum_r, error);
	if (stmt == NULL)
		return NULL;
	columns = mysql_stmt_field_count(stmt);
	if (mysql_stmt_param_count(stmt) != query->params ||
	    (query->columns != DB_ANY_COLUMNS && columns != query->columns)) {
		mr_error_set(error, "statement on %s takes %lu values and gives "
			     "%u columns, not %u and %u: is the schema the one "
			     "this release reads?", db->host_name,
			     mysql_stmt_param_count(stmt), columns,
			     query->params, query->columns);
		mysql_stmt_close(stmt);
		return NULL;
	}
	db->prepared[db->prepared_count].text = query->text;
	db->prepared[db->prepared_count++].stmt = stmt;
	return stmt;
}

/* Errors after which a new connection may succeed: the server went away,
   restarted (statement handles gone) or the connection broke. */
bool db_connection_lost(unsigned int errnum)
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

MYSQL_STMT *db_execute(struct mr_db *db, const struct db_query *query,
		       MYSQL_BIND *params, MYSQL_BIND *result,
		       struct mr_error *error)
{
	for (unsigned int attempt = 0; attempt < 2; attempt++) {
		unsigned int errnum;
		MYSQL_STMT *stmt = db_statement(db, query, &errnum, error);

		if (stmt == NULL) {
			if (attempt == 0 && db_connection_lost(errnum)) {
				db_disconnect(db);
				continue;
			}
			return NULL;
		}
		if ((params != NULL && mysql_stmt_bind_param(stmt, params) != 0) ||
		    mysql_stmt_execute(stmt) != 0 ||
		    (result != NULL &&
		     mysql_stmt_bind_result(stmt, result) != 0)) {
			errnum = db_statement_errno(db, stmt);
			mr_error_set(error, "query failed on %s: %s",
				     db->host_name, db_statement_error(db, stmt));
			mysql_stmt_free_result(stmt);
			if (attempt == 0 && db_connection_lost(errnum)) {
				db_disconnect(db);
				continue;
			}
			return NULL;
		}
		return stmt;
	}
	return NULL;
}

int db_fetch(struct mr_db *db, MYSQL_STMT *stmt, struct mr_error *error)
{
	int fetch = mysql_stmt_fetch(stmt);

	if (fetch == 0 || fetch == MYSQL_DATA_TRUNCATED)
		return 1;
	if (fetch == MYSQL_NO_DATA)
		return 0;
	mr_error_set(error, "fetch failed on %s: %s",
		     db->host_name, db_statement_error(db, stmt));
	if (db_connection_lost(db_statement_errno(db, stmt)))
		db_disconnect(db);
	else
		mysql_stmt_free_result(stmt);
	return -1;
}

void db_bind_string(MYSQL_BIND *bind, const char *value,
			      unsigned long *length)
{
	memset(bind, 0, sizeof(*bind));
	bind->buffer_type = MYSQL_TYPE_STRING;
	bind->buffer = (void *)value;
	bind->buffer_length = *length;
	bind->length = length;
}

void db_bind_number(MYSQL_BIND *bind, unsigned long long *number)
{
	memset(bind, 0, sizeof(*bind));
	bind->buffer_type = MYSQL_TYPE_LONGLONG;
	bind->buffer = number;
	bind->is_unsigned = 1;
}

static const struct db_query schema_version_query = {
	"SELECT MAX(version) FROM mailroute_schema_version", 0, 1,
};

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
	db_bind_number(&result, &version);
	result.is_null = &is_null;
	stmt = db_execute(db, &schema_version_query, NULL, &result, error);
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
