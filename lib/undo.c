/*
 * undo.c - folding the undos of requests into undo records, and writing
 * them out.
 *
 * The log is a JSON object keyed by "scope id", whose entries json-c keeps
 * in the order they were added: the undo file lists users in the order
 * their first change was applied.
 */
#include "undo.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fields.h"
#include "json_access.h"
#include "ndjson.h"

struct gcu_undo_log {
	json_object *by_user; /* "scope id" -> {"id","src","changes","expect"} */
};

/* Whether a field's value is a map whose entries change one by one. */
static int is_map(const char *field)
{
	enum gcu_field_kind k = gcu_field_kind(field);
	return k == GCU_FIELD_IDMAP || k == GCU_FIELD_QUEUES;
}

/* Puts field's value v (borrowed) into part (the changes or the expect of
 * an undo): the first value stays (first) or the last wins (!first). */
static void put(json_object *part, const char *field, json_object *v, int first)
{
	json_object *have = NULL;
	int present = json_object_object_get_ex(part, field, &have);

	if (is_map(field) && json_object_is_type(v, json_type_object) &&
	    json_object_is_type(have, json_type_object)) {
		json_object_object_foreach(v, entry, value)
		{
			if (!first || !json_object_object_get_ex(have, entry, NULL))
				json_object_object_add(have, entry, json_object_get(value));
		}
		return;
	}
	if (present && first)
		return;
	json_object *copy = NULL;
	/* A map is copied: later entries are folded into it in place. */
	if (is_map(field) && v != NULL && json_object_deep_copy(v, &copy, NULL) == 0)
		json_object_object_add(part, field, copy);
	else
		json_object_object_add(part, field, json_object_get(v));
}

/* The part (changes or expect) of undo, added when missing. */
static json_object *part_of(json_object *undo, const char *name)
{
	json_object *p = gcu_json_get(undo, name);
	if (!json_object_is_type(p, json_type_object)) {
		p = json_object_new_object();
		json_object_object_add(undo, name, p);
	}
	return p;
}

void gcu_undo_fold(json_object *into, json_object *from)
{
	json_object *changes = gcu_json_get(from, "changes"),
	            *expect = gcu_json_get(from, "expect");
	json_object *to_changes = part_of(into, "changes"), *to_expect = part_of(into, "expect");

	if (json_object_is_type(changes, json_type_object)) {
		json_object_object_foreach(changes, field, v)
		{
			put(to_changes, field, v, 1);
		}
	}
	if (json_object_is_type(expect, json_type_object)) {
		json_object_object_foreach(expect, field, v)
		{
			put(to_expect, field, v, 0);
		}
	}
}

void gcu_undo_add(json_object **undo, const char *field, json_object *restore, json_object *wrote)
{
	json_object *one = json_object_new_object(), *c = json_object_new_object(),
	            *e = json_object_new_object();

	json_object_object_add(c, field, restore);
	json_object_object_add(e, field, wrote);
	json_object_object_add(one, "changes", c);
	json_object_object_add(one, "expect", e);
	if (*undo == NULL) {
		*undo = one;
		return;
	}
	gcu_undo_fold(*undo, one);
	json_object_put(one);
}

struct gcu_undo_log *gcu_undo_log_new(void)
{
	struct gcu_undo_log *l = calloc(1, sizeof *l);
	if (l == NULL)
		return NULL;
	l->by_user = json_object_new_object();
	if (l->by_user == NULL) {
		free(l);
		return NULL;
	}
	return l;
}

int gcu_undo_log_add(struct gcu_undo_log *l, const char *id, const char *src, const char *scope,
                     json_object *undo)
{
	char key[128];
	json_object *rec = NULL;

	if (id == NULL || scope == NULL)
		return -1;
	if (!json_object_is_type(undo, json_type_object))
		return 0;
	/* One user, whatever the letter case of the id it was named by. */
	int n = snprintf(key, sizeof key, "%s %s", scope, id);
	if (n < 0 || (size_t)n >= sizeof key)
		return -1;
	for (char *p = key; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!json_object_object_get_ex(l->by_user, key, &rec)) {
		rec = json_object_new_object();
		json_object_object_add(rec, "id", json_object_new_string(id));
		if (src != NULL)
			json_object_object_add(rec, "src", json_object_new_string(src));
		json_object_object_add(l->by_user, key, rec);
	}
	gcu_undo_fold(rec, undo);
	return 0;
}

void gcu_undo_log_request(struct gcu_undo_log *l, json_object *req)
{
	json_object *members = gcu_json_get(req, "members");
	const char *scope = gcu_json_str(req, "scope");

	if (!json_object_is_type(members, json_type_array)) {
		(void)gcu_undo_log_add(l, gcu_json_str(req, "id"), gcu_json_str(req, "src"), scope,
		                       gcu_json_get(req, "undo"));
		return;
	}
	for (size_t i = 0; i < json_object_array_length(members); i++) {
		json_object *m = json_object_array_get_idx(members, i);
		(void)gcu_undo_log_add(l, gcu_json_str(m, "id"), gcu_json_str(m, "src"), scope,
		                       gcu_json_get(m, "undo"));
	}
}

void gcu_undo_log_result(struct gcu_undo_log *l, json_object *result)
{
	const char *status = gcu_json_str(result, "status");

	if (status == NULL || strcmp(status, "ok") != 0)
		return;
	(void)gcu_undo_log_add(l, gcu_json_str(result, "id"), gcu_json_str(result, "src"),
	                       gcu_json_str(result, "scope"), gcu_json_get(result, "undo"));
}

size_t gcu_undo_log_count(const struct gcu_undo_log *l)
{
	return (size_t)json_object_object_length(l->by_user);
}

int gcu_undo_log_write(const struct gcu_undo_log *l, const char *path, char *err, size_t errlen)
{
	struct ndjson_writer w;

	if (ndjson_writer_open_atomic(&w, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* The old values of people's profiles: for the owner only. */
	(void)fchmod(fileno(w.fp), 0600);
	json_object_object_foreach(l->by_user, key, rec)
	{
		(void)key;
		if (ndjson_write(&w, rec) < 0)
			break;
	}
	int rc = ndjson_writer_close(&w);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(w.error ? w.error : errno));
	ndjson_writer_free(&w);
	return rc < 0 ? -1 : 0;
}

void gcu_undo_log_free(struct gcu_undo_log *l)
{
	if (l == NULL)
		return;
	json_object_put(l->by_user);
	free(l);
}
