/*
 * sim_org.c - the simulated org's users (see sim_org.h).
 *
 * Users are stored as JSON text, split into the profile and its three
 * routing parts, in an array kept in load order; an open-addressing table
 * of indices finds them by id. A generated org (sim_gen.c) is loaded
 * through sim_org_add_text like a file's.
 */
#include "sim_org.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "backoff.h"
#include "grow.h"
#include "ndjson.h"
#include "sim_groups.h"
#include "sim_json.h"
#include "uuid.h"

#define SER_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define MAX_BULK  50

static const char *const updatable[] = {
    "name",          "email",          "title",
    "department",    "addresses",      "primaryContactInfo",
    "manager",       "username",       "preferredName",
    "profileSkills", "certifications", "biography",
    "employerInfo",  "locations",      "groups",
    "acdAutoAnswer", "chat",           "state",
};

static const char *const routing_states[] = {"OFF_QUEUE", "IDLE", "INTERACTING", "NOT_RESPONDING",
                                             "COMMUNICATING"};

void result_set(struct sim_result *res, int status, const char *code, const char *fmt, ...)
{
	va_list ap;
	res->status = status;
	res->code = code;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof res->message, fmt, ap);
	va_end(ap);
}

void result_ok(struct sim_result *res, int status)
{
	res->status = status;
	res->code = NULL;
	res->message[0] = '\0';
}

static void not_found(struct sim_result *res, const char *id)
{
	result_set(res, 404, "not.found", "The user %s was not found", id);
}

int sim_org_expand_flag(const char *name, size_t len)
{
	static const struct {
		const char *name;
		int flag;
	} names[] = {{"skills", SIM_EXPAND_SKILLS},
	             {"languages", SIM_EXPAND_LANGUAGES},
	             {"routingStatus", SIM_EXPAND_STATUS},
	             {"team", SIM_EXPAND_TEAM}};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i].name) == len && strncmp(names[i].name, name, len) == 0)
			return names[i].flag;
	return 0;
}

int sim_org_init(struct sim_org *org)
{
	memset(org, 0, sizeof *org);
	sim_catalog_init(&org->cat);
	return pthread_rwlock_init(&org->lock, NULL) == 0 ? 0 : -1;
}

static void user_free(struct sim_user *u)
{
	free(u->base);
	free(u->skills);
	free(u->languages);
	free(u->status);
	free(u->queues);
}

void sim_org_free(struct sim_org *org)
{
	for (size_t i = 0; i < org->n; i++)
		user_free(&org->users[i]);
	free(org->users);
	free(org->slots);
	sim_catalog_free(&org->cat);
	pthread_rwlock_destroy(&org->lock);
	memset(org, 0, sizeof *org);
}

long sim_org_find(const struct sim_org *org, const char *id)
{
	size_t mask, i;

	if (org->nslots == 0 || id == NULL)
		return -1;
	mask = org->nslots - 1;
	for (i = gcu_uuid_hash(id) & mask; org->slots[i]; i = (i + 1) & mask) {
		const struct sim_user *u = &org->users[org->slots[i] - 1];
		if (strcasecmp(u->id, id) == 0)
			return (long)(org->slots[i] - 1);
	}
	return -1;
}

static int slots_grow(struct sim_org *org)
{
	size_t nslots = org->nslots ? org->nslots * 2 : 1024;
	uint32_t *slots = calloc(nslots, sizeof *slots);
	if (slots == NULL)
		return -1;
	for (size_t k = 0; k < org->n; k++) {
		size_t i = gcu_uuid_hash(org->users[k].id) & (nslots - 1);
		while (slots[i])
			i = (i + 1) & (nslots - 1);
		slots[i] = (uint32_t)(k + 1);
	}
	free(org->slots);
	org->slots = slots;
	org->nslots = nslots;
	return 0;
}

static char *dup_json(json_object *o)
{
	return o ? strdup(json_object_to_json_string_ext(o, SER_FLAGS)) : NULL;
}

static int state_of(const char *s)
{
	if (s && strcmp(s, "inactive") == 0)
		return SIM_INACTIVE;
	if (s && strcmp(s, "deleted") == 0)
		return SIM_DELETED;
	return SIM_ACTIVE;
}

static int insert(struct sim_org *org, struct sim_user *u, char *err, size_t errlen)
{
	if ((org->n + 1) * 2 > org->nslots && slots_grow(org) < 0)
		goto oom;
	if (gcu_grow(&org->users, &org->cap, org->n, sizeof *org->users, 256) < 0)
		goto oom;
	org->users[org->n] = *u;
	size_t mask = org->nslots - 1;
	size_t i = gcu_uuid_hash(u->id) & mask;
	while (org->slots[i])
		i = (i + 1) & mask;
	org->slots[i] = (uint32_t)(org->n + 1);
	org->n++;
	memset(u, 0, sizeof *u);
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

static int key_is(const struct sim_json_member *m, const char *key)
{
	return m->key_len == strlen(key) && memcmp(m->key, key, m->key_len) == 0;
}

/* The raw content of a string value without escapes, copied to out; ""
 * when the value is not such a string or does not fit. */
static void plain_string(const struct sim_json_member *m, char *out, size_t outlen)
{
	out[0] = '\0';
	if (m->value_len < 2 || m->value[0] != '"' || m->value_len - 2 >= outlen ||
	    memchr(m->value, '\\', m->value_len))
		return;
	memcpy(out, m->value + 1, m->value_len - 2);
	out[m->value_len - 2] = '\0';
}

static int is_null(const struct sim_json_member *m)
{
	return m->value_len == 4 && memcmp(m->value, "null", 4) == 0;
}

/* A member's value as a tree: references are small, so json-c is cheap
 * here. NULL for a JSON null or when out of memory. */
static json_object *member_tree(const struct sim_json_member *m)
{
	json_tokener *tok = json_tokener_new();
	json_object *o;

	if (tok == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, m->value, (int)m->value_len);
	json_tokener_free(tok);
	return o;
}

/* Reads a user's "team", "queues" or "division" reference into u (the
 * division stays in the document; only the catalogue learns of it). */
static int user_ref(struct sim_org *org, struct sim_user *u, const struct sim_json_member *m,
                    char *err, size_t errlen)
{
	json_object *v;
	long at;
	int rc = -1;

	if (is_null(m))
		return 0;
	v = member_tree(m);
	if (key_is(m, "team")) {
		at = sim_catalog_ref(&org->cat, SIM_CAT_TEAM, v, err, errlen);
		if (at >= 0)
			u->team = (uint32_t)at + 1;
		rc = at < 0 ? -1 : 0;
	} else if (key_is(m, "division")) {
		rc = sim_catalog_ref(&org->cat, SIM_CAT_DIVISION, v, err, errlen) < 0 ? -1 : 0;
	} else if (!json_object_is_type(v, json_type_array)) {
		snprintf(err, errlen, "\"queues\" must be a list of {\"id\",\"name\"}");
	} else {
		rc = 0;
		for (size_t i = 0; rc == 0 && i < json_object_array_length(v); i++) {
			at = sim_catalog_ref(&org->cat, SIM_CAT_QUEUE,
			                     json_object_array_get_idx(v, i), err, errlen);
			if (at < 0)
				rc = -1;
			else if (sim_groups_join_queue(u, (uint32_t)at) < 0) {
				snprintf(err, errlen, "out of memory");
				rc = -1;
			}
		}
	}
	json_object_put(v);
	return rc;
}

int sim_org_add_text(struct sim_org *org, const char *line, size_t len, char *err, size_t errlen)
{
	struct sim_json_member *m = NULL;
	struct sim_user u;
	struct sbuf base = {0};
	char id[40], state[16];
	size_t n = 0;
	int rc = -1, first = 1;

	memset(&u, 0, sizeof u);
	id[0] = '\0';
	if (sim_json_members(line, len, &m, &n, err, errlen) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (key_is(&m[i], "kind")) {
			rc = sim_catalog_line(&org->cat, line, len, err, errlen);
			goto out;
		}
	sbuf_add(&base, "{", 1);
	for (size_t i = 0; i < n; i++) {
		char **part = NULL;
		int group = key_is(&m[i], "team") || key_is(&m[i], "queues");
		if ((group || key_is(&m[i], "division")) &&
		    user_ref(org, &u, &m[i], err, errlen) < 0)
			goto out;
		if (group)
			continue;
		if (key_is(&m[i], "skills"))
			part = &u.skills;
		else if (key_is(&m[i], "languages"))
			part = &u.languages;
		else if (key_is(&m[i], "routingStatus"))
			part = &u.status;
		if (part) {
			free(*part);
			*part = strndup(m[i].value, m[i].value_len);
			if (*part == NULL)
				base.oom = 1;
			continue;
		}
		if (key_is(&m[i], "id"))
			plain_string(&m[i], id, sizeof id);
		if (key_is(&m[i], "state")) {
			plain_string(&m[i], state, sizeof state);
			u.state = state_of(state);
		}
		if (!first)
			sbuf_add(&base, ",", 1);
		first = 0;
		sbuf_add(&base, m[i].key - 1, m[i].key_len + 2);
		sbuf_add(&base, ":", 1);
		sbuf_add(&base, m[i].value, m[i].value_len);
	}
	sbuf_add(&base, "}", 1);
	if (base.oom) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (!gcu_uuid_valid(id)) {
		snprintf(err, errlen, "missing or invalid \"id\"");
		goto out;
	}
	if (sim_org_find(org, id) >= 0) {
		snprintf(err, errlen, "duplicate id %s", id);
		goto out;
	}
	memcpy(u.id, id, 37);
	u.base = sbuf_take(&base);
	rc = insert(org, &u, err, errlen);
out:
	sbuf_free(&base);
	user_free(&u);
	free(m);
	return rc;
}

int sim_org_load(struct sim_org *org, const char *path, char *err, size_t errlen)
{
	struct ndjson_reader r;
	char why[200];
	int rc = -1;

	if (ndjson_reader_open(&r, path, GCU_MAX_LINE_DEFAULT) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -2;
	}
	for (;;) {
		enum ndjson_status st = ndjson_read(&r);
		const char *p;

		if (st == NDJSON_EOF)
			break;
		if (st == NDJSON_IO_ERROR) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			rc = -2;
			goto out;
		}
		if (st == NDJSON_TOO_LONG) {
			snprintf(err, errlen, "%s:%lu: line too long", path, r.lineno);
			goto out;
		}
		for (p = r.line; *p && isspace((unsigned char)*p); p++)
			;
		if (*p == '\0')
			continue;
		if (sim_org_add_text(org, r.line, r.line_len, why, sizeof why) < 0) {
			snprintf(err, errlen, "%s:%lu: %s", path, r.lineno, why);
			goto out;
		}
	}
	rc = 0;
	if (sim_org_finish(org, why, sizeof why) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		rc = -1;
	}
out:
	ndjson_reader_close(&r);
	return rc;
}

/* Adds the named entries of a user's skill or language list that the
 * catalogue lacks. */
static int derive_held(struct sim_catalog *cat, enum sim_cat k, const char *list, char *err,
                       size_t errlen)
{
	json_object *a = list ? json_tokener_parse(list) : NULL;
	int rc = 0;

	for (size_t i = 0;
	     rc == 0 && json_object_is_type(a, json_type_array) && i < json_object_array_length(a);
	     i++) {
		json_object *e = json_object_array_get_idx(a, i), *id, *name;
		if (!json_object_object_get_ex(e, "id", &id) ||
		    !json_object_object_get_ex(e, "name", &name) ||
		    !json_object_is_type(id, json_type_string) ||
		    !json_object_is_type(name, json_type_string) ||
		    json_object_get_string_len(name) == 0 ||
		    !gcu_uuid_valid(json_object_get_string(id)) ||
		    sim_catalog_find(cat, k, json_object_get_string(id)) >= 0)
			continue;
		if (sim_catalog_add(cat, k, json_object_get_string(id),
		                    json_object_get_string(name), 1, err, errlen) < 0)
			rc = -1;
	}
	json_object_put(a);
	return rc;
}

static int has_division(const char *base)
{
	struct sim_json_member *m = NULL;
	size_t n = 0;
	char why[64];
	int has = 0;

	if (sim_json_members(base, strlen(base), &m, &n, why, sizeof why) < 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (key_is(&m[i], "division") && !is_null(&m[i]))
			has = 1;
	free(m);
	return has;
}

int sim_org_finish(struct sim_org *org, char *err, size_t errlen)
{
	const struct sim_cat_entry *home;
	long h;

	for (size_t i = 0; i < org->n; i++)
		if (derive_held(&org->cat, SIM_CAT_SKILL, org->users[i].skills, err, errlen) < 0 ||
		    derive_held(&org->cat, SIM_CAT_LANGUAGE, org->users[i].languages, err, errlen) <
		        0)
			return -1;
	if (sim_catalog_add_samples(&org->cat, err, errlen) < 0)
		return -1;
	h = sim_catalog_home(&org->cat, err, errlen);
	if (h < 0)
		return -1;
	home = &org->cat.e[SIM_CAT_DIVISION][h];
	for (size_t i = 0; i < org->n; i++) {
		json_object *ref;
		if (has_division(org->users[i].base))
			continue;
		ref = json_object_new_object();
		json_object_object_add(ref, "id", json_object_new_string(home->id));
		json_object_object_add(ref, "name", json_object_new_string(home->name));
		if (sim_org_set_member(org, i, "division", ref, 0) < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* --- rendering ----------------------------------------------------------- */

void sim_org_render(const struct sim_org *org, size_t idx, int expand, struct sbuf *out)
{
	const struct sim_user *u = &org->users[idx];
	size_t blen = strlen(u->base);
	int first = blen <= 2;

	sbuf_add(out, u->base, blen - 1);
	if (expand & SIM_EXPAND_SKILLS) {
		sbuf_adds(out, first ? "\"skills\":" : ",\"skills\":");
		sbuf_adds(out, u->skills ? u->skills : "[]");
		first = 0;
	}
	if (expand & SIM_EXPAND_LANGUAGES) {
		sbuf_adds(out, first ? "\"languages\":" : ",\"languages\":");
		sbuf_adds(out, u->languages ? u->languages : "[]");
		first = 0;
	}
	if ((expand & SIM_EXPAND_STATUS) && u->status) {
		sbuf_adds(out, first ? "\"routingStatus\":" : ",\"routingStatus\":");
		sbuf_adds(out, u->status);
		first = 0;
	}
	if ((expand & SIM_EXPAND_TEAM) && u->team) {
		const struct sim_cat_entry *t = &org->cat.e[SIM_CAT_TEAM][u->team - 1];
		sbuf_addf(out, "%s\"team\":{\"id\":\"%s\",\"name\":", first ? "" : ",", t->id);
		sbuf_add_json_str(out, t->name);
		sbuf_adds(out, ",\"selfUri\":");
		sim_catalog_self_uri(SIM_CAT_TEAM, t->id, out);
		sbuf_add(out, "}", 1);
		first = 0;
	}
	if ((expand & SIM_EXPAND_QUEUES) && u->nqueues) {
		sbuf_adds(out, first ? "\"queues\":[" : ",\"queues\":[");
		for (uint32_t k = 0; k < u->nqueues; k++) {
			const struct sim_cat_entry *q = &org->cat.e[SIM_CAT_QUEUE][u->queues[k]];
			sbuf_addf(out, "%s{\"id\":\"%s\",\"name\":", k ? "," : "", q->id);
			sbuf_add_json_str(out, q->name);
			sbuf_add(out, "}", 1);
		}
		sbuf_add(out, "]", 1);
	}
	sbuf_add(out, "}", 1);
}

static void render_stored(const struct sim_org *org, size_t idx, struct sbuf *out)
{
	const struct sim_user *u = &org->users[idx];
	int expand = (u->skills ? SIM_EXPAND_SKILLS : 0) |
	             (u->languages ? SIM_EXPAND_LANGUAGES : 0) | SIM_EXPAND_STATUS |
	             SIM_EXPAND_TEAM | SIM_EXPAND_QUEUES;
	sim_org_render(org, idx, expand, out);
}

int sim_org_state(struct sim_org *org, struct sbuf *out)
{
	pthread_rwlock_rdlock(&org->lock);
	for (size_t i = 0; i < org->n; i++) {
		render_stored(org, i, out);
		sbuf_add(out, "\n", 1);
	}
	pthread_rwlock_unlock(&org->lock);
	return out->oom ? -1 : 0;
}

int sim_org_state_all(struct sim_org *org, struct sbuf *out)
{
	sim_catalog_write(&org->cat, out);
	return sim_org_state(org, out);
}

int sim_org_dump(struct sim_org *org, const char *path, char *err, size_t errlen)
{
	struct sbuf b = {0};
	char tmp[4096];
	int fd = -1, rc = -1;
	size_t off = 0;
	int n = snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path);

	if (n < 0 || (size_t)n >= sizeof tmp) {
		snprintf(err, errlen, "%s: path too long", path);
		goto out;
	}
	if (sim_org_state_all(org, &b) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	while (off < b.len) {
		ssize_t w = write(fd, b.p + off, b.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && tmp[0] && n > 0 && (size_t)n < sizeof tmp)
		unlink(tmp);
	sbuf_free(&b);
	return rc;
}

/* --- reads --------------------------------------------------------------- */

void sim_org_get(struct sim_org *org, const char *id, int deleted, int expand, struct sbuf *out,
                 struct sim_result *res)
{
	long idx;

	pthread_rwlock_rdlock(&org->lock);
	idx = sim_org_find(org, id);
	if (idx < 0 || (org->users[idx].state == SIM_DELETED) != (deleted != 0)) {
		not_found(res, id);
	} else {
		sim_org_render(org, (size_t)idx, expand, out);
		result_ok(res, 200);
	}
	pthread_rwlock_unlock(&org->lock);
}

static int state_matches(int want, int have)
{
	return want < 0 || want == have;
}

void sim_org_query(struct sim_org *org, const char *const *ids, size_t nids, int state, int expand,
                   long page_size, long page_number, struct sbuf *out)
{
	long total = 0, first = (page_number - 1) * page_size, shown = 0;

	sbuf_adds(out, "{\"entities\":[");
	pthread_rwlock_rdlock(&org->lock);
	if (nids > 0) {
		for (size_t k = 0; k < nids; k++) {
			long idx = sim_org_find(org, ids[k]);
			int dup = 0;
			if (idx < 0 || !state_matches(state, org->users[idx].state))
				continue;
			for (size_t j = 0; j < k && !dup; j++)
				dup = sim_org_find(org, ids[j]) == idx;
			if (dup)
				continue;
			if (total >= first && shown < page_size) {
				if (shown++)
					sbuf_add(out, ",", 1);
				sim_org_render(org, (size_t)idx, expand, out);
			}
			total++;
		}
	} else {
		for (size_t i = 0; i < org->n; i++) {
			if (!state_matches(state, org->users[i].state))
				continue;
			if (total >= first && shown < page_size) {
				if (shown++)
					sbuf_add(out, ",", 1);
				sim_org_render(org, i, expand, out);
			}
			total++;
		}
	}
	pthread_rwlock_unlock(&org->lock);
	sim_page_end(out, page_size, page_number, total);
}

/* --- writes -------------------------------------------------------------- */

static int is_updatable(const char *key)
{
	for (size_t i = 0; i < sizeof updatable / sizeof updatable[0]; i++)
		if (strcmp(updatable[i], key) == 0)
			return 1;
	return 0;
}

static int check_patch(const char *id, json_object *body, struct sim_result *res)
{
	json_object *v;
	int has_state = 0, others = 0;

	if (!json_object_is_type(body, json_type_object)) {
		result_set(res, 400, "bad.request", "The request body must be a JSON object");
		return -1;
	}
	json_object_object_foreach(body, key, val)
	{
		if (strcmp(key, "id") == 0 || strcmp(key, "version") == 0)
			continue;
		if (!is_updatable(key)) {
			result_set(res, 400, "bad.request", "Field '%.100s' is not updatable", key);
			return -1;
		}
		if (strcmp(key, "state") == 0) {
			const char *s = json_object_get_string(val);
			has_state = 1;
			if (!json_object_is_type(val, json_type_string) ||
			    (strcmp(s, "active") != 0 && strcmp(s, "inactive") != 0 &&
			     strcmp(s, "deleted") != 0)) {
				result_set(res, 400, "bad.request",
				           "state must be active, inactive or deleted");
				return -1;
			}
		} else {
			others = 1;
		}
	}
	if (has_state && others) {
		result_set(res, 400, "bad.request",
		           "state cannot be changed together with other fields");
		return -1;
	}
	if (!json_object_object_get_ex(body, "version", &v) || v == NULL) {
		result_set(res, 400, "bad.request", "version is required");
		return -1;
	}
	if (!json_object_is_type(v, json_type_int)) {
		result_set(res, 400, "bad.request", "version must be an integer");
		return -1;
	}
	if (json_object_object_get_ex(body, "id", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	     strcasecmp(json_object_get_string(v), id) != 0)) {
		result_set(res, 400, "bad.request", "The id in the body does not match the path");
		return -1;
	}
	return 0;
}

static int replace_text(char **slot, json_object *o)
{
	char *s = dup_json(o);
	if (s == NULL)
		return -1;
	free(*slot);
	*slot = s;
	return 0;
}

/* The stored document of user id, parsed (new reference), its index in
 * *idx; NULL with res set (404, or 500 when it is unreadable). The caller
 * holds the lock. */
static json_object *user_doc(struct sim_org *org, const char *id, long *idx, struct sim_result *res)
{
	json_object *doc;

	*idx = sim_org_find(org, id);
	if (*idx < 0) {
		not_found(res, id);
		return NULL;
	}
	doc = json_tokener_parse(org->users[*idx].base);
	if (doc == NULL)
		result_set(res, 500, "internal.server.error", "stored user is unreadable");
	return doc;
}

void sim_org_patch(struct sim_org *org, const char *id, json_object *body, int conflict_as_400,
                   struct sbuf *out, struct sim_result *res)
{
	json_object *doc = NULL, *v;
	int64_t want, have;
	long idx;

	if (check_patch(id, body, res) < 0)
		return;
	want = json_object_get_int64(json_object_object_get(body, "version"));
	pthread_rwlock_wrlock(&org->lock);
	doc = user_doc(org, id, &idx, res);
	if (doc == NULL)
		goto out;
	have = json_object_object_get_ex(doc, "version", &v) ? json_object_get_int64(v) : 0;
	if (want != have) {
		if (conflict_as_400)
			result_set(
			    res, 400, "bad.request",
			    "The version supplied (%lld) does not match the current version of "
			    "the user",
			    (long long)want);
		else
			result_set(res, 409, "general.conflict",
			           "The version supplied does not match the current version of the "
			           "user");
		goto out;
	}
	json_object_object_foreach(body, key, val)
	{
		if (strcmp(key, "id") == 0 || strcmp(key, "version") == 0)
			continue;
		if (val == NULL) {
			json_object_object_del(doc, key);
		} else if (strcmp(key, "manager") == 0 &&
		           json_object_is_type(val, json_type_string)) {
			json_object *m = json_object_new_object();
			json_object_object_add(m, "id",
			                       json_object_new_string(json_object_get_string(val)));
			json_object_object_add(doc, key, m);
		} else {
			json_object *copy = NULL;
			if (json_object_deep_copy(val, &copy, NULL) != 0) {
				result_set(res, 500, "internal.server.error", "out of memory");
				goto out;
			}
			json_object_object_add(doc, key, copy);
		}
	}
	json_object_object_add(doc, "version", json_object_new_int64(have + 1));
	if (replace_text(&org->users[idx].base, doc) < 0) {
		result_set(res, 500, "internal.server.error", "out of memory");
		goto out;
	}
	if (json_object_object_get_ex(doc, "state", &v))
		org->users[idx].state = state_of(json_object_get_string(v));
	sim_org_render(org, (size_t)idx, 0, out);
	result_ok(res, 200);
out:
	pthread_rwlock_unlock(&org->lock);
	json_object_put(doc);
}

int sim_org_set_member(struct sim_org *org, size_t idx, const char *key, json_object *value,
                       int bump)
{
	json_object *doc = json_tokener_parse(org->users[idx].base), *old;
	int rc = -1;

	if (doc == NULL)
		goto out;
	if (json_object_object_get_ex(doc, key, &old) && json_object_equal(old, value)) {
		rc = 0;
		goto out;
	}
	json_object_object_add(doc, key, value);
	value = NULL;
	if (bump) {
		int64_t have = json_object_object_get_ex(doc, "version", &old)
		                   ? json_object_get_int64(old)
		                   : 0;
		json_object_object_add(doc, "version", json_object_new_int64(have + 1));
	}
	rc = replace_text(&org->users[idx].base, doc) < 0 ? -1 : 1;
out:
	json_object_put(value);
	json_object_put(doc);
	return rc;
}

/*
 * As the platform does (its API reference: DELETE /api/v2/users/{userId}
 * answers 200 with an object; GET /api/v2/users/{userId} looks for
 * state=active unless given state=deleted; GET /api/v2/users lists users
 * of a state, or of any with state=any), the user is not erased: it
 * turns "deleted", is no longer found by a plain GET, and still shows
 * in the bulk read with state=any or state=deleted.
 */
void sim_org_delete(struct sim_org *org, const char *id, struct sbuf *out, struct sim_result *res)
{
	json_object *doc = NULL, *v;
	int64_t have;
	long idx;

	pthread_rwlock_wrlock(&org->lock);
	doc = user_doc(org, id, &idx, res);
	if (doc == NULL)
		goto out;
	if (org->users[idx].state == SIM_DELETED) {
		not_found(res, id);
		goto out;
	}
	have = json_object_object_get_ex(doc, "version", &v) ? json_object_get_int64(v) : 0;
	json_object_object_add(doc, "state", json_object_new_string("deleted"));
	json_object_object_add(doc, "version", json_object_new_int64(have + 1));
	if (replace_text(&org->users[idx].base, doc) < 0) {
		result_set(res, 500, "internal.server.error", "out of memory");
		goto out;
	}
	org->users[idx].state = SIM_DELETED;
	/* A deleted user is no longer in any queue or team. */
	org->users[idx].team = 0;
	org->users[idx].nqueues = 0;
	sbuf_adds(out, "{}");
	result_ok(res, 200);
out:
	pthread_rwlock_unlock(&org->lock);
	json_object_put(doc);
}

static char **routing_slot(struct sim_user *u, enum sim_kind kind)
{
	return kind == SIM_SKILLS ? &u->skills : &u->languages;
}

static void entities(struct sbuf *out, const char *list)
{
	sbuf_adds(out, "{\"entities\":");
	sbuf_adds(out, list ? list : "[]");
	sbuf_adds(out, "}");
}

void sim_org_routing_get(struct sim_org *org, const char *id, enum sim_kind kind, struct sbuf *out,
                         struct sim_result *res)
{
	long idx;

	pthread_rwlock_rdlock(&org->lock);
	idx = sim_org_find(org, id);
	if (idx < 0) {
		not_found(res, id);
	} else {
		entities(out, *routing_slot(&org->users[idx], kind));
		result_ok(res, 200);
	}
	pthread_rwlock_unlock(&org->lock);
}

static int check_bulk(json_object *body, struct sim_result *res)
{
	size_t n;

	if (!json_object_is_type(body, json_type_array)) {
		result_set(res, 400, "bad.request", "The request body must be a JSON array");
		return -1;
	}
	n = json_object_array_length(body);
	if (n > MAX_BULK) {
		result_set(res, 400, "bad.request", "At most %d entries are allowed, got %zu",
		           MAX_BULK, n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(body, i), *v;
		double p;
		if (!json_object_is_type(e, json_type_object) ||
		    !json_object_object_get_ex(e, "id", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    !gcu_uuid_valid(json_object_get_string(v))) {
			result_set(res, 400, "bad.request",
			           "Entry %zu needs an \"id\" that is a UUID", i);
			return -1;
		}
		if (!json_object_object_get_ex(e, "proficiency", &v) ||
		    !(json_object_is_type(v, json_type_int) ||
		      json_object_is_type(v, json_type_double))) {
			result_set(res, 400, "bad.request",
			           "Entry %zu needs a numeric \"proficiency\"", i);
			return -1;
		}
		p = json_object_get_double(v);
		if (!(p >= 0 && p <= 5)) {
			result_set(res, 400, "bad.request", "Entry %zu: proficiency must be 0 to 5",
			           i);
			return -1;
		}
	}
	return 0;
}

void sim_org_routing_bulk(struct sim_org *org, const char *id, enum sim_kind kind,
                          json_object *body, struct sbuf *out, struct sim_result *res)
{
	json_object *list = NULL;
	char **slot;
	long idx;

	if (check_bulk(body, res) < 0)
		return;
	pthread_rwlock_wrlock(&org->lock);
	idx = sim_org_find(org, id);
	if (idx < 0) {
		not_found(res, id);
		goto out;
	}
	slot = routing_slot(&org->users[idx], kind);
	list = *slot ? json_tokener_parse(*slot) : json_object_new_array();
	if (!json_object_is_type(list, json_type_array)) {
		json_object_put(list);
		list = json_object_new_array();
	}
	for (size_t i = 0; i < json_object_array_length(body); i++) {
		json_object *e = json_object_array_get_idx(body, i);
		json_object *pv = json_object_object_get(e, "proficiency");
		const char *eid = json_object_get_string(json_object_object_get(e, "id"));
		json_object *found = NULL, *prof;
		size_t n = json_object_array_length(list);

		prof = json_object_is_type(pv, json_type_int)
		           ? json_object_new_int64(json_object_get_int64(pv))
		           : json_object_new_double(json_object_get_double(pv));
		for (size_t k = 0; k < n && !found; k++) {
			json_object *cur = json_object_array_get_idx(list, k);
			if (strcasecmp(json_object_get_string(json_object_object_get(cur, "id")),
			               eid) == 0)
				found = cur;
		}
		if (found) {
			json_object_object_add(found, "proficiency", prof);
			json_object_object_add(found, "state", json_object_new_string("active"));
		} else {
			json_object *ne = json_object_new_object();
			json_object_object_add(ne, "id", json_object_new_string(eid));
			json_object_object_add(
			    ne, "name",
			    json_object_new_string(sim_catalog_name(
			        &org->cat, kind == SIM_SKILLS ? SIM_CAT_SKILL : SIM_CAT_LANGUAGE,
			        eid)));
			json_object_object_add(ne, "proficiency", prof);
			json_object_object_add(ne, "state", json_object_new_string("active"));
			json_object_array_add(list, ne);
		}
	}
	if (replace_text(slot, list) < 0) {
		result_set(res, 500, "internal.server.error", "out of memory");
		goto out;
	}
	entities(out, *slot);
	result_ok(res, 200);
out:
	pthread_rwlock_unlock(&org->lock);
	json_object_put(list);
}

void sim_org_routing_delete(struct sim_org *org, const char *id, enum sim_kind kind,
                            const char *item, struct sim_result *res)
{
	json_object *list = NULL, *kept = NULL;
	char **slot;
	long idx;
	int removed = 0;

	pthread_rwlock_wrlock(&org->lock);
	idx = sim_org_find(org, id);
	if (idx < 0) {
		not_found(res, id);
		goto out;
	}
	result_ok(res, 204);
	slot = routing_slot(&org->users[idx], kind);
	if (*slot == NULL)
		goto out;
	list = json_tokener_parse(*slot);
	if (!json_object_is_type(list, json_type_array))
		goto out;
	kept = json_object_new_array();
	for (size_t k = 0; k < json_object_array_length(list); k++) {
		json_object *cur = json_object_array_get_idx(list, k);
		const char *cid = json_object_get_string(json_object_object_get(cur, "id"));
		if (cid && strcasecmp(cid, item) == 0)
			removed = 1;
		else
			json_object_array_add(kept, json_object_get(cur));
	}
	if (removed && replace_text(slot, kept) < 0)
		result_set(res, 500, "internal.server.error", "out of memory");
out:
	pthread_rwlock_unlock(&org->lock);
	json_object_put(kept);
	json_object_put(list);
}

void sim_org_status(struct sim_org *org, const char *id, json_object *body, const char *now_iso,
                    struct sbuf *out, struct sim_result *res)
{
	json_object *st = NULL, *v;
	const char *status = NULL;
	long idx;

	if (body) {
		if (!json_object_is_type(body, json_type_object) ||
		    !json_object_object_get_ex(body, "status", &v) ||
		    !json_object_is_type(v, json_type_string)) {
			result_set(res, 400, "bad.request", "The body needs a \"status\"");
			return;
		}
		status = json_object_get_string(v);
		size_t k;
		for (k = 0; k < sizeof routing_states / sizeof routing_states[0]; k++)
			if (strcmp(routing_states[k], status) == 0)
				break;
		if (k == sizeof routing_states / sizeof routing_states[0]) {
			result_set(res, 400, "bad.request", "Unknown routing status '%.40s'",
			           status);
			return;
		}
	}
	if (body)
		pthread_rwlock_wrlock(&org->lock);
	else
		pthread_rwlock_rdlock(&org->lock);
	idx = sim_org_find(org, id);
	if (idx < 0) {
		not_found(res, id);
		goto out;
	}
	if (body) {
		st = json_object_new_object();
		json_object_object_add(st, "status", json_object_new_string(status));
		json_object_object_add(st, "startTime", json_object_new_string(now_iso));
		if (replace_text(&org->users[idx].status, st) < 0) {
			result_set(res, 500, "internal.server.error", "out of memory");
			goto out;
		}
	}
	sbuf_adds(out, "{\"userId\":");
	sbuf_add_json_str(out, org->users[idx].id);
	if (org->users[idx].status) {
		size_t len = strlen(org->users[idx].status);
		if (len > 2) {
			sbuf_add(out, ",", 1);
			sbuf_add(out, org->users[idx].status + 1, len - 1);
		} else {
			sbuf_add(out, "}", 1);
		}
	} else {
		sbuf_adds(out, ",\"status\":\"OFF_QUEUE\",\"startTime\":");
		sbuf_add_json_str(out, now_iso);
		sbuf_add(out, "}", 1);
	}
	result_ok(res, 200);
out:
	pthread_rwlock_unlock(&org->lock);
	json_object_put(st);
}

int sim_org_touch(struct sim_org *org, uint64_t *rng, const char *stamp)
{
	json_object *doc = NULL, *v;
	int rc = -1;

	pthread_rwlock_wrlock(&org->lock);
	if (org->n == 0)
		goto out;
	struct sim_user *u = &org->users[sim_randn(rng, org->n)];
	doc = json_tokener_parse(u->base);
	if (doc == NULL)
		goto out;
	int64_t have = json_object_object_get_ex(doc, "version", &v) ? json_object_get_int64(v) : 0;
	json_object_object_add(doc, "wfmSyncStamp", json_object_new_string(stamp));
	json_object_object_add(doc, "version", json_object_new_int64(have + 1));
	rc = replace_text(&u->base, doc);
out:
	pthread_rwlock_unlock(&org->lock);
	json_object_put(doc);
	return rc;
}
