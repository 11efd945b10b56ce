/* mailroute-auth stalwart-lists and stalwart-mailing-lists: the
   distribution lists as Stalwart takes them, one JSON object a line.

   stalwart-lists, 0.10.7 to 0.15: the principal fields its management
   API parses (PrincipalField::try_parse,
   crates/directory/src/backend/internal/mod.rs at v0.10.7 and v0.15.5);
   "members" are principal names, which for the SQL directory are the
   accounts' canonical addresses (the name query), "externalMembers"
   addresses Stalwart relays to.

   stalwart-mailing-lists, 0.16: the registry's MailingList object
   (crates/registry/src/schema/structs.rs at v0.16.18): "name" is the
   local part on "domainId", Stalwart's id of the domain's primary name;
   "aliases" the same local part on the domain's other names (a
   List<EmailAlias>, an object keyed "0", "1", ...); "recipients" every
   address the list delivers to (a Map<String>, an object whose keys are
   the addresses, each true: types/list.rs and types/map.rs). Stalwart
   expands a list to its recipients at RCPT (network/mta.rs). */

#include "stalwart-lists.h"
#include "command.h"
#include "output.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
   it delivers to. The expansion repeats a member for each name of the
   list's domain: DISTINCT by the account's id (an external member's
   bytes), never by the collated name, under which john@ and jöhn@, two
   accounts, are one. */
static const char lists_query[] =
	"SELECT list_id, kind, value FROM ("
	" SELECT l.id AS list_id, 'name' AS kind,"
	"  CONCAT(l.localpart, '@', d.name) AS value"
	"  FROM mailroute_list l JOIN amavisd_domain d ON d.id = l.domain_id"
	"  WHERE l.active = 1 AND l.id BETWEEN ? AND ?"
	" UNION ALL SELECT id, 'description', description FROM mailroute_list"
	"  WHERE active = 1 AND description <> '' AND id BETWEEN ? AND ?"
	" UNION ALL SELECT list_id, 'emails',"
	"  CONCAT(list_localpart, '@', list_domain)"
	"  FROM mailroute_list_address"
	"  WHERE active = 1 AND list_id BETWEEN ? AND ?"
	" UNION ALL SELECT list_id, kind, value COLLATE utf8_general_ci"
	"  FROM (SELECT DISTINCT list_id,"
	"  IF(member_kind = 'account', 'members', 'externalMembers') AS kind,"
	"  account_id, member_address COLLATE utf8_bin AS value"
	"  FROM mailroute_list_expansion"
	"  WHERE list_active = 1 AND receives = 1 AND list_id BETWEEN ? AND ?"
	" ) AS members) AS list_rows ORDER BY list_id, kind, value";

/* The multi-valued fields, in the principal's output order. */
enum list_field { FIELD_EMAILS, FIELD_MEMBERS, FIELD_EXTERNAL_MEMBERS,
		  FIELD_COUNT };
static const char *const field_kinds[FIELD_COUNT] = {
	"emails", "members", "externalMembers"
};

/* A field's values, each '\0'-terminated, one after another. */
struct list_values {
	char *data;
	size_t size;
	FILE *stream;
};

struct list_object {
	/* NULL: Stalwart 0.10.7 to 0.15's principal; else 0.16's
	   MailingList with these domain ids */
	const struct stalwart_domain_ids *domain_ids;
	char list_id[32];
	char *name, *description;
	struct list_values values[FIELD_COUNT];
	unsigned int printed, left_out;
};

#define FOR_EACH_VALUE(value, values) \
	for (const char *value = (values)->data; \
	     value < (values)->data + (values)->size; \
	     value += strlen(value) + 1)

static void list_object_clear(struct list_object *list)
{
	free(list->name);
	free(list->description);
	for (unsigned int i = 0; i < FIELD_COUNT; i++) {
		if (list->values[i].stream != NULL)
			fclose(list->values[i].stream);
		free(list->values[i].data);
		memset(&list->values[i], 0, sizeof(list->values[i]));
	}
	list->name = list->description = NULL;
	list->list_id[0] = '\0';
}

static int list_object_start(struct list_object *list, const char *list_id,
			     struct mr_error *error)
{
	snprintf(list->list_id, sizeof(list->list_id), "%s", list_id);
	for (unsigned int i = 0; i < FIELD_COUNT; i++) {
		struct list_values *values = &list->values[i];

		values->stream = open_memstream(&values->data, &values->size);
		if (values->stream == NULL) {
			mr_error_set(error, "out of memory");
			return -1;
		}
	}
	return 0;
}

static void principal_print(const struct list_object *list)
{
	fputs("{\"type\":\"list\",\"name\":", stdout);
	output_json_string(stdout, list->name);
	if (list->description != NULL) {
		fputs(",\"description\":", stdout);
		output_json_string(stdout, list->description);
	}
	for (unsigned int i = 0; i < FIELD_COUNT; i++) {
		const char *separator = "";

		printf(",\"%s\":[", field_kinds[i]);
		FOR_EACH_VALUE(value, &list->values[i]) {
			fputs(separator, stdout);
			output_json_string(stdout, value);
			separator = ",";
		}
		fputc(']', stdout);
	}
	fputs("}\n", stdout);
}

/* The Stalwart id of address's domain, or NULL, said on standard error
   (the caller leaves the address out). */
static const char *
mailing_list_domain_id(struct list_object *list, const char *address)
{
	const char *at = strrchr(address, '@');
	const char *id = at == NULL ? NULL :
		stalwart_domain_ids_find(list->domain_ids, at + 1);

	if (id == NULL) {
		fprintf(stderr, "mailroute-auth: stalwart-mailing-lists: list "
			"%s: no Stalwart domain id for %s, left out\n",
			list->name, address);
		list->left_out++;
	}
	return id;
}

/* "name" and "domainId" or "name" and an alias's "domainId": the local
   part (up to the last '@', which the id was found by) and the id. */
static void local_part_and_id_print(const char *address, const char *id)
{
	fputs("\"name\":", stdout);
	output_json_bytes(stdout, address,
			 (size_t)(strrchr(address, '@') - address));
	fputs(",\"domainId\":", stdout);
	output_json_string(stdout, id);
}

/* Returns false when the list's own domain has no id: not printed. */
static bool mailing_list_print(struct list_object *list)
{
	const char *domain_id = mailing_list_domain_id(list, list->name);
	const char *separator = "";
	unsigned int aliases = 0;

	if (domain_id == NULL)
		return false;
	fputc('{', stdout);
	local_part_and_id_print(list->name, domain_id);
	if (list->description != NULL) {
		fputs(",\"description\":", stdout);
		output_json_string(stdout, list->description);
	}
	fputs(",\"aliases\":{", stdout);
	FOR_EACH_VALUE(address, &list->values[FIELD_EMAILS]) {
		const char *alias_id;

		if (strcmp(address, list->name) == 0 ||
		    (alias_id = mailing_list_domain_id(list, address)) == NULL)
			continue;
		printf("%s\"%u\":{\"enabled\":true,", aliases == 0 ? "" : ",",
		       aliases);
		local_part_and_id_print(address, alias_id);
		fputc('}', stdout);
		aliases++;
	}
	fputs("},\"recipients\":{", stdout);
	for (unsigned int i = FIELD_MEMBERS; i <= FIELD_EXTERNAL_MEMBERS; i++) {
		FOR_EACH_VALUE(address, &list->values[i]) {
			fputs(separator, stdout);
			output_json_string(stdout, address);
			fputs(":true", stdout);
			separator = ",";
		}
	}
	fputs("}}\n", stdout);
	return true;
}

/* Prints the list collected so far, if any, and forgets it. */
static int list_object_flush(struct list_object *list, struct mr_error *error)
{
	if (list->list_id[0] == '\0')
		return 0;
	for (unsigned int i = 0; i < FIELD_COUNT; i++) {
		if (fflush(list->values[i].stream) != 0) {
			mr_error_set(error, "out of memory");
			return -1;
		}
	}
	/* every active list has a name row; one without is a list whose
	   domain went away between the rows */
	if (list->name != NULL) {
		if (list->domain_ids == NULL) {
			principal_print(list);
			list->printed++;
		} else if (mailing_list_print(list)) {
			list->printed++;
		}
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
		return 0;
	}
	for (unsigned int i = 0; i < FIELD_COUNT; i++) {
		if (strcmp(kind, field_kinds[i]) == 0) {
			fputs(value, list->values[i].stream);
			fputc('\0', list->values[i].stream);
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
	return mr_db_query_rows(db, lists_query, params,
				LIST_QUERY_PARAMS, list_row, list, error);
}

static int lists_print(struct mr_db *db, struct list_object *list,
		       struct mr_error *error)
{
	unsigned long last_id = 0;
	int ret;

	ret = mr_db_query_rows(db, last_list_id_query, NULL,
			       0, last_list_id_row, &last_id, error);
	for (unsigned long first = 1; ret == 0 && first <= last_id;
	     first += LIST_ID_PAGE)
		ret = list_page_print(db, first, first + LIST_ID_PAGE - 1,
				      list, error);
	if (ret == 0)
		ret = list_object_flush(list, error);
	list_object_clear(list);
	return ret < 0 ? -1 : (int)list->printed;
}

int stalwart_lists_print(struct mr_db *db, struct mr_error *error)
{
	struct list_object list;

	memset(&list, 0, sizeof(list));
	return lists_print(db, &list, error);
}

int stalwart_mailing_lists_print(struct mr_db *db,
				 const struct stalwart_domain_ids *domain_ids,
				 unsigned int *left_out_r,
				 struct mr_error *error)
{
	struct list_object list;
	int printed;

	memset(&list, 0, sizeof(list));
	list.domain_ids = domain_ids;
	printed = lists_print(db, &list, error);
	*left_out_r = list.left_out;
	return printed;
}

int cmd_stalwart_lists(const struct cli_context *cli, char *operands[])
{
	(void)operands;
	struct mr_error error;
	int lists = stalwart_lists_print(cli->db, &error);

	if (lists < 0)
		cli_database_error(&error);
	return lists < 0 ? EXIT_DB_FAILURE : EXIT_FOUND;
}

int cmd_stalwart_mailing_lists(const struct cli_context *cli,
			       char *operands[])
{
	const char *domain_ids_path = operands[0];
	struct stalwart_domain_ids domain_ids;
	struct mr_error error;
	unsigned int left_out = 0;
	int lists;

	if (stalwart_domain_ids_load(domain_ids_path, &domain_ids, &error) < 0) {
		fprintf(stderr, "mailroute-auth: %s\n", error.message);
		return EXIT_USAGE;
	}
	lists = stalwart_mailing_lists_print(cli->db, &domain_ids, &left_out,
					     &error);
	if (lists < 0)
		cli_database_error(&error);
	stalwart_domain_ids_free(&domain_ids);
	return lists < 0 ? EXIT_DB_FAILURE :
		left_out > 0 ? EXIT_REFUSED : EXIT_FOUND;
}
