/* The operator's file of Stalwart 0.16 domain ids, for
   mailroute-auth stalwart-mailing-lists. */

#include "stalwart-domain-ids.h"

#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Domain names in any case: the CLI runs in the C locale, where
   strcasecmp folds ASCII only. */
static int compare_names(const void *a, const void *b)
{
	return strcasecmp(((const struct stalwart_domain_id *)a)->name,
			  ((const struct stalwart_domain_id *)b)->name);
}

/* One line: blank, a comment, or a pair; adds the pair. */
static int add_line(struct stalwart_domain_ids *ids, char *line,
		    size_t *allocated, struct mr_error *error)
{
	static const char space[] = " \t\r\n";
	char *comment = strchr(line, '#'), *name, *id, *rest;

	if (comment != NULL)
		*comment = '\0';
	name = strtok_r(line, space, &rest);
	if (name == NULL)
		return 0;
	id = strtok_r(NULL, space, &rest);
	if (id == NULL || strtok_r(NULL, space, &rest) != NULL) {
		mr_error_set(error, "not a \"domain id\" pair");
		return -1;
	}
	if (ids->count == *allocated) {
		size_t more = *allocated == 0 ? 64 : *allocated * 2;
		struct stalwart_domain_id *list =
			realloc(ids->list, more * sizeof(*list));

		if (list == NULL) {
			mr_error_set(error, "out of memory");
			return -1;
		}
		ids->list = list;
		*allocated = more;
	}
	ids->list[ids->count].name = strdup(name);
	ids->list[ids->count].id = strdup(id);
	if (ids->list[ids->count].name == NULL ||
	    ids->list[ids->count].id == NULL) {
		free(ids->list[ids->count].name);
		free(ids->list[ids->count].id);
		mr_error_set(error, "out of memory");
		return -1;
	}
	ids->count++;
	return 0;
}

static int compare_ids(const void *a, const void *b)
{
	const struct stalwart_domain_id *const *x = a, *const *y = b;

	return strcmp((*x)->id, (*y)->id);
}

/* One id names one domain in Stalwart: given to two names here, a list of
   one customer's domain would land on the other's, perhaps another
   customer's. Returns the id given twice, or NULL (or NULL with
   *failed_r set when out of memory). */
static const char *id_given_twice(const struct stalwart_domain_ids *ids,
				  bool *failed_r)
{
	const struct stalwart_domain_id **by_id;
	const char *twice = NULL;

	*failed_r = false;
	if (ids->count < 2)
		return NULL;
	if ((by_id = calloc(ids->count, sizeof(*by_id))) == NULL) {
		*failed_r = true;
		return NULL;
	}
	for (size_t i = 0; i < ids->count; i++)
		by_id[i] = &ids->list[i];
	qsort(by_id, ids->count, sizeof(*by_id), compare_ids);
	for (size_t i = 1; i < ids->count && twice == NULL; i++) {
		if (strcmp(by_id[i - 1]->id, by_id[i]->id) == 0)
			twice = by_id[i]->id;
	}
	free(by_id);
	return twice;
}

int stalwart_domain_ids_load(const char *path, struct stalwart_domain_ids *ids_r,
			     struct mr_error *error)
{
	FILE *file = fopen(path, "r");
	char *line = NULL;
	size_t line_size = 0, allocated = 0;
	unsigned int line_number = 0;
	int ret = 0;

	memset(ids_r, 0, sizeof(*ids_r));
	if (file == NULL) {
		mr_error_set(error, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (ret == 0 && getline(&line, &line_size, file) != -1) {
		line_number++;
		ret = add_line(ids_r, line, &allocated, error);
	}
	if (ret == 0 && ferror(file)) {
		mr_error_set(error, "%s: read failed", path);
		ret = -1;
	} else if (ret < 0) {
		char reason[sizeof(error->message)];

		snprintf(reason, sizeof(reason), "%s", error->message);
		mr_error_set(error, "%s:%u: %s", path, line_number, reason);
	}
	free(line);
	fclose(file);
	if (ret == 0 && ids_r->count > 0) {
		qsort(ids_r->list, ids_r->count, sizeof(*ids_r->list),
		      compare_names);
		for (size_t i = 1; i < ids_r->count; i++) {
			if (compare_names(&ids_r->list[i - 1],
					  &ids_r->list[i]) == 0) {
				mr_error_set(error, "%s: %s named twice", path,
					     ids_r->list[i].name);
				ret = -1;
				break;
			}
		}
	}
	if (ret == 0) {
		bool failed;
		const char *twice = id_given_twice(ids_r, &failed);

		if (failed) {
			mr_error_set(error, "out of memory");
			ret = -1;
		} else if (twice != NULL) {
			mr_error_set(error, "%s: id %s given to two domains",
				     path, twice);
			ret = -1;
		}
	}
	if (ret < 0)
		stalwart_domain_ids_free(ids_r);
	return ret;
}

const char *stalwart_domain_ids_find(const struct stalwart_domain_ids *ids,
				     const char *domain)
{
	struct stalwart_domain_id key = { (char *)domain, NULL };
	const struct stalwart_domain_id *found;

	if (ids->count == 0)
		return NULL;
	found = bsearch(&key, ids->list, ids->count, sizeof(*ids->list),
			compare_names);
	return found != NULL ? found->id : NULL;
}

void stalwart_domain_ids_free(struct stalwart_domain_ids *ids)
{
	for (size_t i = 0; i < ids->count; i++) {
		free(ids->list[i].name);
		free(ids->list[i].id);
	}
	free(ids->list);
	memset(ids, 0, sizeof(*ids));
}
