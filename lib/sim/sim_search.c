/*
 * sim_search.c - the users search (see sim_search.h).
 *
 * The request is checked whole before any user is looked at, so that a
 * bad criterion is a 400 and never a partial answer. Each user's document
 * is then scanned once with the member scanner of sim_json.h (no tree),
 * and each criterion compares the raw text of a field with the wanted
 * values, unescaping only a value that holds escapes.
 */
#include "sim_search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim_json.h"

enum op { OP_AND, OP_OR, OP_NOT };

struct criterion {
	enum op op;
	json_object *fields; /* array of strings */
	json_object *values; /* array of strings */
	json_object *one;    /* "value", when there is no "values" */
};

static const char *const searchable[] = {
    "id",          "name",       "email", "username",
    "title",       "department", "state", "employerInfo.employeeId",
    "division.id", "manager.id",
};

static int is_searchable(const char *field)
{
	for (size_t i = 0; i < sizeof searchable / sizeof searchable[0]; i++)
		if (strcmp(searchable[i], field) == 0)
			return 1;
	return 0;
}

static int strings(json_object *a)
{
	if (!json_object_is_type(a, json_type_array) || json_object_array_length(a) == 0)
		return 0;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (!json_object_is_type(json_object_array_get_idx(a, i), json_type_string))
			return 0;
	return 1;
}

/* Reads criterion i of query into c; 400 in res when gcu-sim cannot
 * answer it. *on_state is set when it is about the user's state. */
static int criterion(json_object *query, size_t i, struct criterion *c, int *on_state,
                     struct sim_result *res)
{
	json_object *o = json_object_array_get_idx(query, i), *v;
	const char *type = NULL, *op = "AND";

	memset(c, 0, sizeof *c);
	if (json_object_object_get_ex(o, "type", &v) && json_object_is_type(v, json_type_string))
		type = json_object_get_string(v);
	if (type == NULL || strcmp(type, "EXACT") != 0) {
		result_set(res, 400, "bad.request",
		           "query[%zu]: gcu-sim answers only searches of type EXACT, not '%.40s'",
		           i, type ? type : "");
		return -1;
	}
	if (json_object_object_get_ex(o, "operator", &v))
		op = json_object_get_string(v);
	c->op = strcmp(op, "OR") == 0 ? OP_OR : strcmp(op, "NOT") == 0 ? OP_NOT : OP_AND;
	if (c->op == OP_AND && strcmp(op, "AND") != 0) {
		result_set(res, 400, "bad.request", "query[%zu]: operator must be AND, OR or NOT",
		           i);
		return -1;
	}
	if (!json_object_object_get_ex(o, "fields", &c->fields) || !strings(c->fields)) {
		result_set(res, 400, "bad.request", "query[%zu]: \"fields\" must list field names",
		           i);
		return -1;
	}
	for (size_t k = 0; k < json_object_array_length(c->fields); k++) {
		const char *f = json_object_get_string(json_object_array_get_idx(c->fields, k));
		if (!is_searchable(f)) {
			result_set(res, 400, "bad.request",
			           "query[%zu]: gcu-sim cannot search the field '%.60s'", i, f);
			return -1;
		}
		*on_state |= strcmp(f, "state") == 0;
	}
	if (json_object_object_get_ex(o, "values", &c->values) && strings(c->values))
		return 0;
	c->values = NULL;
	if (json_object_object_get_ex(o, "value", &c->one) &&
	    json_object_is_type(c->one, json_type_string))
		return 0;
	result_set(res, 400, "bad.request", "query[%zu]: give \"values\" or a \"value\"", i);
	return -1;
}

/* The raw text of the string value of field ("key" or "parent.key")
 * among members m, or NULL; its length in *len. */
static const char *field_text(const struct sim_json_member *m, size_t n, const char *field,
                              size_t *len)
{
	const char *dot = strchr(field, '.');
	size_t kl = dot ? (size_t)(dot - field) : strlen(field);

	for (size_t i = 0; i < n; i++) {
		struct sim_json_member *sub = NULL;
		size_t sn = 0;
		const char *text;
		char why[64];

		if (m[i].key_len != kl || memcmp(m[i].key, field, kl) != 0)
			continue;
		if (!dot) {
			*len = m[i].value_len;
			return m[i].value[0] == '"' ? m[i].value : NULL;
		}
		if (m[i].value[0] != '{' ||
		    sim_json_members(m[i].value, m[i].value_len, &sub, &sn, why, sizeof why) < 0)
			return NULL;
		text = field_text(sub, sn, dot + 1, len);
		free(sub);
		return text;
	}
	return NULL;
}

/* Is the JSON string literal lit (len bytes) the string want? */
static int string_is(const char *lit, size_t len, const char *want, int any_case)
{
	json_object *s = NULL;
	const char *have = lit + 1;
	size_t hl = len - 2;
	int same;

	if (memchr(lit, '\\', len)) {
		json_tokener *tok = json_tokener_new();
		if (tok)
			s = json_tokener_parse_ex(tok, lit, (int)len);
		if (tok)
			json_tokener_free(tok);
		have = json_object_get_string(s);
		hl = have ? strlen(have) : 0;
	}
	same = have && hl == strlen(want) &&
	       (any_case ? strncasecmp(have, want, hl) : memcmp(have, want, hl)) == 0;
	json_object_put(s);
	return same;
}

static int matches(const struct sim_json_member *m, size_t n, const struct criterion *c)
{
	for (size_t k = 0; k < json_object_array_length(c->fields); k++) {
		const char *f = json_object_get_string(json_object_array_get_idx(c->fields, k));
		int any_case = strcmp(f, "email") == 0 || strcmp(f, "username") == 0;
		size_t len;
		const char *text = field_text(m, n, f, &len);

		if (text == NULL)
			continue;
		if (c->values == NULL &&
		    string_is(text, len, json_object_get_string(c->one), any_case))
			return 1;
		for (size_t j = 0; c->values && j < json_object_array_length(c->values); j++)
			if (string_is(
			        text, len,
			        json_object_get_string(json_object_array_get_idx(c->values, j)),
			        any_case))
				return 1;
	}
	return 0;
}

/* Does user u pass the criteria? */
static int selected(const struct sim_user *u, const struct criterion *c, size_t nc, int on_state)
{
	struct sim_json_member *m = NULL;
	size_t n = 0;
	char why[64];
	int any_or = 0, some_or = 0, pass = 1;

	if (u->state == SIM_DELETED || (!on_state && u->state != SIM_ACTIVE))
		return 0;
	if (sim_json_members(u->base, strlen(u->base), &m, &n, why, sizeof why) < 0)
		return 0;
	for (size_t i = 0; pass && i < nc; i++) {
		int hit = matches(m, n, &c[i]);
		if (c[i].op == OP_OR) {
			any_or = 1;
			some_or |= hit;
		} else {
			pass = c[i].op == OP_AND ? hit : !hit;
		}
	}
	free(m);
	return pass && (!any_or || some_or);
}

/* Reads an optional whole-number member between lo and hi into *v. */
static int number(json_object *body, const char *key, long lo, long hi, long *v,
                  struct sim_result *res)
{
	json_object *o;

	if (!json_object_object_get_ex(body, key, &o))
		return 0;
	if (!json_object_is_type(o, json_type_int) || json_object_get_int64(o) < lo ||
	    json_object_get_int64(o) > hi) {
		result_set(res, 400, "bad.request", "%s must be %ld to %ld", key, lo, hi);
		return -1;
	}
	*v = (long)json_object_get_int64(o);
	return 0;
}

void sim_search_users(struct sim_org *org, json_object *body, struct sbuf *out,
                      struct sim_result *res)
{
	struct criterion *c = NULL;
	json_object *query = NULL, *expand;
	size_t nc = 0, *hits = NULL, nhits = 0;
	long page_size = 25, page_number = 1, first;
	int on_state = 0, flags = 0;

	if (!json_object_is_type(body, json_type_object)) {
		result_set(res, 400, "bad.request", "The request body must be a JSON object");
		return;
	}
	if (number(body, "pageSize", 1, SIM_SEARCH_PAGE, &page_size, res) < 0 ||
	    number(body, "pageNumber", 1, 1000000000, &page_number, res) < 0)
		return;
	if (json_object_object_get_ex(body, "expand", &expand))
		for (size_t i = 0; json_object_is_type(expand, json_type_array) &&
		                   i < json_object_array_length(expand);
		     i++) {
			json_object *e = json_object_array_get_idx(expand, i);
			flags |= sim_org_expand_flag(json_object_get_string(e),
			                             (size_t)json_object_get_string_len(e));
		}
	if (json_object_object_get_ex(body, "query", &query)) {
		if (!json_object_is_type(query, json_type_array)) {
			result_set(res, 400, "bad.request", "\"query\" must be a list of criteria");
			return;
		}
		nc = json_object_array_length(query);
	}
	result_set(res, 500, "internal.server.error", "out of memory");
	c = calloc(nc ? nc : 1, sizeof *c);
	if (c == NULL)
		goto out;
	for (size_t i = 0; i < nc; i++)
		if (criterion(query, i, &c[i], &on_state, res) < 0)
			goto out;
	pthread_rwlock_rdlock(&org->lock);
	hits = malloc((org->n ? org->n : 1) * sizeof *hits);
	for (size_t i = 0; hits && i < org->n; i++)
		if (selected(&org->users[i], c, nc, on_state))
			hits[nhits++] = i;
	first = (page_number - 1) * page_size;
	sbuf_addf(out,
	          "{\"total\":%zu,\"pageCount\":%zu,\"pageSize\":%ld,\"pageNumber\":%ld,"
	          "\"types\":[\"users\"],\"results\":[",
	          nhits, (nhits + (size_t)page_size - 1) / (size_t)page_size, page_size,
	          page_number);
	for (size_t j = (size_t)first; hits && j < nhits && j < (size_t)(first + page_size); j++) {
		if (j > (size_t)first)
			sbuf_add(out, ",", 1);
		sim_org_render(org, hits[j], flags, out);
	}
	pthread_rwlock_unlock(&org->lock);
	sbuf_adds(out, "]}");
	if (hits)
		result_ok(res, 200);
out:
	free(hits);
	free(c);
}
