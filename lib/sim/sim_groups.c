/*
 * sim_groups.c - queue, team and division membership (see sim_groups.h).
 *
 * A user's team is one catalogue index and its queues a short sorted
 * array, so a change is a few integer moves under the exclusive lock.
 * Member listings scan the users for the group's members and sort them
 * by the raw text of their "name" (escapes and all: the order is the
 * platform's for every plain name, and stable for the rest), so that a
 * page is the same page however the users were loaded.
 */
#include "sim_groups.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim_json.h"
#include "uuid.h"

/* How many unknown ids an error message names before "and N more". */
#define NAMED_IDS 3

static int live(const struct sim_user *u)
{
	return u->state != SIM_DELETED;
}

static long find_live(const struct sim_org *org, const char *id)
{
	long idx = sim_org_find(org, id);
	return idx >= 0 && live(&org->users[idx]) ? idx : -1;
}

static int in_queue(const struct sim_user *u, uint32_t q)
{
	for (uint32_t k = 0; k < u->nqueues; k++)
		if (u->queues[k] == q)
			return 1;
	return 0;
}

int sim_groups_join_queue(struct sim_user *u, uint32_t q)
{
	uint32_t *queues, k;

	if (in_queue(u, q))
		return 0;
	queues = realloc(u->queues, (u->nqueues + 1) * sizeof *queues);
	if (queues == NULL)
		return -1;
	for (k = u->nqueues; k > 0 && queues[k - 1] > q; k--)
		queues[k] = queues[k - 1];
	queues[k] = q;
	u->queues = queues;
	u->nqueues++;
	return 1;
}

static void leave_queue(struct sim_user *u, uint32_t q)
{
	uint32_t k;

	for (k = 0; k < u->nqueues && u->queues[k] != q; k++)
		;
	if (k == u->nqueues)
		return;
	memmove(u->queues + k, u->queues + k + 1, (u->nqueues - k - 1) * sizeof *u->queues);
	u->nqueues--;
}

void sim_groups_counts(struct sim_org *org, enum sim_cat k, long *counts)
{
	memset(counts, 0, org->cat.n[k] * sizeof *counts);
	pthread_rwlock_rdlock(&org->lock);
	for (size_t i = 0; i < org->n; i++) {
		const struct sim_user *u = &org->users[i];
		if (!live(u))
			continue;
		if (k == SIM_CAT_TEAM && u->team)
			counts[u->team - 1]++;
		for (uint32_t j = 0; k == SIM_CAT_QUEUE && j < u->nqueues; j++)
			counts[u->queues[j]]++;
	}
	pthread_rwlock_unlock(&org->lock);
}

/* --- member listings ----------------------------------------------------- */

struct member {
	size_t idx;
	const char *name; /* the raw JSON string of the user's "name", quotes included */
	size_t len;
};

static void raw_name(const struct sim_user *u, struct member *m)
{
	struct sim_json_member *mm = NULL;
	size_t n = 0;
	char why[64];

	m->name = "\"\"";
	m->len = 2;
	if (sim_json_members(u->base, strlen(u->base), &mm, &n, why, sizeof why) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (mm[i].key_len == 4 && memcmp(mm[i].key, "name", 4) == 0 &&
		    mm[i].value[0] == '"') {
			m->name = mm[i].value;
			m->len = mm[i].value_len;
		}
	free(mm);
}

static int by_name(const void *a, const void *b, void *arg)
{
	const struct member *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int d = strncasecmp(x->name, y->name, n);

	if (d == 0)
		d = (x->len > y->len) - (x->len < y->len);
	if (d == 0)
		d = (x->idx > y->idx) - (x->idx < y->idx);
	return *(const int *)arg ? -d : d;
}

/* The live users in queue q, or in team `team` (its index + 1) when that
 * is not 0, sorted by name, in a new array (NULL when out of memory);
 * their number in *n. The caller holds the lock as long as it reads their
 * names. */
static struct member *members(const struct sim_org *org, uint32_t q, uint32_t team, int desc,
                              size_t *n)
{
	struct member *m = malloc((org->n ? org->n : 1) * sizeof *m);

	*n = 0;
	if (m == NULL)
		return NULL;
	for (size_t i = 0; i < org->n; i++) {
		const struct sim_user *u = &org->users[i];
		if (!live(u) || (team ? u->team != team : !in_queue(u, q)))
			continue;
		m[*n].idx = i;
		raw_name(u, &m[*n]);
		(*n)++;
	}
	qsort_r(m, *n, sizeof *m, by_name, &desc);
	return m;
}

static void not_found(struct sim_result *res, enum sim_cat k, const char *id)
{
	result_set(res, 404, "not.found", "The %s %s was not found", sim_catalog_kind_name(k), id);
}

void sim_groups_queue_members(struct sim_org *org, const char *queue_id, long page_size,
                              long page_number, int desc, struct sbuf *out, struct sim_result *res)
{
	long q = sim_catalog_find(&org->cat, SIM_CAT_QUEUE, queue_id);
	size_t n, first = (size_t)((page_number - 1) * page_size);
	struct member *m;

	if (q < 0) {
		not_found(res, SIM_CAT_QUEUE, queue_id);
		return;
	}
	pthread_rwlock_rdlock(&org->lock);
	m = members(org, (uint32_t)q, 0, desc, &n);
	sbuf_adds(out, "{\"entities\":[");
	for (size_t j = first; m && j < n && j < first + (size_t)page_size; j++) {
		const char *id = org->users[m[j].idx].id;
		sbuf_addf(out, "%s{\"id\":\"%s\",\"name\":", j > first ? "," : "", id);
		sbuf_add(out, m[j].name, m[j].len);
		sbuf_addf(out, ",\"user\":{\"id\":\"%s\",\"name\":", id);
		sbuf_add(out, m[j].name, m[j].len);
		sbuf_addf(out,
		          ",\"selfUri\":\"/api/v2/users/%s\"},\"ringNumber\":1,\"joined\":true,"
		          "\"memberBy\":\"user\"}",
		          id);
	}
	pthread_rwlock_unlock(&org->lock);
	sim_page_end(out, page_size, page_number, (long)n);
	free(m);
	result_ok(res, 200);
}

void sim_groups_team_members(struct sim_org *org, const char *team_id, const struct sim_listing *q,
                             struct sbuf *out, struct sim_result *res)
{
	long t = sim_catalog_find(&org->cat, SIM_CAT_TEAM, team_id);
	size_t n, first = (size_t)q->after, j;
	struct member *m;
	char path[128];

	if (t < 0) {
		not_found(res, SIM_CAT_TEAM, team_id);
		return;
	}
	pthread_rwlock_rdlock(&org->lock);
	m = members(org, 0, (uint32_t)t + 1, 0, &n);
	sbuf_adds(out, "{\"entities\":[");
	for (j = first; m && j < n && j < first + (size_t)q->page_size; j++) {
		const char *id = org->users[m[j].idx].id;
		sbuf_addf(out, "%s{\"id\":\"%s\",\"name\":", j > first ? "," : "", id);
		sbuf_add(out, m[j].name, m[j].len);
		sbuf_addf(out, ",\"selfUri\":\"/api/v2/users/%s\"}", id);
	}
	pthread_rwlock_unlock(&org->lock);
	snprintf(path, sizeof path, "%s/%s/members", sim_catalog_path(SIM_CAT_TEAM),
	         org->cat.e[SIM_CAT_TEAM][t].id);
	sim_listing_cursor_end(out, path, q, j < n ? (long)j : -1);
	free(m);
	result_ok(res, 200);
}

/* --- changes ------------------------------------------------------------- */

/*
 * Reads a list of at most max user ids from list (objects with an "id"
 * when objects is set, else strings) into ids, which point into list.
 * Returns their number, or -1 with a 400 in res.
 */
static long id_list(json_object *list, size_t max, int objects, const char *what, const char **ids,
                    struct sim_result *res)
{
	size_t n;

	if (!json_object_is_type(list, json_type_array)) {
		result_set(res, 400, "bad.request", "%s must be a JSON array", what);
		return -1;
	}
	n = json_object_array_length(list);
	if (n == 0 || n > max) {
		result_set(res, 400, "bad.request", "%s must hold 1 to %zu users, not %zu", what,
		           max, n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(list, i), *v = e;
		if (objects && !json_object_object_get_ex(e, "id", &v))
			v = NULL;
		if (!json_object_is_type(v, json_type_string) ||
		    !gcu_uuid_valid(json_object_get_string(v))) {
			result_set(res, 400, "bad.request", "%s: entry %zu is not %s", what, i,
			           objects ? "an {\"id\"} with a UUID" : "a UUID");
			return -1;
		}
		ids[i] = json_object_get_string(v);
	}
	return (long)n;
}

/* Checks that every one of the n ids is a live user; else a 400 naming
 * them. The caller holds the lock. */
static int all_known(const struct sim_org *org, const char *const *ids, size_t n,
                     struct sim_result *res)
{
	char named[3 * 40] = "";
	size_t unknown = 0, len = 0;

	for (size_t i = 0; i < n; i++) {
		if (find_live(org, ids[i]) >= 0)
			continue;
		if (unknown++ < NAMED_IDS && len < sizeof named)
			len += (size_t)snprintf(named + len, sizeof named - len, "%s%s",
			                        unknown > 1 ? ", " : "", ids[i]);
	}
	if (unknown == 0)
		return 0;
	if (unknown > NAMED_IDS)
		result_set(res, 400, "bad.request", "Users not found: %s and %zu more", named,
		           unknown - NAMED_IDS);
	else
		result_set(res, 400, "bad.request", "Users not found: %s", named);
	return -1;
}

/*
 * The frame of the all-or-nothing calls: reads the ids of body (at most
 * max, {"id"} objects when objects is set), finds group_id of kind k,
 * and under the exclusive lock, once every user is known, calls
 * apply(org, user index, group index) for each. 204 unless apply fails
 * (out of memory).
 */
static void all_or_nothing(struct sim_org *org, enum sim_cat k, const char *group_id,
                           json_object *body, size_t max, int objects, const char *what,
                           int (*apply)(struct sim_org *, size_t, long), struct sim_result *res)
{
	_Static_assert(SIM_DIVISION_BATCH <= SIM_QUEUE_BATCH, "ids holds the largest call");
	const char *ids[SIM_QUEUE_BATCH];
	long at = sim_catalog_find(&org->cat, k, group_id);
	long n = id_list(body, max, objects, what, ids, res);

	if (n < 0)
		return;
	if (at < 0) {
		not_found(res, k, group_id);
		return;
	}
	pthread_rwlock_wrlock(&org->lock);
	if (all_known(org, ids, (size_t)n, res) == 0) {
		result_ok(res, 204);
		for (long i = 0; i < n; i++)
			if (apply(org, (size_t)sim_org_find(org, ids[i]), at) < 0)
				result_set(res, 500, "internal.server.error", "out of memory");
	}
	pthread_rwlock_unlock(&org->lock);
}

static int queue_join(struct sim_org *org, size_t idx, long q)
{
	return sim_groups_join_queue(&org->users[idx], (uint32_t)q) < 0 ? -1 : 0;
}

static int queue_leave(struct sim_org *org, size_t idx, long q)
{
	leave_queue(&org->users[idx], (uint32_t)q);
	return 0;
}

void sim_groups_queue_update(struct sim_org *org, const char *queue_id, json_object *body,
                             int remove, struct sim_result *res)
{
	all_or_nothing(org, SIM_CAT_QUEUE, queue_id, body, SIM_QUEUE_BATCH, 1, "The queue members",
	               remove ? queue_leave : queue_join, res);
}

/* Appends a team answer's entry {"id",...} to the entities or failures
 * list, opening it first. */
static void add_entry(struct sbuf *b, const char *id, const char *reason)
{
	sbuf_adds(b, b->len ? "," : "[");
	if (reason)
		sbuf_addf(b, "{\"id\":\"%s\",\"reason\":\"%s\"}", id, reason);
	else
		sbuf_addf(b, "{\"id\":\"%s\",\"selfUri\":\"/api/v2/users/%s\"}", id, id);
}

void sim_groups_team_add(struct sim_org *org, const char *team_id, json_object *body,
                         int (*refuse)(void *arg), void *arg, struct sbuf *out,
                         struct sim_result *res)
{
	const char *ids[SIM_TEAM_BATCH];
	struct sbuf added = {0}, failed = {0};
	json_object *list = NULL;
	long t = sim_catalog_find(&org->cat, SIM_CAT_TEAM, team_id), n;

	if (!json_object_is_type(body, json_type_object) ||
	    !json_object_object_get_ex(body, "memberIds", &list)) {
		result_set(res, 400, "bad.request", "The body must be {\"memberIds\":[...]}");
		return;
	}
	n = id_list(list, SIM_TEAM_BATCH, 0, "memberIds", ids, res);
	if (n < 0)
		return;
	if (t < 0) {
		not_found(res, SIM_CAT_TEAM, team_id);
		return;
	}
	pthread_rwlock_wrlock(&org->lock);
	for (long i = 0; i < n; i++) {
		long idx = find_live(org, ids[i]), dup = 0;
		for (long j = 0; j < i && !dup; j++)
			dup = strcasecmp(ids[j], ids[i]) == 0;
		if (dup)
			continue;
		if (idx < 0) {
			add_entry(&failed, ids[i], "UserNotFound");
		} else if (org->users[idx].team == (uint32_t)t + 1) {
			add_entry(&added, org->users[idx].id, NULL);
		} else if (org->users[idx].team || (refuse && refuse(arg))) {
			add_entry(&failed, org->users[idx].id, "UserGroupLimitExceeded");
		} else {
			org->users[idx].team = (uint32_t)t + 1;
			add_entry(&added, org->users[idx].id, NULL);
		}
	}
	pthread_rwlock_unlock(&org->lock);
	sbuf_adds(out, "{\"entities\":");
	sbuf_adds(out, added.len ? added.p : "[");
	sbuf_adds(out, "]");
	if (failed.len) {
		sbuf_adds(out, ",\"failures\":");
		sbuf_adds(out, failed.p);
		sbuf_adds(out, "]");
	}
	sbuf_adds(out, "}");
	if (added.oom || failed.oom)
		result_set(res, 500, "internal.server.error", "out of memory");
	else
		result_ok(res, 200);
	sbuf_free(&added);
	sbuf_free(&failed);
}

void sim_groups_team_remove(struct sim_org *org, const char *team_id, const char *const *ids,
                            size_t n, struct sim_result *res)
{
	long t = sim_catalog_find(&org->cat, SIM_CAT_TEAM, team_id);

	if (n == 0 || n > SIM_TEAM_BATCH) {
		result_set(res, 400, "bad.request", "id must list 1 to %d users, not %zu",
		           SIM_TEAM_BATCH, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (!gcu_uuid_valid(ids[i])) {
			result_set(res, 400, "bad.request", "id: '%.40s' is not a UUID", ids[i]);
			return;
		}
	if (t < 0) {
		not_found(res, SIM_CAT_TEAM, team_id);
		return;
	}
	pthread_rwlock_wrlock(&org->lock);
	for (size_t i = 0; i < n; i++) {
		long idx = sim_org_find(org, ids[i]);
		if (idx >= 0 && org->users[idx].team == (uint32_t)t + 1)
			org->users[idx].team = 0;
	}
	pthread_rwlock_unlock(&org->lock);
	result_ok(res, 204);
}

static int division_move(struct sim_org *org, size_t idx, long d)
{
	const struct sim_cat_entry *e = &org->cat.e[SIM_CAT_DIVISION][d];
	json_object *ref = json_object_new_object();

	json_object_object_add(ref, "id", json_object_new_string(e->id));
	json_object_object_add(ref, "name", json_object_new_string(e->name));
	return sim_org_set_member(org, idx, "division", ref, 1) < 0 ? -1 : 0;
}

void sim_groups_division_assign(struct sim_org *org, const char *division_id, json_object *body,
                                struct sim_result *res)
{
	all_or_nothing(org, SIM_CAT_DIVISION, division_id, body, SIM_DIVISION_BATCH, 0,
	               "The object id list", division_move, res);
}

int sim_groups_drop_random(struct sim_org *org, uint64_t *rng)
{
	int rc = -1;

	pthread_rwlock_wrlock(&org->lock);
	for (size_t k = 0, start = org->n ? sim_randn(rng, org->n) : 0; k < org->n; k++) {
		struct sim_user *u = &org->users[(start + k) % org->n];
		if (live(u) && u->nqueues) {
			leave_queue(u, u->queues[sim_randn(rng, u->nqueues)]);
			rc = 0;
			break;
		}
	}
	pthread_rwlock_unlock(&org->lock);
	return rc;
}
