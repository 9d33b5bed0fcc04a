/*
 * sim_org.c - the simulated org's users (see sim_org.h): their storage,
 * the load of an org file, the render and the dump, and the reads;
 * sim_org_write.c holds what the write routes do to them.
 *
 * Users are stored as JSON text, split into the profile and its three
 * routing parts, in an array kept in load order; an open-addressing table
 * of indices finds them by id. A generated org (sim_gen.c) is loaded
 * through sim_org_add_text like a file's.
 */
#include "sim_org.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "grow.h"
#include "ndjson.h"
#include "sim_groups.h"
#include "sim_json.h"
#include "sim_org_int.h"
#include "uuid.h"

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

void sim_org_not_found(struct sim_result *res, const char *id)
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

int sim_org_state_of(const char *s)
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
			u.state = sim_org_state_of(state);
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
		sim_org_not_found(res, id);
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
