/*
 * directory.c - the directory of directory.h: its items, the index that
 * finds them by key or name, and its captures (directory_read.c reads it
 * from the platform).
 *
 * The index is one open-addressing table for every way an item can be
 * found: a user by its id, email, username or employeeId, an entry by its
 * id or its name. Each slot holds an item and the way ("space") it was
 * filed under; a value that several items share (two skills named alike)
 * fills several slots, and a lookup collects them all.
 */
#include "directory.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "grow.h"
#include "json_access.h"
#include "keyset.h"
#include "ndjson.h"
#include "record_loop.h"
#include "uuid.h"

/* The ways an item is filed: a user's keys (the key kinds), an entry's
 * name, an entry's id. */
#define SPACE_NAME(k) (GCU_NKEYS + (int)(k))
#define SPACE_ID(k)   (GCU_NKEYS + GCU_NREFS + (int)(k))

struct slot {
	uint32_t item; /* its index + 1; 0: empty */
	uint8_t space;
};

struct gcu_directory {
	struct gcu_dir_item *items;
	size_t n, cap;
	struct slot *slots;
	size_t nslots, used; /* nslots a power of two, used at most half */
	size_t users;
	int all_users;
	struct gcu_keyset searched[GCU_NKEYS]; /* folded values searched for */
	int catalogue[GCU_NREFS];
};

/* --- the index ------------------------------------------------------------ */

/* An employeeId is compared exactly; everything else in any case. */
static int exact_space(int space)
{
	return space == GCU_KEY_EMPLOYEE_ID;
}

static const char *value_in(const struct gcu_directory *d, const struct slot *s)
{
	const struct gcu_dir_item *it = &d->items[s->item - 1];
	if (s->space < GCU_NKEYS)
		return it->keys[s->space];
	if (s->space < SPACE_ID(0))
		return it->name;
	return it->id;
}

static uint64_t slot_hash(int space, const char *value)
{
	return gcu_uuid_hash(value) ^ ((uint64_t)(space + 1) * 0x9e3779b97f4a7c15ULL);
}

static int same_value(int space, const char *a, const char *b)
{
	return exact_space(space) ? strcmp(a, b) == 0 : strcasecmp(a, b) == 0;
}

static void file_slot(struct slot *slots, size_t nslots, struct slot s, const char *value)
{
	size_t j = slot_hash(s.space, value) & (nslots - 1);
	while (slots[j].item)
		j = (j + 1) & (nslots - 1);
	slots[j] = s;
}

static int grow_index(struct gcu_directory *d)
{
	size_t cap = d->nslots ? d->nslots * 2 : 1024;
	struct slot *slots = calloc(cap, sizeof *slots);

	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < d->nslots; i++)
		if (d->slots[i].item)
			file_slot(slots, cap, d->slots[i], value_in(d, &d->slots[i]));
	free(d->slots);
	d->slots = slots;
	d->nslots = cap;
	return 0;
}

/* Files item i under space (its value there must be set). */
static int file_item(struct gcu_directory *d, size_t i, int space)
{
	struct slot s = {(uint32_t)(i + 1), (uint8_t)space};
	if ((d->used + 1) * 2 > d->nslots && grow_index(d) < 0)
		return -1;
	file_slot(d->slots, d->nslots, s, value_in(d, &s));
	d->used++;
	return 0;
}

/* The items filed under space as value: up to max in out; returns how
 * many there are. */
static size_t lookup(const struct gcu_directory *d, int space, const char *value,
                     const struct gcu_dir_item **out, size_t max)
{
	size_t found = 0;

	if (d->nslots == 0 || value == NULL)
		return 0;
	for (size_t j = slot_hash(space, value) & (d->nslots - 1); d->slots[j].item;
	     j = (j + 1) & (d->nslots - 1)) {
		const struct slot *s = &d->slots[j];
		if (s->space != space || !same_value(space, value_in(d, s), value))
			continue;
		if (found < max)
			out[found] = &d->items[s->item - 1];
		found++;
	}
	return found;
}

/* --- items ------------------------------------------------------------------ */

struct gcu_directory *gcu_directory_new(void)
{
	return calloc(1, sizeof(struct gcu_directory));
}

static void free_item(struct gcu_dir_item *it)
{
	free(it->id);
	free(it->name);
	for (int k = 1; k < GCU_NKEYS; k++)
		free(it->keys[k]);
}

void gcu_directory_free(struct gcu_directory *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++)
		free_item(&d->items[i]);
	free(d->items);
	free(d->slots);
	for (int k = 0; k < GCU_NKEYS; k++)
		gcu_keyset_free(&d->searched[k]);
	free(d);
}

/* A new item slot at the end (zeroed), or NULL. */
static struct gcu_dir_item *new_item(struct gcu_directory *d)
{
	if (gcu_grow(&d->items, &d->cap, d->n, sizeof *d->items, 256) < 0)
		return NULL;
	struct gcu_dir_item *it = &d->items[d->n];
	memset(it, 0, sizeof *it);
	return it;
}

static char *copy_or_null(const char *s, int *oom)
{
	char *c = s && *s ? strdup(s) : NULL;
	if (s && *s && c == NULL)
		*oom = 1;
	return c;
}

/* Files the new item d->items[d->n] under each of its values. Returns 1,
 * or -1 when memory ran out (an item whose strings could not be copied is
 * dropped; one filed in part stays, found its filed ways). */
static int commit_item(struct gcu_directory *d, int oom)
{
	struct gcu_dir_item *it = &d->items[d->n];
	size_t i = d->n;
	int kind = (int)it->kind;

	if (oom) {
		free_item(it);
		return -1;
	}
	d->n++;
	if (kind == GCU_REF_USER) {
		d->users++;
		for (int k = 0; k < GCU_NKEYS; k++)
			if (it->keys[k] && file_item(d, i, k) < 0)
				return -1;
		return 1;
	}
	if (file_item(d, i, SPACE_ID(kind)) < 0 || file_item(d, i, SPACE_NAME(kind)) < 0)
		return -1;
	return 1;
}

int gcu_directory_add_user(struct gcu_directory *d, json_object *user)
{
	const char *id = gcu_json_str(user, "id"), *state = gcu_json_str(user, "state");
	const struct gcu_dir_item *known;
	int oom = 0;

	if (!gcu_uuid_valid(id) || (state && strcmp(state, "deleted") == 0) ||
	    lookup(d, GCU_KEY_ID, id, &known, 1) > 0)
		return 0;
	struct gcu_dir_item *it = new_item(d);
	if (it == NULL)
		return -1;
	it->kind = GCU_REF_USER;
	it->inactive = state && strcmp(state, "inactive") == 0;
	it->id = copy_or_null(id, &oom);
	it->keys[GCU_KEY_ID] = it->id;
	it->name = copy_or_null(gcu_json_str(user, "name"), &oom);
	it->keys[GCU_KEY_EMAIL] = copy_or_null(gcu_json_str(user, "email"), &oom);
	it->keys[GCU_KEY_USERNAME] = copy_or_null(gcu_json_str(user, "username"), &oom);
	it->keys[GCU_KEY_EMPLOYEE_ID] =
	    copy_or_null(gcu_json_str(gcu_json_get(user, "employerInfo"), "employeeId"), &oom);
	return commit_item(d, oom);
}

int gcu_directory_add_entry(struct gcu_directory *d, enum gcu_ref_kind k, const char *id,
                            const char *name)
{
	const struct gcu_dir_item *known;
	int oom = 0;

	if (k <= GCU_REF_USER || k >= GCU_NREFS || !gcu_uuid_valid(id) || name == NULL ||
	    *name == '\0' || lookup(d, SPACE_ID(k), id, &known, 1) > 0)
		return 0;
	struct gcu_dir_item *it = new_item(d);
	if (it == NULL)
		return -1;
	it->kind = k;
	it->id = copy_or_null(id, &oom);
	it->keys[GCU_KEY_ID] = it->id;
	it->name = copy_or_null(name, &oom);
	return commit_item(d, oom);
}

char *gcu_directory_fold(enum gcu_key_kind k, const char *value)
{
	char *f = strdup(value);
	if (f && !exact_space((int)k))
		for (char *p = f; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return f;
}

void gcu_directory_know_all_users(struct gcu_directory *d)
{
	d->all_users = 1;
}

int gcu_directory_know_value(struct gcu_directory *d, enum gcu_key_kind k, const char *value)
{
	char *f = gcu_directory_fold(k, value);
	int rc = f ? gcu_keyset_add(&d->searched[k], f) : -1;
	free(f);
	return rc < 0 ? -1 : 0;
}

void gcu_directory_know_catalogue(struct gcu_directory *d, enum gcu_ref_kind k)
{
	if (k > GCU_REF_USER && k < GCU_NREFS)
		d->catalogue[k] = 1;
}

/* Whether value was searched for: the keyset has no lookup of its own,
 * and adding a value it has is one. */
static int searched_for(const struct gcu_directory *d, enum gcu_key_kind k, const char *value)
{
	struct gcu_keyset *s = (struct gcu_keyset *)&d->searched[k];
	char *f = gcu_directory_fold(k, value);
	int rc = 0;

	if (f == NULL || s->n == 0)
		goto out;
	size_t j = gcu_uuid_hash(f) & (s->cap - 1);
	for (; s->slots[j]; j = (j + 1) & (s->cap - 1))
		if (strcmp(s->slots[j], f) == 0) {
			rc = 1;
			break;
		}
out:
	free(f);
	return rc;
}

long gcu_directory_find_users(const struct gcu_directory *d, enum gcu_key_kind k, const char *value,
                              const struct gcu_dir_item **out, size_t max)
{
	if (k <= GCU_KEY_ID || k >= GCU_NKEYS)
		return 0;
	if (!d->all_users && !searched_for(d, k, value))
		return -1;
	return (long)lookup(d, (int)k, value, out, max);
}

long gcu_directory_find_entries(const struct gcu_directory *d, enum gcu_ref_kind k,
                                const char *name, const struct gcu_dir_item **out, size_t max)
{
	if (k <= GCU_REF_USER || k >= GCU_NREFS)
		return 0;
	if (!d->catalogue[k])
		return -1;
	return (long)lookup(d, SPACE_NAME(k), name, out, max);
}

const struct gcu_dir_item *gcu_directory_items(const struct gcu_directory *d, size_t *n)
{
	*n = d->n;
	return d->items;
}

int gcu_directory_all_users(const struct gcu_directory *d)
{
	return d->all_users;
}

size_t gcu_directory_users(const struct gcu_directory *d)
{
	return d->users;
}

/* --- captures ----------------------------------------------------------------- */

static int ref_parse(const char *name)
{
	for (int k = GCU_REF_USER + 1; name && k < GCU_NREFS; k++)
		if (strcmp(name, gcu_ref_name((enum gcu_ref_kind)k)) == 0)
			return k;
	return -1;
}

/* An item's place in a capture. */
struct place {
	const struct gcu_dir_item *item;
};

/* Capture order: entries by kind, name and id, then users by id. */
static int by_place(const void *a, const void *b)
{
	const struct gcu_dir_item *x = ((const struct place *)a)->item;
	const struct gcu_dir_item *y = ((const struct place *)b)->item;
	int ux = x->kind == GCU_REF_USER, uy = y->kind == GCU_REF_USER, c;

	if (ux != uy)
		return ux - uy;
	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	if (!ux && (c = strcmp(x->name ? x->name : "", y->name ? y->name : "")) != 0)
		return c;
	return strcasecmp(x->id, y->id);
}

static void add_string(json_object *o, const char *key, const char *value)
{
	if (value)
		json_object_object_add(o, key, json_object_new_string(value));
}

static int by_text(const void *a, const void *b)
{
	return strcmp(json_object_get_string(*(json_object *const *)a),
	              json_object_get_string(*(json_object *const *)b));
}

/* The first line of a capture: what the directory knows. */
static json_object *capture_header(const struct gcu_directory *d)
{
	json_object *h = json_object_new_object(), *searched = json_object_new_object();
	json_object *cats = json_object_new_array();
	int any = 0;

	for (int k = GCU_KEY_ID + 1; k < GCU_NKEYS; k++) {
		const struct gcu_keyset *s = &d->searched[k];
		if (s->n == 0)
			continue;
		json_object *values = json_object_new_array();
		for (size_t i = 0; i < s->cap; i++)
			if (s->slots[i])
				json_object_array_add(values, json_object_new_string(s->slots[i]));
		json_object_array_sort(values, by_text);
		json_object_object_add(searched, gcu_key_name((enum gcu_key_kind)k), values);
		any = 1;
	}
	for (int k = GCU_REF_USER + 1; k < GCU_NREFS; k++)
		if (d->catalogue[k])
			json_object_array_add(
			    cats, json_object_new_string(gcu_ref_name((enum gcu_ref_kind)k)));
	add_string(h, "kind", "directory");
	add_string(h, "users", d->all_users ? "all" : any ? "searched" : "none");
	if (!d->all_users && any)
		json_object_object_add(h, "searched", searched);
	else
		json_object_put(searched);
	json_object_object_add(h, "catalogues", cats);
	return h;
}

static json_object *capture_line(const struct gcu_dir_item *it)
{
	json_object *o = json_object_new_object();

	if (it->kind != GCU_REF_USER) {
		add_string(o, "kind", gcu_ref_name(it->kind));
		add_string(o, "id", it->id);
		add_string(o, "name", it->name);
		return o;
	}
	add_string(o, "id", it->id);
	add_string(o, "name", it->name);
	add_string(o, "state", it->inactive ? "inactive" : "active");
	add_string(o, "email", it->keys[GCU_KEY_EMAIL]);
	add_string(o, "username", it->keys[GCU_KEY_USERNAME]);
	if (it->keys[GCU_KEY_EMPLOYEE_ID]) {
		json_object *e = json_object_new_object();
		add_string(e, "employeeId", it->keys[GCU_KEY_EMPLOYEE_ID]);
		json_object_object_add(o, "employerInfo", e);
	}
	return o;
}

int gcu_directory_write(const struct gcu_directory *d, const char *path, char *err, size_t errlen)
{
	struct ndjson_writer w;
	struct place *order = malloc((d->n ? d->n : 1) * sizeof *order);
	int rc = -1;

	if (order == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	for (size_t i = 0; i < d->n; i++)
		order[i].item = &d->items[i];
	qsort(order, d->n, sizeof *order, by_place);
	if (ndjson_writer_open_atomic(&w, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	json_object *h = capture_header(d);
	ndjson_write(&w, h);
	json_object_put(h);
	for (size_t i = 0; i < d->n; i++) {
		json_object *line = capture_line(order[i].item);
		int bad = ndjson_write(&w, line) < 0;
		json_object_put(line);
		if (bad)
			break;
	}
	rc = ndjson_writer_close(&w);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(w.error));
	ndjson_writer_free(&w);
out:
	free(order);
	return rc;
}

/* Takes the values a capture's first line says were searched for.
 * Returns 0, or -1 with why. */
static int take_searched(struct gcu_directory *d, json_object *searched, char *why, size_t whylen)
{
	json_object_object_foreach(searched, key, values)
	{
		int k = gcu_key_parse(key);
		if (k <= GCU_KEY_ID || !json_object_is_type(values, json_type_array)) {
			snprintf(why, whylen, "\"searched\": unknown key '%.40s'", key);
			return -1;
		}
		for (size_t i = 0; i < json_object_array_length(values); i++) {
			const char *v =
			    json_object_get_string(json_object_array_get_idx(values, i));
			if (v && gcu_directory_know_value(d, (enum gcu_key_kind)k, v) < 0) {
				snprintf(why, whylen, "out of memory");
				return -1;
			}
		}
	}
	return 0;
}

/* Takes a capture's first line. Returns 0, or -1 with why. */
static int take_header(struct gcu_directory *d, json_object *h, char *why, size_t whylen)
{
	const char *users = gcu_json_str(h, "users");
	json_object *cats = gcu_json_get(h, "catalogues"), *searched = gcu_json_get(h, "searched");

	if (users == NULL || (strcmp(users, "all") != 0 && strcmp(users, "searched") != 0 &&
	                      strcmp(users, "none") != 0)) {
		snprintf(why, whylen, "\"users\" is not all, searched or none");
		return -1;
	}
	d->all_users = strcmp(users, "all") == 0;
	for (size_t i = 0;
	     json_object_is_type(cats, json_type_array) && i < json_object_array_length(cats);
	     i++) {
		int k = ref_parse(json_object_get_string(json_object_array_get_idx(cats, i)));
		if (k < 0) {
			snprintf(why, whylen, "unknown catalogue '%.40s'",
			         json_object_get_string(json_object_array_get_idx(cats, i)));
			return -1;
		}
		d->catalogue[k] = 1;
	}
	if (searched != NULL && !json_object_is_type(searched, json_type_object)) {
		snprintf(why, whylen, "\"searched\" is not an object");
		return -1;
	}
	return searched ? take_searched(d, searched, why, whylen) : 0;
}

/* The catalogue entries a user document refers to with {"id","name"}
 * (its skills, languages, …: what fields.h says refers to a catalogue,
 * where it says the document keeps it), as gcu-sim takes them from an
 * org file without catalogue lines. Returns 0, or -1 (memory). */
static int add_references(struct gcu_directory *d, json_object *user)
{
	const char *field;

	for (size_t i = 0; (field = gcu_field_name(i)) != NULL; i++) {
		enum gcu_ref_kind k = gcu_field_ref(field);
		json_object *v = gcu_json_get(user, gcu_field_doc_key(field));
		size_t n =
		    json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 1;
		if (k <= GCU_REF_USER || v == NULL)
			continue;
		for (size_t j = 0; j < n; j++) {
			json_object *ref = json_object_is_type(v, json_type_array)
			                       ? json_object_array_get_idx(v, j)
			                       : v;
			if (gcu_directory_add_entry(d, k, gcu_json_str(ref, "id"),
			                            gcu_json_str(ref, "name")) < 0)
				return -1;
		}
	}
	return 0;
}

/* One line of a capture (or of an org dump). Returns 0, or -1 with why. */
static int take_line(struct gcu_directory *d, json_object *o, int first, int *headed, char *why,
                     size_t whylen)
{
	const char *kind = gcu_json_str(o, "kind");
	int rc;

	if (kind == NULL) {
		rc = gcu_directory_add_user(d, o);
		if (rc >= 0)
			rc = add_references(d, o);
	} else if (strcmp(kind, "directory") == 0) {
		if (!first) {
			snprintf(why, whylen, "a directory line past the first");
			return -1;
		}
		*headed = 1;
		return take_header(d, o, why, whylen);
	} else {
		int k = ref_parse(kind);
		if (k < 0) {
			snprintf(why, whylen, "unknown kind '%.40s'", kind);
			return -1;
		}
		rc = gcu_directory_add_entry(d, (enum gcu_ref_kind)k, gcu_json_str(o, "id"),
		                             gcu_json_str(o, "name"));
	}
	if (rc < 0)
		snprintf(why, whylen, "out of memory");
	return rc < 0 ? -1 : 0;
}

/* Loading a capture: the directory filled, and where the first bad line
 * is told. */
struct loading {
	struct gcu_directory *d;
	int headed;          /* its first line says what it holds */
	unsigned long lines; /* lines taken */
	char *err;
	size_t errlen;
};

static int load_line(void *ctx, json_object *rec, unsigned long line, char *why, size_t whylen,
                     char *err, size_t errlen)
{
	struct loading *ld = ctx;
	(void)line;
	(void)err;
	(void)errlen;
	return take_line(ld->d, rec, ld->lines++ == 0, &ld->headed, why, whylen) < 0 ? 1 : 0;
}

static void load_failed(void *ctx, const char *name, unsigned long line, const char *msg)
{
	struct loading *ld = ctx;
	snprintf(ld->err, ld->errlen, "%s:%lu: %s", name, line, msg);
}

struct gcu_directory *gcu_directory_load(const char *path, size_t max_line, char *err,
                                         size_t errlen)
{
	struct loading ld = {gcu_directory_new(), 0, 0, err, errlen};
	struct gcu_loop_stats st = {0};
	struct ndjson_reader r;

	if (ld.d == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if (ndjson_reader_open(&r, path, max_line) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		gcu_directory_free(ld.d);
		return NULL;
	}
	int rc = gcu_record_loop(&r, load_line, load_failed, &ld, 1, &st, err, errlen);
	ndjson_reader_close(&r);
	if (rc != 0) {
		gcu_directory_free(ld.d);
		return NULL;
	}
	if (!ld.headed) {
		/* An org dump: it holds the whole org. */
		ld.d->all_users = 1;
		for (int k = GCU_REF_USER + 1; k < GCU_NREFS; k++)
			ld.d->catalogue[k] = 1;
	}
	return ld.d;
}
