#include "mr-db.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <sodium.h>

#include <stdlib.h>
#include <string.h>

/* Column order shared by every statement that reads accounts. */
#define ACCOUNT_COLUMNS \
	"account_id, user_id, domain_id, canonical_localpart, " \
	"canonical_domain, password, is_active, hosted, continuity, " \
	"continuity_storage_days, quota_mb"
#define ACCOUNT_COLUMN_COUNT 11

static const char find_address_query[] =
	"SELECT " ACCOUNT_COLUMNS " FROM mailroute_login "
	"WHERE login_localpart = ? AND login_domain = ?";

/* One row per canonical user: every column read is a function of
   (account, primary domain), so DISTINCT folds the alias rows together
   without relying on MariaDB's lax GROUP BY. */
#define ITERATE_USERS_QUERY(where) \
	"SELECT DISTINCT " ACCOUNT_COLUMNS " FROM mailroute_login " \
	where "ORDER BY account_id, domain_id"

static const char iterate_users_query[] =
	ITERATE_USERS_QUERY("WHERE hosted = 1 OR continuity = 1 ");
static const char iterate_all_users_query[] = ITERATE_USERS_QUERY("");

enum statement_id {
	STMT_FIND_ADDRESS,
	STMT_ITERATE_USERS,
	STMT_ITERATE_ALL_USERS,
	STMT_COUNT
};

static const char *const statement_queries[STMT_COUNT] = {
	[STMT_FIND_ADDRESS] = find_address_query,
	[STMT_ITERATE_USERS] = iterate_users_query,
	[STMT_ITERATE_ALL_USERS] = iterate_all_users_query,
};

struct mr_db {
	const struct mr_config *config;
	MYSQL *conn;
	/* the host that answered, for error messages */
	const char *host_name;
	MYSQL_STMT *statements[STMT_COUNT];
};

/* Where fetched columns land before they are checked and copied. */
struct account_row {
	MYSQL_BIND bind[ACCOUNT_COLUMN_COUNT];
	unsigned long length[ACCOUNT_COLUMN_COUNT];
	my_bool is_null[ACCOUNT_COLUMN_COUNT];
	my_bool truncated[ACCOUNT_COLUMN_COUNT];
	unsigned long long ids[3];
	unsigned long long is_active, hosted, continuity;
	unsigned long long storage_days, quota_mb;
	struct mr_account account;
};

static const char *const account_column_names[ACCOUNT_COLUMN_COUNT] = {
	"account_id", "user_id", "domain_id", "canonical_localpart",
	"canonical_domain", "password", "is_active", "hosted", "continuity",
	"continuity_storage_days", "quota_mb",
};

struct mr_db *mr_db_create(const struct mr_config *config)
{
	struct mr_db *db = calloc(1, sizeof(*db));

	if (db != NULL)
		db->config = config;
	return db;
}

static void db_disconnect(struct mr_db *db)
{
	for (unsigned int i = 0; i < STMT_COUNT; i++) {
		if (db->statements[i] != NULL) {
			mysql_stmt_close(db->statements[i]);
			db->statements[i] = NULL;
		}
	}
	if (db->conn != NULL) {
		mysql_close(db->conn);
		db->conn = NULL;
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

static int db_connect_host(struct mr_db *db, const char *host,
			   unsigned int port, const char *socket,
			   struct mr_error *error)
{
	const struct mr_config *config = db->config;
	MYSQL *conn = connection_new(config);

	if (conn == NULL) {
		mr_error_set(error, "MariaDB client initialisation failed");
		return -1;
	}
	if (mysql_real_connect(conn, host, config->db_user,
			       config->db_password, config->db_name, port,
			       socket, 0) == NULL) {
		mr_error_set(error, "connect to %s failed: %s",
			     socket != NULL ? socket : host,
			     mysql_error(conn));
		mysql_close(conn);
		return -1;
	}
	db->conn = conn;
	db->host_name = socket != NULL ? socket : host;
	return 0;
}

int mr_db_connect(struct mr_db *db, struct mr_error *error)
{
	const struct mr_config *config = db->config;

	if (db->conn != NULL)
		return 0;
	if (config->db_socket != NULL)
		return db_connect_host(db, NULL, 0, config->db_socket, error);
	/* The error of the last host tried is the one reported; earlier
	   ones name the same kind of failure in practice. */
	for (unsigned int i = 0; i < config->db_hosts_count; i++) {
		const struct mr_db_host *host = &config->db_hosts[i];

		if (db_connect_host(db, host->name, host->port, NULL,
				    error) == 0)
			return 0;
	}
	return -1;
}

static MYSQL_STMT *db_statement(struct mr_db *db, enum statement_id id,
				struct mr_error *error)
{
	MYSQL_STMT *stmt;

	if (mr_db_connect(db, error) < 0)
		return NULL;
	if (db->statements[id] != NULL)
		return db->statements[id];
	stmt = mysql_stmt_init(db->conn);
	if (stmt == NULL) {
		mr_error_set(error, "mysql_stmt_init failed: %s",
			     mysql_error(db->conn));
		return NULL;
	}
	if (mysql_stmt_prepare(stmt, statement_queries[id],
			       strlen(statement_queries[id])) != 0) {
		mr_error_set(error, "prepare failed on %s: %s", db->host_name,
			     mysql_stmt_error(stmt));
		mysql_stmt_close(stmt);
		return NULL;
	}
	db->statements[id] = stmt;
	return stmt;
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

static void account_row_bind_string(struct account_row *row, unsigned int i,
				    char *buffer, size_t size)
{
	row->bind[i].buffer_type = MYSQL_TYPE_STRING;
	row->bind[i].buffer = buffer;
	/* one byte kept for the NUL terminator */
	row->bind[i].buffer_length = size - 1;
}

static void account_row_bind_number(struct account_row *row, unsigned int i,
				    unsigned long long *number)
{
	row->bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
	row->bind[i].buffer = number;
	row->bind[i].is_unsigned = 1;
}

static void account_row_init(struct account_row *row)
{
	memset(row, 0, sizeof(*row));
	for (unsigned int i = 0; i < ACCOUNT_COLUMN_COUNT; i++) {
		row->bind[i].length = &row->length[i];
		row->bind[i].is_null = &row->is_null[i];
		row->bind[i].error = &row->truncated[i];
	}
	account_row_bind_number(row, 0, &row->ids[0]);
	account_row_bind_number(row, 1, &row->ids[1]);
	account_row_bind_number(row, 2, &row->ids[2]);
	account_row_bind_string(row, 3, row->account.localpart,
				sizeof(row->account.localpart));
	account_row_bind_string(row, 4, row->account.domain,
				sizeof(row->account.domain));
	account_row_bind_string(row, 5, row->account.password,
				sizeof(row->account.password));
	account_row_bind_number(row, 6, &row->is_active);
	account_row_bind_number(row, 7, &row->hosted);
	account_row_bind_number(row, 8, &row->continuity);
	account_row_bind_number(row, 9, &row->storage_days);
	account_row_bind_number(row, 10, &row->quota_mb);
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
	/* these may be NULL: password (unusable), days, quota */
	static const bool nullable[ACCOUNT_COLUMN_COUNT] = {
		[5] = true, [9] = true, [10] = true,
	};

	for (unsigned int i = 0; i < ACCOUNT_COLUMN_COUNT; i++) {
		if (row->truncated[i] ||
		    (row->is_null[i] && !nullable[i])) {
			mr_error_set(error,
				"malformed row for account %llu: column %s is %s",
				row->is_null[0] ? 0ULL : row->ids[0],
				account_column_names[i],
				row->truncated[i] ? "too long" : "NULL");
			return -1;
		}
	}
	if (row->is_active > 1 || row->hosted > 1 || row->continuity > 1) {
		mr_error_set(error,
			"malformed row for account %llu: flag not 0 or 1",
			row->ids[0]);
		return -1;
	}
	account->localpart[row->length[3]] = '\0';
	account->domain[row->length[4]] = '\0';
	account->password[row->is_null[5] ? 0 : row->length[5]] = '\0';
	if (strlen(account->localpart) != row->length[3] ||
	    strlen(account->domain) != row->length[4]) {
		mr_error_set(error,
			"malformed row for account %llu: NUL byte in a name",
			row->ids[0]);
		return -1;
	}
	account->account_id = row->ids[0];
	account->user_id = row->ids[1];
	account->domain_id = row->ids[2];
	account->is_active = row->is_active == 1;
	account->hosted = row->hosted == 1;
	account->continuity = row->continuity == 1;
	account->has_storage_days = !row->is_null[9];
	account->storage_days = account->has_storage_days ?
		(unsigned long)row->storage_days : 0;
	account->has_quota = !row->is_null[10];
	account->quota_mb = account->has_quota ?
		(unsigned long)row->quota_mb : 0;
	*account_r = *account;
	return 0;
}

/* Executes a prepared statement with its result bound to row. On a lost
   connection, reconnects and tries once more: nothing has been read yet,
   so the retry cannot deliver a row twice. */
static MYSQL_STMT *db_execute(struct mr_db *db, enum statement_id id,
			      MYSQL_BIND *params, struct account_row *row,
			      struct mr_error *error)
{
	for (unsigned int attempt = 0; attempt < 2; attempt++) {
		MYSQL_STMT *stmt = db_statement(db, id, error);
		unsigned int errnum;

		if (stmt == NULL) {
			if (db->conn == NULL)
				return NULL;
			errnum = mysql_errno(db->conn);
			if (attempt == 0 && connection_lost(errnum)) {
				db_disconnect(db);
				continue;
			}
			return NULL;
		}
		account_row_init(row);
		if ((params != NULL && mysql_stmt_bind_param(stmt, params) != 0) ||
		    mysql_stmt_execute(stmt) != 0 ||
		    mysql_stmt_bind_result(stmt, row->bind) != 0) {
			errnum = mysql_stmt_errno(stmt);
			mr_error_set(error, "query failed on %s: %s",
				     db->host_name, mysql_stmt_error(stmt));
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
		     db->host_name, mysql_stmt_error(stmt));
	if (connection_lost(mysql_stmt_errno(stmt)))
		db_disconnect(db);
	else
		mysql_stmt_free_result(stmt);
	return -1;
}

struct find_address_context {
	struct mr_account *account;
	unsigned int matches;
	const char *domain;
};

static int find_address_row(struct account_row *row, void *context,
			    struct mr_error *error)
{
	struct find_address_context *ctx = context;
	struct mr_account *found = ctx->account;
	struct mr_account account;

	if (account_row_finish(row, &account, error) < 0)
		return -1;
	if (ctx->matches > 0) {
		mr_account_wipe(&account);
		if (found->account_id == row->ids[0] &&
		    found->domain_id == row->ids[2])
			return 0;
		mr_error_set(error,
			"data error: address in domain %s matches account %llu "
			"(domain %llu) and account %llu (domain %llu)",
			ctx->domain,
			(unsigned long long)found->account_id,
			(unsigned long long)found->domain_id,
			row->ids[0], row->ids[2]);
		return -1;
	}
	*found = account;
	mr_account_wipe(&account);
	ctx->matches++;
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

enum mr_db_result mr_db_find_address(struct mr_db *db, const char *localpart,
				     size_t localpart_len, const char *domain,
				     struct mr_account *account_r,
				     struct mr_error *error)
{
	struct find_address_context ctx = { .account = account_r,
					    .domain = domain };
	unsigned long lengths[2] = { localpart_len, strlen(domain) };
	MYSQL_BIND params[2];
	struct account_row row;
	MYSQL_STMT *stmt;
	int ret = 0, fetched;

	bind_param_string(&params[0], localpart, &lengths[0]);
	bind_param_string(&params[1], domain, &lengths[1]);
	stmt = db_execute(db, STMT_FIND_ADDRESS, params, &row, error);
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
	if (ret < 0 || fetched < 0) {
		mr_account_wipe(account_r);
		return MR_DB_FAILED;
	}
	return ctx.matches > 0 ? MR_DB_FOUND : MR_DB_NOT_FOUND;
}

struct mr_db_user_iter {
	struct mr_db *db;
	MYSQL_STMT *stmt;
	struct account_row row;
	bool failed;
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
	iter->stmt = db_execute(db, scope == MR_DB_USERS_ALL ?
				STMT_ITERATE_ALL_USERS : STMT_ITERATE_USERS,
				NULL, &iter->row, error);
	if (iter->stmt == NULL) {
		free(iter);
		return NULL;
	}
	return iter;
}

enum mr_db_result mr_db_user_iter_next(struct mr_db_user_iter *iter,
				       struct mr_account *account_r,
				       struct mr_error *error)
{
	int fetched;

	if (iter->stmt == NULL)
		return iter->failed ? MR_DB_FAILED : MR_DB_NOT_FOUND;
	fetched = db_fetch(iter->db, iter->stmt, error);
	if (fetched > 0 &&
	    account_row_finish(&iter->row, account_r, error) == 0)
		return MR_DB_FOUND;
	if (fetched == 0) {
		mysql_stmt_free_result(iter->stmt);
	} else {
		iter->failed = true;
		if (fetched > 0) {
			/* a malformed row: drain the rest so the connection
			   stays usable */
			while (db_fetch(iter->db, iter->stmt, error) > 0) ;
			mysql_stmt_free_result(iter->stmt);
		}
	}
	iter->stmt = NULL;
	return iter->failed ? MR_DB_FAILED : MR_DB_NOT_FOUND;
}

void mr_db_user_iter_deinit(struct mr_db_user_iter **_iter)
{
	struct mr_db_user_iter *iter = *_iter;

	if (iter == NULL)
		return;
	*_iter = NULL;
	if (iter->stmt != NULL)
		mysql_stmt_free_result(iter->stmt);
	account_row_wipe(&iter->row);
	free(iter);
}
