/* Read-only statements a program brings (mr_db_query_rows): every column
   read as text, a value holding a NUL byte or cut short a data error. */

#include "mr-db-private.h"

#include <stdio.h>
#include <string.h>

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

/* A fetched row's values as text, NULL for NULL, into row; -1 (error
   set) for a value cut short or holding a NUL byte, never passed on. */
static int row_values_finish(unsigned int count,
			     char values[][MR_DB_VALUE_SIZE],
			     const unsigned long *lengths,
			     const my_bool *is_null, my_bool *truncated,
			     const char **row, struct mr_error *error)
{
	for (unsigned int i = 0; i < count; i++) {
		if (truncated[i]) {
			mr_error_set(error, "a value longer than %u bytes",
				     MR_DB_VALUE_SIZE - 1);
			truncated[i] = 0;
			return -1;
		}
		values[i][is_null[i] ? 0 : lengths[i]] = '\0';
		row[i] = is_null[i] ? NULL : values[i];
		if (!is_null[i] && strlen(values[i]) != lengths[i]) {
			mr_error_set(error, "column %u of a row holds a NUL "
				     "byte: a data error", i + 1);
			return -1;
		}
	}
	return 0;
}

int mr_db_query_rows(struct mr_db *db, const char *query,
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
	const struct db_query statement = { query, param_count, DB_ANY_COLUMNS };
	unsigned int count;
	int fetched, ret = 0;
	MYSQL_STMT *stmt;

	if (param_count > MR_DB_ROW_MAX_COLUMNS) {
		mr_error_set(error, "%u parameters out of range", param_count);
		return -1;
	}
	for (unsigned int i = 0; i < param_count; i++) {
		param_lengths[i] = strlen(params[i]);
		db_bind_string(&param_bind[i], params[i], &param_lengths[i]);
	}
	stmt = db_execute(db, &statement, param_count > 0 ? param_bind : NULL,
			  NULL, error);
	if (stmt == NULL ||
	    rows_bind(stmt, &count, values, lengths, is_null, truncated, bind,
		      error) < 0 ||
	    mysql_stmt_bind_result(stmt, bind) != 0) {
		if (stmt != NULL)
			mysql_stmt_free_result(stmt);
		return -1;
	}
	/* read every row even after a failure: the connection must be left
	   ready for the next statement */
	while ((fetched = db_fetch(db, stmt, error)) > 0) {
		if (ret == 0)
			ret = row_values_finish(count, values, lengths, is_null,
						truncated, row, error);
		if (ret == 0)
			ret = callback(context, count, row, error);
	}
	if (fetched == 0)
		mysql_stmt_free_result(stmt);
	return fetched < 0 ? -1 : ret;
}
