#ifndef MR_DB_PRIVATE_H
#define MR_DB_PRIVATE_H

/* What the files of the database layer share, and nothing outside it
   includes: the handle, and the connection layer's calls
   (mr-db-conn.c) that the account reader (mr-db-account.c) and the
   callers' statements (mr-db-rows.c) run their statements through. */

#include "mr-db.h"
#include "mr-db-hosts.h"

#include <mysql.h>

/* A statement as the connection layer runs it: the text, prepared once
   per connection and found again by its address (every text outlives the
   handle), and what it must take and give, checked when it is prepared:
   a view that changed shape is a clear error, never a misread row. */
struct db_query {
	const char *text;
	unsigned int params;
	/* DB_ANY_COLUMNS: the caller checks (mr_db_query_rows) */
	unsigned int columns;
};
#define DB_ANY_COLUMNS ((unsigned int)-1)

/* The account reader's statements, made by db_account_queries_make(). */
enum db_account_query {
	QUERY_FIND_ADDRESS,
	QUERY_USER_PAGE_END,
	QUERY_ITERATE_USERS,
	QUERY_ITERATE_ALL_USERS,
	QUERY_ACCOUNT_GROUPS,
	QUERY_COUNT
};

/* Room for the longest statement text (the address lookup's, about 1,200
   bytes, with EXPLAIN in front). */
#define QUERY_SIZE 2048

/* Statements kept prepared on one connection: the account reader's and
   the few a program brings (mr_db_query_rows). */
#define DB_PREPARED_MAX 16

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
	/* prepared on this connection, by text */
	struct {
		const char *text;
		MYSQL_STMT *stmt;
	} prepared[DB_PREPARED_MAX];
	unsigned int prepared_count;
	/* counts disconnects: a statement handle kept across calls (a user
	   iteration's page) is gone when this has changed */
	unsigned int generation;
	/* the account reader's statements and their texts */
	struct db_query account_queries[QUERY_COUNT];
	char account_texts[QUERY_COUNT][QUERY_SIZE];
};

/* mr-db-account.c: fills account_queries; false if a text does not fit
   QUERY_SIZE (a build error, caught by every test). */
bool db_account_queries_make(struct mr_db *db);

/* mr-db-conn.c */
/* Executes query with its result bound (result NULL: the caller binds
   it), connecting and preparing as needed. On a lost connection it reconnects and tries once more:
   nothing has been read yet, so the retry cannot deliver a row twice.
   NULL with error set on failure. */
MYSQL_STMT *db_execute(struct mr_db *db, const struct db_query *query,
		       MYSQL_BIND *params, MYSQL_BIND *result,
		       struct mr_error *error);
/* The next row: 1 row, 0 end of result, -1 failure. A broken
   connection is closed so that it is never reused. */
int db_fetch(struct mr_db *db, MYSQL_STMT *stmt, struct mr_error *error);
/* The query prepared on the open connection, not kept (EXPLAIN); NULL
   with *errnum_r set on failure. */
MYSQL_STMT *db_prepare(struct mr_db *db, const char *text,
		       unsigned int *errnum_r, struct mr_error *error);
/* A statement's error number and message, the connection's where the
   network layer left it there. */
unsigned int db_statement_errno(struct mr_db *db, MYSQL_STMT *stmt);
const char *db_statement_error(struct mr_db *db, MYSQL_STMT *stmt);
/* Errors after which a new connection may succeed. */
bool db_connection_lost(unsigned int errnum);
void db_disconnect(struct mr_db *db);
void db_bind_string(MYSQL_BIND *bind, const char *value,
		    unsigned long *length);
void db_bind_number(MYSQL_BIND *bind, unsigned long long *number);

#endif
