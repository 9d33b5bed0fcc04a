/*
 * partition.c - two-pass scope partitioning with duplicate folding.
 */
#include "partition.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "change.h"
#include "change_input.h"
#include "grow.h"
#include "json_access.h"
#include "uuid.h"

struct held_row {
	unsigned long line;
	char *src; /* the record's own src, or NULL */
	char *raw;
	size_t raw_len;
};

/* The rows of one user that appears more than once. */
struct group {
	char *id;
	char *src;                         /* of the first good row */
	char *key;                         /* of the first good row, or NULL */
	json_object *changes[GCU_NSCOPES]; /* folded so far */
	json_object *expect[GCU_NSCOPES];  /* the same, of what the rows expect */
	struct held_row *rows;
	size_t nrows;
	unsigned long good; /* rows that passed the checks */
	char conflict[320]; /* why the rows disagree, or "" */
	struct group *next;
};

struct dup {
	uint64_t hash;
	unsigned long remaining; /* rows still to come */
	struct group *groups;    /* one per distinct id with that hash */
};

struct run {
	const struct gcu_partition_opts *o;
	struct gcu_partition_stats *st;
	const char *name;
	const char *header; /* CSV header for the rejects file */
	struct gcu_rejects rejects;
	struct dup *dups;
	size_t ndups;
	char *err;
	size_t errlen;
};

/* In-place quicksort of the id hashes: glibc's qsort would take a second
 * array as large as the first for its merge sort, doubling the memory the
 * first pass needs. */
static void sort_u64(uint64_t *a, size_t n)
{
	while (n > 16) {
		uint64_t x = a[0], y = a[n / 2], z = a[n - 1];
		uint64_t pivot =
		    x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
		size_t i = 0, j = n - 1;
		for (;;) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i >= j)
				break;
			uint64_t t = a[i];
			a[i++] = a[j];
			a[j--] = t;
		}
		/* Recurse into the smaller side, loop on the larger: the stack
		 * stays logarithmic. */
		if (j + 1 < n - j - 1) {
			sort_u64(a, j + 1);
			a += j + 1;
			n -= j + 1;
		} else {
			sort_u64(a + j + 1, n - j - 1);
			n = j + 1;
		}
	}
	for (size_t i = 1; i < n; i++) {
		uint64_t v = a[i];
		size_t k = i;
		for (; k > 0 && a[k - 1] > v; k--)
			a[k] = a[k - 1];
		a[k] = v;
	}
}

static struct dup *find_dup(struct run *r, uint64_t h)
{
	size_t lo = 0, hi = r->ndups;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->dups[mid].hash == h)
			return &r->dups[mid];
		if (r->dups[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const char *record_id(json_object *rec)
{
	const char *id = rec ? gcu_json_str(rec, "id") : NULL;
	return gcu_uuid_valid(id) ? id : NULL;
}

/* Pass 1: the hashes of ids seen more than once, with their counts. */
static int find_duplicates(struct run *r, int fd)
{
	struct gcu_change_item item;
	struct gcu_change_reader *cr =
	    gcu_change_reader_open(r->o->cfg, fd, r->name, r->o->format, r->err, r->errlen);
	uint64_t *hashes = NULL;
	size_t n = 0, cap = 0;
	int rc = -1, got;

	if (cr == NULL)
		return -1;
	while ((got = gcu_change_reader_next(cr, &item, r->err, r->errlen)) == 1) {
		const char *id = record_id(item.record);
		int key = gcu_change_reader_key(cr);
		if (key > GCU_KEY_ID) {
			/* Every row would be refused alike: say it once. */
			snprintf(r->err, r->errlen,
			         "%s: the header names users by %s; gcu-partition takes ids: "
			         "gcu-resolve turns them into ids (gcu-resolve %s | gcu-partition)",
			         r->name, gcu_key_name((enum gcu_key_kind)key), r->name);
			json_object_put(item.record);
			rc = -2;
			goto out;
		}
		if (id != NULL) {
			if (gcu_grow(&hashes, &cap, n, sizeof *hashes, 4096) < 0) {
				json_object_put(item.record);
				snprintf(r->err, r->errlen, "out of memory");
				goto out;
			}
			hashes[n++] = gcu_uuid_hash(id);
		}
		json_object_put(item.record);
	}
	if (got < 0) {
		rc = got;
		goto out;
	}
	sort_u64(hashes, n);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && hashes[j] == hashes[i])
			j++;
		if (j - i > 1) {
			struct dup *grown = realloc(r->dups, (r->ndups + 1) * sizeof *grown);
			if (grown == NULL) {
				snprintf(r->err, r->errlen, "out of memory");
				goto out;
			}
			r->dups = grown;
			r->dups[r->ndups++] = (struct dup){hashes[i], j - i, NULL};
		}
		i = j;
	}
	rc = 0;
out:
	free(hashes);
	gcu_change_reader_close(cr);
	return rc;
}

/*
 * Reports one bad record, at src when the record carries one that says
 * "file:line" (an earlier stage's output names the change it came from),
 * else at line of the input. Returns 1 (rejected) or -1 (a write failed).
 */
static int reject(struct run *r, const char *src, unsigned long line, const char *raw, size_t len,
                  const char *why)
{
	const char *colon = src ? strrchr(src, ':') : NULL;
	char name[4096], *end = NULL;

	r->st->rejected++;
	if (colon && colon > src && (size_t)(colon - src) < sizeof name && colon[1] >= '0' &&
	    colon[1] <= '9') {
		unsigned long at = strtoul(colon + 1, &end, 10);
		if (*end == '\0') {
			snprintf(name, sizeof name, "%.*s", (int)(colon - src), src);
			r->o->report(r->o->report_ctx, name, at, why);
			goto copy;
		}
	}
	r->o->report(r->o->report_ctx, r->name, line, why);
copy:
	return gcu_rejects_write(&r->rejects, r->header, raw, len, r->err, r->errlen) < 0 ? -1 : 1;
}

/* Writes the scoped records of one user; takes changes[] and expect[]. */
static int emit(struct run *r, const char *id, const char *src, const char *key,
                json_object *changes[], json_object *expect[])
{
	r->st->accepted++;
	for (int s = 0; s < GCU_NSCOPES; s++) {
		struct ndjson_writer *w = r->o->out[s];
		if (changes[s] == NULL)
			continue;
		json_object *rec =
		    gcu_scoped_record(id, src, key, (enum gcu_scope)s, changes[s], expect[s]);
		changes[s] = expect[s] = NULL;
		if (w == NULL) {
			json_object_put(rec);
			continue;
		}
		int rc = ndjson_write(w, rec);
		json_object_put(rec);
		if (rc < 0) {
			snprintf(r->err, r->errlen, "%s: %s", w->name, strerror(w->error));
			return -1;
		}
		r->st->written[s]++;
	}
	return 0;
}

static void free_group(struct group *g)
{
	while (g) {
		struct group *next = g->next;
		for (int s = 0; s < GCU_NSCOPES; s++) {
			json_object_put(g->changes[s]);
			json_object_put(g->expect[s]);
		}
		for (size_t i = 0; i < g->nrows; i++) {
			free(g->rows[i].raw);
			free(g->rows[i].src);
		}
		free(g->rows);
		free(g->id);
		free(g->src);
		free(g->key);
		free(g);
		g = next;
	}
}

/* The user's last row has been read: write the folded record or reject
 * every row when they disagree. */
static int finish_groups(struct run *r, struct dup *d)
{
	char why[512];
	for (struct group *g = d->groups; g; g = g->next) {
		if (g->conflict[0]) {
			for (size_t i = 0; i < g->nrows; i++) {
				snprintf(why, sizeof why, "user %s: rows disagree on %s", g->id,
				         g->conflict);
				if (reject(r, g->rows[i].src, g->rows[i].line, g->rows[i].raw,
				           g->rows[i].raw_len, why) < 0)
					return -1;
			}
			continue;
		}
		if (g->good > 1)
			r->st->folded += g->good - 1;
		if (g->good > 0 && emit(r, g->id, g->src, g->key, g->changes, g->expect) < 0)
			return -1;
	}
	free_group(d->groups);
	d->groups = NULL;
	return 0;
}

static struct group *group_for(struct dup *d, const char *id)
{
	for (struct group *g = d->groups; g; g = g->next)
		if (strcasecmp(g->id, id) == 0)
			return g;
	struct group *g = calloc(1, sizeof *g);
	if (g == NULL)
		return NULL;
	g->id = strdup(id);
	g->next = d->groups;
	d->groups = g;
	return g;
}

/* Folds the scope's part of a row (from, taken) into what the group
 * holds (*into); returns -1 with the field in err when they disagree. */
static int fold_part(json_object **into, json_object *from, char *err, size_t errlen)
{
	int rc = 0;

	if (from == NULL)
		return 0;
	if (*into == NULL) {
		*into = from;
		return 0;
	}
	rc = gcu_changes_fold(*into, from, err, errlen);
	json_object_put(from);
	return rc;
}

/* Holds one row of a repeated user; folds it when it is good. src is
 * where the row came from, own_src the record's own src (or NULL), key
 * its key (or NULL); changes[] and expect[] are taken. */
static int hold_row(struct run *r, struct dup *d, const char *id, const char *src,
                    const char *own_src, const char *key, const struct gcu_change_item *item,
                    json_object *changes[], json_object *expect[])
{
	struct group *g = group_for(d, id);
	struct held_row *grown;

	if (g == NULL || g->id == NULL)
		goto oom;
	/* A bad row was rejected on its own already; only good rows wait
	 * here, to be written folded or rejected together. */
	if (changes != NULL) {
		grown = realloc(g->rows, (g->nrows + 1) * sizeof *grown);
		if (grown == NULL)
			goto oom;
		g->rows = grown;
		struct held_row *row = &g->rows[g->nrows++];
		row->line = item->line;
		row->raw_len = item->raw_len;
		row->raw = strndup(item->raw, item->raw_len);
		row->src = own_src ? strdup(own_src) : NULL;
		if (row->raw == NULL || (own_src && row->src == NULL))
			goto oom;
	}
	if (changes != NULL && !g->conflict[0]) {
		g->good++;
		if (g->src == NULL && (g->src = strdup(src)) == NULL)
			goto oom;
		if (g->good == 1 && key && (g->key = strdup(key)) == NULL)
			goto oom;
		for (int s = 0; s < GCU_NSCOPES; s++) {
			char field[256];
			int bad = fold_part(&g->changes[s], changes[s], field, sizeof field) < 0;
			changes[s] = NULL;
			if (bad) {
				json_object_put(expect[s]);
			} else if (fold_part(&g->expect[s], expect[s], field + 7,
			                     sizeof field - 7) < 0) {
				memcpy(field, "expect.", 7);
				bad = 1;
			}
			expect[s] = NULL;
			if (bad && !g->conflict[0])
				snprintf(g->conflict, sizeof g->conflict,
				         "'%s' (lines %lu and %lu)", field, g->rows[0].line,
				         item->line);
		}
	}
	for (int s = 0; changes && s < GCU_NSCOPES; s++) {
		json_object_put(changes[s]);
		json_object_put(expect[s]);
		changes[s] = expect[s] = NULL;
	}
	if (--d->remaining == 0)
		return finish_groups(r, d);
	return 0;
oom:
	snprintf(r->err, r->errlen, "out of memory");
	return -1;
}

/* Pass 2: check, split and write. Returns 0, 1 (strict stop) or -1. */
static int split_all(struct run *r, int fd)
{
	struct gcu_change_item item;
	struct gcu_change_reader *cr =
	    gcu_change_reader_open(r->o->cfg, fd, r->name, r->o->format, r->err, r->errlen);
	int got, rc = 0;
	char src[4096], why[512];

	if (cr == NULL)
		return -1;
	while (rc == 0 && (got = gcu_change_reader_next(cr, &item, r->err, r->errlen)) == 1) {
		json_object *changes[GCU_NSCOPES] = {NULL}, *expect[GCU_NSCOPES] = {NULL};
		const char *id = record_id(item.record);
		struct dup *d = id ? find_dup(r, gcu_uuid_hash(id)) : NULL;
		/* A record from gcu-resolve says where its change came from. */
		const char *own_src = item.record ? gcu_json_str(item.record, "src") : NULL;
		const char *key = item.record ? gcu_json_str(item.record, "key") : NULL;
		int bad;

		r->header = gcu_change_reader_header(cr);
		if ((++r->st->records & 0xffff) == 0 && r->o->progress)
			r->o->progress(r->o->report_ctx, r->st->records);
		if (own_src)
			snprintf(src, sizeof src, "%s", own_src);
		else
			snprintf(src, sizeof src, "%s:%lu", r->name, item.line);
		if (item.record == NULL) {
			bad = 1;
			snprintf(why, sizeof why, "%s", item.err);
		} else {
			bad = gcu_change_split(r->o->cfg, item.record, &id, changes, expect, why,
			                       sizeof why) < 0;
			id = record_id(item.record);
		}
		if (d != NULL) {
			if (bad) {
				rc = reject(r, own_src, item.line, item.raw, item.raw_len, why);
				rc = rc < 0 ? -1 : (r->o->strict ? 1 : 0);
			}
			if (rc >= 0 && hold_row(r, d, id, src, own_src, key, &item,
			                        bad ? NULL : changes, expect) < 0)
				rc = -1;
		} else if (bad) {
			rc = reject(r, own_src, item.line, item.raw, item.raw_len, why);
			rc = rc < 0 ? -1 : (r->o->strict ? 1 : 0);
		} else if (emit(r, id, src, key, changes, expect) < 0) {
			rc = -1;
		}
		for (int s = 0; s < GCU_NSCOPES; s++) {
			json_object_put(changes[s]);
			json_object_put(expect[s]);
		}
		json_object_put(item.record);
	}
	if (rc == 0 && got < 0)
		rc = got;
	gcu_change_reader_close(cr);
	return rc;
}

int gcu_partition(const struct gcu_partition_opts *o, int fd, const char *name,
                  struct gcu_partition_stats *st, char *err, size_t errlen)
{
	struct run r = {o, st, name, NULL, {o->rejects, 0}, NULL, 0, err, errlen};
	int owned = -1, rc = -1;

	memset(st, 0, sizeof *st);
	int in = gcu_change_input_rewindable(fd, &owned, err, errlen);
	if (in < 0)
		return -1;
	off_t start = lseek(in, 0, SEEK_CUR);
	rc = find_duplicates(&r, in);
	if (rc < 0)
		goto out;
	rc = -1;
	if (lseek(in, start, SEEK_SET) < 0) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		goto out;
	}
	rc = split_all(&r, in);
out:
	for (size_t i = 0; i < r.ndups; i++)
		free_group(r.dups[i].groups);
	free(r.dups);
	if (owned >= 0)
		close(owned);
	return rc;
}
