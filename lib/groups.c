/*
 * groups.c - batches of member changes, one per scope, kind of request
 * and group, handed out as group request records.
 *
 * The batches are kept in the order they were opened, with a map from
 * "scope op group" to the one still filling; the order of the kinds
 * (kinds[] below) is the order they are handed out in.
 */
#include "groups.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoints.h"
#include "json_access.h"
#include "uuid.h"

/* The group requests, in the order they must be sent; a kind that waits
 * is handed out only at the end, even when a batch of it is full. */
static const struct {
	const char *op;
	int waits;
} kinds[] = {
    {"queueLeave", 0}, {"queueJoin", 0},
    {"teamLeave", 0},  {"teamJoin", 1}, /* after the leave of the old team, which may still fill */
    {"division", 0},
};
#define NKINDS (sizeof kinds / sizeof *kinds)

struct batch {
	size_t kind;
	char *scope;
	char group[40];
	json_object *members; /* [{"id","src","changes"}…], NULL once handed out */
	size_t max;           /* the platform's limit for the request */
};

struct gcu_grouper {
	size_t hold, held;
	struct batch *b;
	size_t n, cap, gone; /* batches, room for them, handed out of them */
	json_object *open;   /* "scope op group" -> index of the batch still filling */
};

struct gcu_grouper *gcu_grouper_new(size_t hold)
{
	struct gcu_grouper *g = calloc(1, sizeof *g);
	if (g == NULL)
		return NULL;
	g->hold = hold ? hold : 1;
	g->open = json_object_new_object();
	if (g->open == NULL) {
		free(g);
		return NULL;
	}
	return g;
}

size_t gcu_grouper_held(const struct gcu_grouper *g)
{
	return g->held;
}

static size_t kind_of(const char *op)
{
	for (size_t k = 0; op && k < NKINDS; k++)
		if (strcmp(kinds[k].op, op) == 0)
			return k;
	return NKINDS;
}

/* Hands batch b out to out: its request record, built from the table. */
static void hand_out(struct gcu_grouper *g, struct batch *b, json_object *out)
{
	char why[256];
	json_object *req =
	    gcu_endpoint_group(kinds[b->kind].op, b->group, b->members, why, sizeof why);
	size_t n = json_object_array_length(b->members);

	if (req != NULL) {
		json_object *rec = json_object_new_object();
		json_object_object_add(rec, "scope", json_object_new_string(b->scope));
		json_object_object_foreach(req, key, val)
		{
			json_object_object_add(rec, key, json_object_get(val));
		}
		json_object_array_add(out, rec);
		json_object_put(req);
	}
	/* add() checked the op and the group, and a batch holds 1 to max
	 * members, so the request is always made; were it not, each member
	 * would still end in a line of its own. */
	for (size_t i = 0; req == NULL && i < n; i++) {
		json_object *m = json_object_array_get_idx(b->members, i);
		json_object *rec = json_object_new_object(), *e = json_object_new_object();
		json_object_object_add(rec, "id", json_object_get(gcu_json_get(m, "id")));
		json_object_object_add(rec, "src", json_object_get(gcu_json_get(m, "src")));
		json_object_object_add(rec, "scope", json_object_new_string(b->scope));
		json_object_object_add(rec, "status", json_object_new_string("failed"));
		json_object_object_add(e, "message", json_object_new_string(why));
		json_object_object_add(rec, "error", e);
		json_object_array_add(out, rec);
	}
	g->held -= n;
	g->gone++;
	json_object_put(b->members);
	b->members = NULL;
}

void gcu_grouper_flush(struct gcu_grouper *g, json_object *out)
{
	for (size_t k = 0; k < NKINDS; k++)
		for (size_t i = 0; i < g->n; i++)
			if (g->b[i].kind == k && g->b[i].members != NULL)
				hand_out(g, &g->b[i], out);
	for (size_t i = 0; i < g->n; i++)
		free(g->b[i].scope);
	g->n = g->gone = 0;
	json_object_put(g->open);
	g->open = json_object_new_object();
}

/* The key of the batch still filling for scope, kind and group. */
static void open_key(char *key, size_t len, const char *scope, size_t kind, const char *group)
{
	snprintf(key, len, "%s %s %s", scope, kinds[kind].op, group);
}

/* Drops the batches handed out, once they are most of them, so that a
 * long input of full batches keeps memory flat. */
static void compact(struct gcu_grouper *g)
{
	char key[128];
	size_t k = 0;

	if (g->n < 64 || 2 * g->gone < g->n)
		return;
	json_object_put(g->open);
	g->open = json_object_new_object();
	for (size_t i = 0; i < g->n; i++) {
		struct batch *b = &g->b[i];
		if (b->members == NULL) {
			free(b->scope);
			continue;
		}
		g->b[k] = *b;
		if (json_object_array_length(b->members) < b->max) {
			open_key(key, sizeof key, b->scope, b->kind, b->group);
			json_object_object_add(g->open, key, json_object_new_int64((int64_t)k));
		}
		k++;
	}
	g->n = k;
	g->gone = 0;
}

/* The batch still filling for scope, kind and group, opened when there
 * is none. Returns its index, or -1 when memory ran out. */
static long batch_for(struct gcu_grouper *g, const char *scope, size_t kind, const char *group)
{
	char key[128];
	json_object *at = NULL;

	open_key(key, sizeof key, scope, kind, group);
	if (json_object_object_get_ex(g->open, key, &at))
		return (long)json_object_get_int64(at);
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 16;
		struct batch *grown = realloc(g->b, cap * sizeof *grown);
		if (grown == NULL)
			return -1;
		g->b = grown;
		g->cap = cap;
	}
	struct batch *b = &g->b[g->n];
	memset(b, 0, sizeof *b);
	b->kind = kind;
	b->scope = strdup(scope);
	b->members = json_object_new_array();
	b->max = gcu_endpoint_find(kinds[kind].op)->members;
	snprintf(b->group, sizeof b->group, "%s", group);
	if (b->scope == NULL || b->members == NULL) {
		free(b->scope);
		json_object_put(b->members);
		return -1;
	}
	json_object_object_add(g->open, key, json_object_new_int64((int64_t)g->n));
	return (long)g->n++;
}

int gcu_grouper_add(struct gcu_grouper *g, const char *id, const char *src, const char *scope,
                    json_object *memberships, json_object *out, char *err, size_t errlen)
{
	size_t n = json_object_array_length(memberships);

	if (!gcu_uuid_valid(id) || scope == NULL) {
		snprintf(err, errlen, "a member needs a UUID id and a scope");
		return -1;
	}
	/* Check them all first, so that a bad one adds nothing. */
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(memberships, i);
		const char *op = gcu_json_str(m, "op"), *group = gcu_json_str(m, "group");
		const struct gcu_endpoint *ep = gcu_endpoint_find(op);
		if (kind_of(op) == NKINDS || ep == NULL || ep->members == 0) {
			snprintf(err, errlen, "'%.40s' is not a group request", op ? op : "");
			return -1;
		}
		if (!gcu_uuid_valid(group)) {
			snprintf(err, errlen, "%s: '%.40s' is not a UUID", op, group ? group : "");
			return -1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(memberships, i);
		size_t kind = kind_of(gcu_json_str(m, "op"));
		long at = batch_for(g, scope, kind, gcu_json_str(m, "group"));
		if (at < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		struct batch *b = &g->b[at];
		json_object *e = json_object_new_object();
		json_object_object_add(e, "id", json_object_new_string(id));
		if (src != NULL)
			json_object_object_add(e, "src", json_object_new_string(src));
		json_object_object_add(e, "changes", json_object_get(gcu_json_get(m, "changes")));
		if (gcu_json_get(m, "undo") != NULL)
			json_object_object_add(e, "undo", json_object_get(gcu_json_get(m, "undo")));
		json_object_array_add(b->members, e);
		g->held++;
		if (json_object_array_length(b->members) < b->max)
			continue;
		/* Full: the next member of this group opens a new batch. */
		char key[128];
		open_key(key, sizeof key, scope, kind, b->group);
		json_object_object_del(g->open, key);
		if (!kinds[kind].waits) {
			hand_out(g, b, out);
			compact(g);
		}
	}
	if (g->held >= g->hold)
		gcu_grouper_flush(g, out);
	return 0;
}

void gcu_grouper_free(struct gcu_grouper *g)
{
	if (g == NULL)
		return;
	for (size_t i = 0; i < g->n; i++) {
		free(g->b[i].scope);
		json_object_put(g->b[i].members);
	}
	free(g->b);
	json_object_put(g->open);
	free(g);
}
