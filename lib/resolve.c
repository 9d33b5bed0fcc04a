/*
 * resolve.c - matching the keys and names of changes against the
 * directory (resolve.h).
 *
 * Both passes walk a change the same way (rewrite below): every value a
 * field refers to goes through one function, which in the first pass
 * notes what must be found and in the second puts the id in its place.
 */
#include "resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "change.h"
#include "fields.h"
#include "grow.h"
#include "json_access.h"
#include "near.h"
#include "text.h"
#include "uuid.h"

/* Matches kept to tell several apart; more are ambiguous anyway. */
#define MAX_MATCHES 8
/* Maps one reference of kind ref made in field to what goes in its
 * place (borrowed), or NULL with why. */
typedef const char *(*ref_fn)(void *ctx, const char *field, enum gcu_ref_kind ref,
                              const char *value, char *why, size_t whylen);

/* --- walking the references of a change ----------------------------------- */

/* The map form: every key is a reference. Two keys that name the same
 * object fold when their values agree. */
static json_object *rewrite_map(const char *field, enum gcu_ref_kind ref, json_object *map,
                                ref_fn fn, void *ctx, char *why, size_t whylen)
{
	json_object *out = json_object_new_object(), *origin = json_object_new_object();

	json_object_object_foreach(map, key, v)
	{
		json_object *had = NULL;
		const char *id = fn(ctx, field, ref, key, why, whylen);
		if (id == NULL)
			goto bad;
		if (json_object_object_get_ex(out, id, &had)) {
			if (!gcu_json_same(had, v)) {
				snprintf(why, whylen,
				         "%s: '%s' and '%s' are the same %s, with different "
				         "values",
				         field, json_object_get_string(gcu_json_get(origin, id)),
				         key, gcu_ref_name(ref));
				goto bad;
			}
			continue;
		}
		json_object_object_add(out, id, json_object_get(v));
		json_object_object_add(origin, id, json_object_new_string(key));
	}
	json_object_put(origin);
	return out;
bad:
	json_object_put(origin);
	json_object_put(out);
	return NULL;
}

/* The list form: each item's "id" (or the item, a string) is one. */
static json_object *rewrite_list(const char *field, enum gcu_ref_kind ref, json_object *list,
                                 ref_fn fn, void *ctx, char *why, size_t whylen)
{
	json_object *out = json_object_new_array();

	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *e = json_object_array_get_idx(list, i), *copy = NULL;
		const char *id = gcu_json_str(e, "id");
		if (json_object_is_type(e, json_type_string))
			id = json_object_get_string(e);
		if (id != NULL && (id = fn(ctx, field, ref, id, why, whylen)) == NULL) {
			json_object_put(out);
			return NULL;
		}
		if (id == NULL) {
			copy = json_object_get(e);
		} else if (json_object_is_type(e, json_type_string)) {
			copy = json_object_new_string(id);
		} else {
			copy = json_object_new_object();
			json_object_object_foreach(e, k, v)
			{
				json_object_object_add(copy, k,
				                       strcmp(k, "id") == 0
				                           ? json_object_new_string(id)
				                           : json_object_get(v));
			}
		}
		json_object_array_add(out, copy);
	}
	return out;
}

/* One field's value with its references mapped (a new reference), or
 * NULL with why. A value of a shape the field does not take is left as
 * it is, for the field's own check to refuse. */
static json_object *rewrite_value(const char *field, json_object *value, ref_fn fn, void *ctx,
                                  char *why, size_t whylen, int *failed)
{
	enum gcu_ref_kind ref = gcu_field_ref(field);
	const char *id;

	*failed = 0;
	if (ref == GCU_REF_NONE || value == NULL)
		return json_object_get(value);
	if (json_object_is_type(value, json_type_string) ||
	    (ref == GCU_REF_USER && gcu_json_str(value, "id"))) {
		/* A value, or a user given as {"id": …}. */
		const char *v = json_object_is_type(value, json_type_string)
		                    ? json_object_get_string(value)
		                    : gcu_json_str(value, "id");
		if ((id = fn(ctx, field, ref, v, why, whylen)) == NULL) {
			*failed = 1;
			return NULL;
		}
		return json_object_new_string(id);
	}
	json_object *out = NULL;
	if (json_object_is_type(value, json_type_object))
		out = rewrite_map(field, ref, value, fn, ctx, why, whylen);
	else if (json_object_is_type(value, json_type_array))
		out = rewrite_list(field, ref, value, fn, ctx, why, whylen);
	else
		return json_object_get(value);
	*failed = out == NULL;
	return out;
}

/* changes with every reference mapped, or NULL with why. */
static json_object *rewrite(json_object *changes, ref_fn fn, void *ctx, char *why, size_t whylen)
{
	json_object *out = json_object_new_object();

	json_object_object_foreach(changes, field, value)
	{
		int failed;
		json_object *v = rewrite_value(field, value, fn, ctx, why, whylen, &failed);
		if (failed) {
			json_object_put(out);
			return NULL;
		}
		json_object_object_add(out, field, v);
	}
	return out;
}

/* --- the first pass: what must be found ----------------------------------- */

/* Adds a value to find a user by (once, as the directory compares). */
static int need_value(struct gcu_resolve_needs *n, enum gcu_key_kind k, const char *value)
{
	char *f = gcu_directory_fold(k, value);
	int added = f ? gcu_keyset_add(&n->seen[k], f) : -1;

	if (added <= 0) {
		free(f);
		return added;
	}
	if (gcu_grow(&n->values[k], &n->cap[k], n->dir.nvalues[k], sizeof *n->values[k], 64) < 0) {
		free(f);
		return -1;
	}
	n->values[k][n->dir.nvalues[k]++] = f;
	n->dir.values[k] = (const char *const *)n->values[k];
	return 0;
}

/* The first pass's reference function: notes, maps nothing. */
static const char *need_ref(void *ctx, const char *field, enum gcu_ref_kind ref, const char *value,
                            char *why, size_t whylen)
{
	struct gcu_resolve_needs *n = ctx;
	(void)field;

	if (gcu_uuid_valid(value))
		return value;
	n->names[ref]++;
	if (ref == GCU_REF_USER) {
		if (need_value(n, GCU_KEY_EMAIL, value) < 0)
			goto oom;
	} else {
		n->dir.catalogue[ref] = 1;
	}
	return value;
oom:
	snprintf(why, whylen, "out of memory");
	return NULL;
}

int gcu_resolve_need(struct gcu_resolve_needs *n, json_object *record)
{
	const char *value;
	char why[256];
	int k = record ? gcu_change_key(record, &value, why, sizeof why) : -1;

	if (k < 0)
		return 0;
	n->keyed[k]++;
	if (k != GCU_KEY_ID && !gcu_uuid_valid(value) &&
	    need_value(n, (enum gcu_key_kind)k, value) < 0)
		return -1;
	json_object *changes = gcu_json_get(record, "changes");
	if (!json_object_is_type(changes, json_type_object))
		return 0;
	/* The values a change expects name objects as its changes do. */
	json_object *parts[] = {changes, gcu_json_get(record, "expect")};
	for (size_t i = 0; i < 2; i++) {
		if (!json_object_is_type(parts[i], json_type_object))
			continue;
		json_object *seen = rewrite(parts[i], need_ref, n, why, sizeof why);
		if (seen == NULL)
			return strcmp(why, "out of memory") == 0 ? -1 : 0;
		json_object_put(seen);
	}
	return 0;
}

int gcu_resolve_needs_any(const struct gcu_resolve_needs *n)
{
	for (int k = GCU_KEY_ID + 1; k < GCU_NKEYS; k++)
		if (n->dir.nvalues[k])
			return 1;
	for (int k = GCU_REF_USER + 1; k < GCU_NREFS; k++)
		if (n->dir.catalogue[k])
			return 1;
	return 0;
}

void gcu_resolve_needs_free(struct gcu_resolve_needs *n)
{
	for (int k = 0; k < GCU_NKEYS; k++) {
		for (size_t i = 0; i < n->dir.nvalues[k]; i++)
			free(n->values[k][i]);
		free(n->values[k]);
		gcu_keyset_free(&n->seen[k]);
	}
	memset(n, 0, sizeof *n);
}

/* --- near misses ------------------------------------------------------------- */

const char *gcu_resolve_nearest(const struct gcu_directory *d, enum gcu_ref_kind kind,
                                enum gcu_key_kind key, const char *value)
{
	size_t n;
	const struct gcu_dir_item *items = gcu_directory_items(d, &n);
	unsigned bound = gcu_near_bound(strlen(value)), best = bound + 1;
	const char *nearest = NULL;

	if (kind == GCU_REF_USER && !gcu_directory_all_users(d))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *v = kind == GCU_REF_USER ? items[i].keys[key] : items[i].name;
		if (items[i].kind != kind || v == NULL)
			continue;
		unsigned dist = gcu_near_distance(value, v, best < bound ? best : bound);
		if (dist < best || (dist == best && nearest != NULL && strcmp(v, nearest) < 0)) {
			best = dist;
			nearest = v;
		}
	}
	return best <= bound ? nearest : NULL;
}

/* --- the second pass: ids in place of names --------------------------------- */

struct resolving {
	const struct gcu_directory *d;
	struct gcu_resolve_tally t; /* this record's */
	char *notice;
	size_t noticelen;
};

/* Adds "what 'value' is inactive" to the record's notice. */
static void inactive(struct resolving *rs, const char *what, const char *value)
{
	size_t len = strlen(rs->notice);
	if (len < rs->noticelen)
		snprintf(rs->notice + len, rs->noticelen - len, "%s%s '%s' is inactive",
		         len ? "; " : "", what, value);
}

/* Of several matches in any case, the one in the very same case, if one
 * alone is. Returns the match, or NULL. */
static const struct gcu_dir_item *same_case(const struct gcu_dir_item **m, long n,
                                            enum gcu_ref_kind kind, enum gcu_key_kind key,
                                            const char *value)
{
	const struct gcu_dir_item *one = NULL;

	if (n > MAX_MATCHES)
		return NULL;
	for (long i = 0; i < n; i++) {
		const char *v = kind == GCU_REF_USER ? m[i]->keys[key] : m[i]->name;
		if (strcmp(v, value) != 0)
			continue;
		if (one)
			return NULL;
		one = m[i];
	}
	return one;
}

/* Says why value found no single match; prefix is "" or "field: ". */
static void not_one(const struct resolving *rs, const struct gcu_dir_item **m, long n,
                    enum gcu_ref_kind kind, enum gcu_key_kind key, const char *prefix,
                    const char *value, char *why, size_t whylen)
{
	const char *kname = gcu_ref_name(kind);
	char shown[320];

	/* Quoted as it is, but for what a terminal would hide: a no-break
	 * space makes 'ann@x.com ' look like the near miss it is not. */
	const char *said = gcu_text_shown(value, shown, sizeof shown);
	if (n < 0 && kind == GCU_REF_USER) {
		snprintf(why, whylen,
		         "%s%s '%s' is not in the directory capture, which holds only the users "
		         "searched for when it was made",
		         prefix, gcu_key_name(key), said);
	} else if (n < 0) {
		snprintf(why, whylen, "%sthe directory capture holds no %ss", prefix, kname);
	} else if (n == 0) {
		const char *near = gcu_resolve_nearest(rs->d, kind, key, value);
		int w = kind == GCU_REF_USER
		            ? snprintf(why, whylen, "%sno user with %s '%s'", prefix,
		                       gcu_key_name(key), said)
		            : snprintf(why, whylen, "%sno %s '%s'", prefix, kname, said);
		if (near && w > 0 && (size_t)w < whylen)
			snprintf(why + w, whylen - (size_t)w, "; did you mean '%s'?", near);
	} else {
		int w = kind == GCU_REF_USER ? snprintf(why, whylen, "%s%ld users have %s '%s' (",
		                                        prefix, n, gcu_key_name(key), said)
		                             : snprintf(why, whylen, "%s%ld %ss are named '%s' (",
		                                        prefix, n, kname, said);
		for (long i = 0; i < n && i < 3 && m[i] && w > 0 && (size_t)w < whylen; i++)
			w += snprintf(why + w, whylen - (size_t)w, "%s%s", i ? ", " : "", m[i]->id);
		if (w > 0 && (size_t)w < whylen)
			snprintf(why + w, whylen - (size_t)w, "%s): name it by id",
			         n > 3 ? ", …" : "");
	}
}

/* The one user or entry value names, or NULL with why. */
static const struct gcu_dir_item *find_one(struct resolving *rs, enum gcu_ref_kind kind,
                                           enum gcu_key_kind key, const char *prefix,
                                           const char *value, char *why, size_t whylen)
{
	const struct gcu_dir_item *m[MAX_MATCHES] = {NULL}, *one;
	long n = kind == GCU_REF_USER
	             ? gcu_directory_find_users(rs->d, key, value, m, MAX_MATCHES)
	             : gcu_directory_find_entries(rs->d, kind, value, m, MAX_MATCHES);

	one = n == 1 ? m[0] : n > 1 ? same_case(m, n, kind, key, value) : NULL;
	if (one == NULL)
		not_one(rs, m, n, kind, key, prefix, value, why, whylen);
	return one;
}

static const char *resolve_ref(void *ctx, const char *field, enum gcu_ref_kind ref,
                               const char *value, char *why, size_t whylen)
{
	struct resolving *rs = ctx;
	char prefix[128];

	if (gcu_uuid_valid(value))
		return value;
	snprintf(prefix, sizeof prefix, "%s: ", field);
	const struct gcu_dir_item *it =
	    find_one(rs, ref, GCU_KEY_EMAIL, prefix, value, why, whylen);
	if (it == NULL)
		return NULL;
	rs->t.names[ref]++;
	if (it->inactive)
		inactive(rs, field, value);
	return it->id;
}

json_object *gcu_resolve_record(const struct gcu_config *cfg, const struct gcu_directory *d,
                                json_object *record, const char *src, struct gcu_resolve_tally *t,
                                char *notice, size_t noticelen, char *why, size_t whylen)
{
	struct resolving rs = {d, {{0}, {0}, 0}, notice, noticelen};
	json_object *parts[GCU_NSCOPES], *out = NULL, *changes, *expect = NULL;
	const char *value, *id, *own_src = gcu_json_str(record, "src");
	const char *key = gcu_json_str(record, "key");
	char named[512];
	int k;

	notice[0] = '\0';
	if ((k = gcu_change_key(record, &value, why, whylen)) < 0)
		return NULL;
	id = value;
	if (k != GCU_KEY_ID && !gcu_uuid_valid(value)) {
		const struct gcu_dir_item *it =
		    find_one(&rs, GCU_REF_USER, (enum gcu_key_kind)k, "", value, why, whylen);
		if (it == NULL)
			return NULL;
		id = it->id;
		if (it->inactive)
			inactive(&rs, "user", value);
	}
	if (k != GCU_KEY_ID && key == NULL) {
		snprintf(named, sizeof named, "%s:%s", gcu_key_name((enum gcu_key_kind)k), value);
		key = named;
	}
	changes = gcu_json_get(record, "changes");
	if (json_object_is_type(changes, json_type_object)) {
		changes = rewrite(changes, resolve_ref, &rs, why, whylen);
		if (changes == NULL)
			return NULL;
	} else {
		changes = json_object_get(changes);
	}
	int expects = json_object_object_get_ex(record, "expect", &expect);
	if (json_object_is_type(expect, json_type_object)) {
		expect = rewrite(expect, resolve_ref, &rs, why, whylen);
		if (expect == NULL) {
			json_object_put(changes);
			return NULL;
		}
	} else {
		expect = json_object_get(expect); /* gcu_change_split says what is wrong */
	}
	out = json_object_new_object();
	json_object_object_add(out, "id", json_object_new_string(id));
	if (key)
		json_object_object_add(out, "key", json_object_new_string(key));
	json_object_object_add(out, "src", json_object_new_string(own_src ? own_src : src));
	json_object_object_add(out, "changes", changes);
	if (expects)
		json_object_object_add(out, "expect", expect);
	/* What gcu-partition would refuse is refused here, at the change's
	 * own line and with its own text. */
	if (gcu_change_split(cfg, out, &value, parts, NULL, why, whylen) < 0) {
		json_object_put(out);
		notice[0] = '\0';
		return NULL;
	}
	for (int s = 0; s < GCU_NSCOPES; s++)
		json_object_put(parts[s]);
	rs.t.keys[k]++;
	rs.t.inactive += notice[0] != '\0';
	for (int i = 0; i < GCU_NKEYS; i++)
		t->keys[i] += rs.t.keys[i];
	for (int i = 0; i < GCU_NREFS; i++)
		t->names[i] += rs.t.names[i];
	t->inactive += rs.t.inactive;
	return out;
}
