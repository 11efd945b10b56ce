/* The account reader: the one description of an account row
   (account_columns), the statements made from it, rows decoded and
   checked, the address lookup's rows for the resolver (mr-resolve.c), an
   account's groups, the lookup's plan, and the user listing in keyset
   pages. */

#include "mr-db-private.h"
#include "mr-address.h"
#include "mr-text.h"

#include <sodium.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The account's tenant: its canonical domain's customer id, one primary
   key probe per row read. Not a column of the views: Stalwart's user,
   which reads mailroute_alias, may not read amavisd_domain.customer_id,
   and a view naming it would refuse that user every row. */
#define TENANT_EXPRESSION \
	"(SELECT CAST(d.customer_id AS CHAR) " \
	"FROM amavisd_domain d WHERE d.id = domain_id)"

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

/* The text of query id, made into db->account_texts. */
static char *account_text(struct mr_db *db, enum db_account_query id,
			  unsigned int params, unsigned int columns)
{
	db->account_queries[id] = (struct db_query){
		db->account_texts[id], params, columns,
	};
	return db->account_texts[id];
}

bool db_account_queries_make(struct mr_db *db)
{
	/* Delivery users: names only, no hashes leave the database. */
	static const struct column_override delivery_users[] = {
		LISTED_NO_LOGIN, { COL_PASSWORD, "NULL" },
	};
	/* Every account with its hash, for the hash census. */
	static const struct column_override all_users[] = { LISTED_NO_LOGIN };
	static const char page[] =
		"mailroute_user WHERE alias_id > ? AND alias_id <= ? ";

	char *find_address = account_text(db, QUERY_FIND_ADDRESS,
					  FIND_ADDRESS_PARAM_COUNT, COL_COUNT);
	char *page_end = account_text(db, QUERY_USER_PAGE_END, 2, 2);
	char *users = account_text(db, QUERY_ITERATE_USERS, 2, COL_COUNT);
	char *all = account_text(db, QUERY_ITERATE_ALL_USERS, 2, COL_COUNT);
	char *groups = account_text(db, QUERY_ACCOUNT_GROUPS, 1, 1);

	return query_append_find_address(find_address) &&
		query_append(page_end, user_page_end_query) &&
		query_append_account_select(users, delivery_users,
			MR_N_ELEMENTS(delivery_users), page) &&
		query_append(users, "AND (hosted = 1 OR continuity = 1) "
			     "ORDER BY alias_id") &&
		query_append_account_select(all, all_users,
			MR_N_ELEMENTS(all_users), page) &&
		query_append(all, "ORDER BY alias_id") &&
		query_append(groups, account_groups_query);
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

/* The login columns of a row, or false when one is NULL or longer than
   its buffer: such a name is no candidate (a candidate is at most 255
   characters, 765 bytes), so the row is passed over. */
static bool row_login_usable(const struct account_row *row)
{
	return !row->truncated[COL_LOGIN_LOCALPART] &&
		!row->truncated[COL_LOGIN_DOMAIN] &&
		!row->is_null[COL_LOGIN_LOCALPART] &&
		!row->is_null[COL_LOGIN_DOMAIN];
}

/* mr_login_row.account for a fetched row: decoded and checked now. */
static int login_row_account(const struct mr_login_row *login,
			     struct mr_account *account_r, bool *grouped_r,
			     struct mr_error *error)
{
	struct account_row *row = login->context;

	if (account_row_finish(row, account_r, error) < 0)
		return -1;
	*grouped_r = row->grouped == 1;
	return 0;
}

/* Parameters of the address lookup: per branch, one slot per candidate
   (unused ones repeat the exact localpart), then the domain. */
static void find_address_bind(const char *localpart,
			      const struct mr_candidate *candidates,
			      unsigned int count, const char *domain,
			      MYSQL_BIND params[FIND_ADDRESS_PARAM_COUNT],
			      unsigned long lengths[FIND_ADDRESS_PARAM_COUNT])
{
	unsigned int n = 0;

	for (unsigned int branch = 0; branch < 2; branch++) {
		for (unsigned int slot = 0; slot < MR_MAX_CANDIDATES; slot++) {
			unsigned int i = slot < count ? slot : 0;

			lengths[n] = candidates[i].length;
			db_bind_string(&params[n], localpart, &lengths[n]);
			n++;
		}
		lengths[n] = strlen(domain);
		db_bind_string(&params[n], domain, &lengths[n]);
		n++;
	}
}

int mr_db_find_address_rows(struct mr_db *db, const char *localpart,
			    const struct mr_candidate *candidates,
			    unsigned int count, const char *domain,
			    mr_login_row_callback *callback, void *context,
			    struct mr_error *error)
{
	unsigned long lengths[FIND_ADDRESS_PARAM_COUNT];
	MYSQL_BIND params[FIND_ADDRESS_PARAM_COUNT];
	struct account_row row;
	struct mr_login_row login = {
		.localpart = row.login_localpart, .domain = row.login_domain,
		.account = login_row_account, .context = &row,
	};
	MYSQL_STMT *stmt;
	int ret = 0, fetched;

	if (count == 0 || count > MR_MAX_CANDIDATES) {
		mr_error_set(error, "%u candidate localparts", count);
		return -1;
	}
	find_address_bind(localpart, candidates, count, domain, params,
			  lengths);
	account_row_init(&row);
	stmt = db_execute(db, &db->account_queries[QUERY_FIND_ADDRESS], params,
			  row.bind, error);
	if (stmt == NULL)
		return -1;
	/* read every row even after a failure: the connection must be left
	   ready for the next statement */
	while ((fetched = db_fetch(db, stmt, error)) > 0) {
		if (ret < 0 || !row_login_usable(&row))
			continue;
		login.localpart_len = row.length[COL_LOGIN_LOCALPART];
		login.domain_len = row.length[COL_LOGIN_DOMAIN];
		if (callback(context, &login, error) < 0)
			ret = -1;
	}
	if (fetched == 0)
		mysql_stmt_free_result(stmt);
	account_row_wipe(&row);
	return ret < 0 || fetched < 0 ? -1 : 0;
}

int mr_db_account_groups(struct mr_db *db, uint64_t account_id,
			 char groups[MR_GROUPS_SIZE], struct mr_error *error)
{
	unsigned long long id = account_id;
	unsigned long length = 0;
	my_bool is_null = 0, truncated = 0;
	MYSQL_BIND param, result;
	MYSQL_STMT *stmt;
	int fetched, rows = 0;

	db_bind_number(&param, &id);
	memset(&result, 0, sizeof(result));
	result.buffer_type = MYSQL_TYPE_STRING;
	result.buffer = groups;
	/* one byte kept for the NUL terminator */
	result.buffer_length = MR_GROUPS_SIZE - 1;
	result.length = &length;
	result.is_null = &is_null;
	result.error = &truncated;
	groups[0] = '\0';
	stmt = db_execute(db, &db->account_queries[QUERY_ACCOUNT_GROUPS], &param,
			  &result, error);
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
			     db->host_name, db_statement_error(db, stmt));
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
			     db->host_name, db_statement_error(db, stmt));
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
	    !query_append(explain,
			  db->account_queries[QUERY_FIND_ADDRESS].text)) {
		mr_error_set(error, "EXPLAIN statement too long");
		return -1;
	}
	stmt = db_prepare(db, explain, &errnum, error);
	if (stmt == NULL)
		return -1;
	find_address_bind(localpart, &candidate, 1, domain, params, lengths);
	if (mysql_stmt_bind_param(stmt, params) != 0 ||
	    mysql_stmt_execute(stmt) != 0) {
		mr_error_set(error, "EXPLAIN failed on %s: %s", db->host_name,
			     db_statement_error(db, stmt));
		mysql_stmt_close(stmt);
		return -1;
	}
	ret = explain_rows(db, stmt, callback, context, error);
	mysql_stmt_close(stmt);
	return ret < 0 ? -1 : 0;
}

struct mr_db_user_iter {
	struct mr_db *db;
	enum db_account_query query;
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
	iter->query = scope == MR_DB_USERS_ALL ?
		QUERY_ITERATE_ALL_USERS : QUERY_ITERATE_USERS;
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

	db_bind_number(&params[0], &iter->page_start);
	db_bind_number(&params[1], &offset);
	for (unsigned int i = 0; i < 2; i++) {
		db_bind_number(&result[i], &end[i]);
		result[i].is_null = &is_null[i];
	}
	stmt = db_execute(iter->db,
			  &iter->db->account_queries[QUERY_USER_PAGE_END], params,
			  result, error);
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

	db_bind_number(&params[0], &iter->page_start);
	db_bind_number(&params[1], &iter->page_end);
	account_row_init(&iter->row);
	stmt = db_execute(iter->db, &iter->db->account_queries[iter->query],
			  params, iter->row.bind, error);
	if (stmt == NULL)
		return -1;
	if (mysql_stmt_store_result(stmt) != 0) {
		mr_error_set(error, "reading users failed on %s: %s",
			     iter->db->host_name,
			     db_statement_error(iter->db, stmt));
		if (db_connection_lost(db_statement_errno(iter->db, stmt)))
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
