/* mailroute-auth stalwart-lists: the distribution lists as Stalwart
   0.10.7 to 0.15 take them. The fields are the principal fields its
   management API parses (PrincipalField::try_parse,
   crates/directory/src/backend/internal/mod.rs at v0.10.7 and v0.15.5);
   "members" are principal names, which for the SQL directory are the
   accounts' canonical addresses (the name query), "externalMembers"
   addresses Stalwart relays to. */

#include "stalwart-lists.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum stalwart_lists_slot { SLOT_LAST_LIST_ID, SLOT_LISTS };

/* The lists are read a page of list ids at a time: every branch below
   takes the range, so each statement reads its page through the indexes
   and ends well inside db_read_timeout however many lists there are (one
   statement over 10,000 lists ran 5 s and was cut by the timeout). */
#define LIST_ID_PAGE 1000
/* first and last id for each of the query's four branches */
#define LIST_QUERY_PARAMS 8

static const char last_list_id_query[] =
	"SELECT COALESCE(MAX(id), 0) FROM mailroute_list";

/* One row per list and value, the lists of ids first..last in id order:
   a list's name (its local part on the domain's primary name),
   description, every address (each name of its domain), and each member
   it delivers to. UNION drops the rows the domain's other names repeat. */
static const char lists_query[] =
	"SELECT list_id, kind, value FROM ("
	" SELECT l.id AS list_id, 'name' AS kind,"
	"  CONCAT(l.localpart, '@', d.name) AS value"
	"  FROM mailroute_list l JOIN amavisd_domain d ON d.id = l.domain_id"
	"  WHERE l.active = 1 AND l.id BETWEEN ? AND ?"
	" UNION SELECT id, 'description', description FROM mailroute_list"
	"  WHERE active = 1 AND description <> '' AND id BETWEEN ? AND ?"
	" UNION SELECT list_id, 'emails',"
	"  CONCAT(list_localpart, '@', list_domain)"
	"  FROM mailroute_list_address"
	"  WHERE active = 1 AND list_id BETWEEN ? AND ?"
	" UNION SELECT list_id,"
	"  IF(member_kind = 'account', 'members', 'externalMembers'),"
	"  member_address"
	"  FROM mailroute_list_expansion"
	"  WHERE list_active = 1 AND receives = 1 AND list_id BETWEEN ? AND ?"
	") AS list_rows ORDER BY list_id, kind, value";

/* The array-valued fields, in output order. */
static const char *const array_fields[] = {
	"emails", "members", "externalMembers"
};
#define ARRAY_FIELDS (sizeof(array_fields) / sizeof(array_fields[0]))

struct list_object {
	char list_id[32];
	char *name, *description;
	/* each field's JSON array body: "a","b" */
	char *arrays[ARRAY_FIELDS];
	size_t array_sizes[ARRAY_FIELDS];
	FILE *array_streams[ARRAY_FIELDS];
	unsigned int printed;
};

/* value as a JSON string: UTF-8 passes through, '"', '\' and control
   characters are escaped. */
static void json_string_print(FILE *out, const char *value)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)value; *p != '\0';
	     p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void list_object_clear(struct list_object *list)
{
	free(list->name);
	free(list->description);
	for (unsigned int i = 0; i < ARRAY_FIELDS; i++) {
		if (list->array_streams[i] != NULL)
			fclose(list->array_streams[i]);
		free(list->arrays[i]);
		list->arrays[i] = NULL;
		list->array_streams[i] = NULL;
	}
	list->name = list->description = NULL;
	list->list_id[0] = '\0';
}

static int list_object_start(struct list_object *list, const char *list_id,
			     struct mr_error *error)
{
	snprintf(list->list_id, sizeof(list->list_id), "%s", list_id);
	for (unsigned int i = 0; i < ARRAY_FIELDS; i++) {
		list->array_streams[i] = open_memstream(&list->arrays[i],
							&list->array_sizes[i]);
		if (list->array_streams[i] == NULL) {
			mr_error_set(error, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* Prints the list collected so far, if any, and forgets it. */
static int list_object_flush(struct list_object *list, struct mr_error *error)
{
	if (list->list_id[0] == '\0')
		return 0;
	for (unsigned int i = 0; i < ARRAY_FIELDS; i++) {
		if (fflush(list->array_streams[i]) != 0) {
			mr_error_set(error, "out of memory");
			return -1;
		}
	}
	/* every active list has a name row; one without is a list whose
	   domain went away between the rows */
	if (list->name != NULL) {
		fputs("{\"type\":\"list\",\"name\":", stdout);
		json_string_print(stdout, list->name);
		if (list->description != NULL) {
			fputs(",\"description\":", stdout);
			json_string_print(stdout, list->description);
		}
		for (unsigned int i = 0; i < ARRAY_FIELDS; i++)
			printf(",\"%s\":[%s]", array_fields[i], list->arrays[i]);
		fputs("}\n", stdout);
		list->printed++;
	}
	list_object_clear(list);
	return 0;
}

static int list_row(void *context, unsigned int count,
		    const char *const *values, struct mr_error *error)
{
	struct list_object *list = context;
	const char *list_id = values[0], *kind = values[1], *value = values[2];

	if (count != 3 || list_id == NULL || kind == NULL || value == NULL) {
		mr_error_set(error, "list row: unexpected NULL");
		return -1;
	}
	if (strcmp(list->list_id, list_id) != 0) {
		if (list_object_flush(list, error) < 0 ||
		    list_object_start(list, list_id, error) < 0)
			return -1;
	}
	if (strcmp(kind, "name") == 0 || strcmp(kind, "description") == 0) {
		char **field = kind[0] == 'n' ? &list->name :
			&list->description;

		free(*field);
		if ((*field = strdup(value)) == NULL) {
			mr_error_set(error, "out of memory");
			return -1;
		}
	} else {
		for (unsigned int i = 0; i < ARRAY_FIELDS; i++) {
			FILE *stream = list->array_streams[i];

			if (strcmp(kind, array_fields[i]) != 0)
				continue;
			if (ftell(stream) > 0)
				fputc(',', stream);
			json_string_print(stream, value);
		}
	}
	return 0;
}

static int last_list_id_row(void *context, unsigned int count,
			    const char *const *values, struct mr_error *error)
{
	unsigned long *last_id = context;

	if (count != 1 || values[0] == NULL) {
		mr_error_set(error, "last list id: unexpected NULL");
		return -1;
	}
	*last_id = strtoul(values[0], NULL, 10);
	return 0;
}

static int list_page_print(struct mr_db *db, unsigned long first,
			   unsigned long last, struct list_object *list,
			   struct mr_error *error)
{
	char first_text[24], last_text[24];
	const char *params[LIST_QUERY_PARAMS];

	snprintf(first_text, sizeof(first_text), "%lu", first);
	snprintf(last_text, sizeof(last_text), "%lu", last);
	for (unsigned int i = 0; i < LIST_QUERY_PARAMS; i += 2) {
		params[i] = first_text;
		params[i + 1] = last_text;
	}
	return mr_db_query_rows(db, SLOT_LISTS, lists_query, params,
				LIST_QUERY_PARAMS, list_row, list, error);
}

int stalwart_lists_print(struct mr_db *db, struct mr_error *error)
{
	struct list_object list;
	unsigned long last_id = 0;
	int ret;

	memset(&list, 0, sizeof(list));
	ret = mr_db_query_rows(db, SLOT_LAST_LIST_ID, last_list_id_query, NULL,
			       0, last_list_id_row, &last_id, error);
	for (unsigned long first = 1; ret == 0 && first <= last_id;
	     first += LIST_ID_PAGE)
		ret = list_page_print(db, first, first + LIST_ID_PAGE - 1,
				      &list, error);
	if (ret == 0)
		ret = list_object_flush(&list, error);
	list_object_clear(&list);
	return ret < 0 ? -1 : (int)list.printed;
}
