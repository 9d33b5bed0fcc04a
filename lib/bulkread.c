/*
 * bulkread.c - gcu-fetch's and gcu-verify's client of the engine
 * (engine.h): batches of ids, the bulk GET that reads one, and the
 * in-order hand-over of what was read.
 *
 * A batch, the engine's job, is a run of consecutive READ records whose
 * distinct ids fit in one bulk GET. The engine hands batches back in input
 * order, so a batch that finishes early simply waits for those before it;
 * it holds only so many (see gcu_bulk_run), which keeps memory flat.
 */
#include "bulkread.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json_access.h"
#include "uuid.h"

#define BULK_MAX      100
#define ID_LEN        37
#define READAHEAD_MIN 8
/* Records of one batch at most (the same ids may repeat). */
#define ITEMS_PER_ID 4
#define EXPAND       "&expand=skills,languages,routingStatus"

struct item {
	json_object *rec;
	char id[ID_LEN];
	int slot; /* index of its id in the batch's ids */
};

struct batch {
	struct gcu_job job;           /* scope: routing when a record of it is */
	size_t n;                     /* items held, at most batch_items */
	json_object *found[BULK_MAX]; /* borrowed from answer, NULL when absent */
	size_t nids;
	json_object *answer; /* the users read, or NULL */
	/* without an answer, once done: what its records get */
	enum gcu_bulk_result result;
	int status;
	char msg[400];
	char ids[BULK_MAX][ID_LEN];
	struct item items[]; /* batch_items of them */
};

/* The reader's side of a run; core first, so that the engine's callbacks
 * find the rest. */
struct reader {
	struct gcu_engine core;
	const struct gcu_bulk_opts *o;
	struct gcu_bulk_stats *st;
	size_t batch_ids, batch_items;
};

int gcu_bulk_path(char *buf, size_t len, const char *const *ids, size_t n, int expand)
{
	size_t pos;
	int k;

	if (n < 1 || n > BULK_MAX)
		return -1;
	k = snprintf(buf, len, "/api/v2/users?");
	if (k < 0 || (size_t)k >= len)
		return -1;
	pos = (size_t)k;
	for (size_t i = 0; i < n; i++) {
		if (!gcu_uuid_valid(ids[i]))
			return -1;
		k = snprintf(buf + pos, len - pos, "id=%s&", ids[i]);
		if (k < 0 || (size_t)k >= len - pos)
			return -1;
		pos += (size_t)k;
	}
	k = snprintf(buf + pos, len - pos, "pageSize=%d&state=any%s", BULK_MAX,
	             expand ? EXPAND : "");
	if (k < 0 || (size_t)k >= len - pos)
		return -1;
	return (int)(pos + (size_t)k);
}

/* --- batches ------------------------------------------------------------ */

static void free_batch(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		json_object_put(b->items[i].rec);
	json_object_put(b->answer);
	free(b);
}

static struct batch *new_batch(struct reader *r)
{
	/* The items are bounded (batch_items): one allocation holds them. */
	struct batch *b = calloc(1, sizeof *b + r->batch_items * sizeof *b->items);
	if (b == NULL)
		return NULL;
	b->job.scope = GCU_SCOPE_NON_ROUTING;
	gcu_engine_add(&r->core, &b->job);
	r->st->batches++;
	return b;
}

static int slot_of(const struct batch *b, const char *id)
{
	for (size_t i = 0; i < b->nids; i++)
		if (strcasecmp(b->ids[i], id) == 0)
			return (int)i;
	return -1;
}

static void add_item(struct reader *r, json_object *rec, const char *id, enum gcu_scope scope)
{
	struct batch *b = (struct batch *)gcu_engine_open_job(&r->core);
	int slot = -1;

	if (b) {
		slot = slot_of(b, id);
		if (b->n >= r->batch_items || (slot < 0 && b->nids >= r->batch_ids)) {
			b->job.sealed = 1;
			b = NULL;
			slot = -1;
		}
	}
	if (b == NULL)
		b = new_batch(r);
	if (b == NULL) {
		gcu_engine_fatal(&r->core, "reading records", ENOMEM);
		return;
	}
	if (slot < 0) {
		slot = (int)b->nids++;
		snprintf(b->ids[slot], ID_LEN, "%s", id);
	}
	struct item *it = &b->items[b->n++];
	it->rec = json_object_get(rec);
	snprintf(it->id, sizeof it->id, "%s", id);
	it->slot = slot;
	if (scope == GCU_SCOPE_ROUTING)
		b->job.scope = GCU_SCOPE_ROUTING;
	r->st->queued++;
}

/* The engine's line callback: the stage says what the record needs. */
static void take_line(struct gcu_engine *core, const char *line, size_t len, unsigned long lineno)
{
	struct reader *r = (struct reader *)core;
	char why[512] = "";
	const char *id = NULL;
	enum gcu_scope scope = GCU_SCOPE_NONE;
	json_object *rec = ndjson_parse_object(line, len, why, sizeof why);

	r->st->records++;
	if (rec == NULL) {
		gcu_engine_reject(core, lineno, why);
		return;
	}
	switch (r->o->accept(r->o->ctx, rec, &id, &scope, why, sizeof why)) {
	case GCU_BULK_SKIP:
		r->st->skipped++;
		break;
	case GCU_BULK_REJECT:
		gcu_engine_reject(core, lineno, why);
		break;
	case GCU_BULK_READ:
		if (!gcu_uuid_valid(id) || scope == GCU_SCOPE_NONE)
			gcu_engine_reject(core, lineno, "missing or non-UUID id, or no scope");
		else
			add_item(r, rec, id, scope);
		break;
	}
	json_object_put(rec);
}

/* --- hand-over ---------------------------------------------------------- */

static void emit(struct reader *r, struct item *it, json_object *user, enum gcu_bulk_result res,
                 int status, const char *message)
{
	struct gcu_bulk_outcome oc = {it->rec, it->id, user, res, status, message};
	char err[512];

	if (r->core.fatal)
		return;
	r->st->results[res]++;
	if (r->o->emit(r->o->ctx, &oc, err, sizeof err) < 0)
		gcu_engine_fatal(&r->core, err, 0);
}

/* The engine hands a batch back, in input order: its records' outcomes
 * go to the stage (unless the run failed), then it is freed. */
static void retire_batch(struct gcu_engine *core, struct gcu_job *j)
{
	struct reader *r = (struct reader *)core;
	struct batch *b = (struct batch *)j;
	char err[512];

	if (b->answer && r->o->user) {
		for (size_t i = 0; i < b->nids && !core->fatal; i++)
			if (b->found[i] && r->o->user(r->o->ctx, b->found[i], err, sizeof err) < 0)
				gcu_engine_fatal(core, err, 0);
	}
	for (size_t i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];
		json_object *user = b->answer ? b->found[it->slot] : NULL;
		if (user)
			emit(r, it, user, GCU_BULK_FOUND, 0, NULL);
		else if (b->answer)
			emit(r, it, NULL, GCU_BULK_NOT_FOUND, 404, "user not found");
		else
			emit(r, it, NULL, b->result, b->status, b->msg);
	}
	free_batch(b);
}

/* The stage's progress line, with the reader's counts. */
static void progress(struct gcu_engine *core)
{
	struct reader *r = (struct reader *)core;

	if (r->o->progress)
		r->o->progress(r->o->ctx, r->st);
}

/* The batch ends without users: its records get res, status and msg. */
static void end_batch(struct batch *b, enum gcu_bulk_result res, long status, const char *msg)
{
	b->job.done = 1;
	b->result = res;
	b->status = (int)status;
	snprintf(b->msg, sizeof b->msg, "%s", msg);
}

/* --- requests and answers ----------------------------------------------- */

static void failed(struct gcu_engine *core, struct gcu_job *j, long status, const char *why)
{
	((struct reader *)core)->st->batches_bad++;
	end_batch((struct batch *)j, GCU_BULK_FAILED, status, why);
}

static void stopped(struct gcu_engine *core, struct gcu_job *j, const struct gcu_engine_stop *s)
{
	(void)core;
	if (s->reason == GCU_STOP_SIGNAL)
		end_batch((struct batch *)j, GCU_BULK_INTERRUPTED, 0,
		          "interrupted before the user was read");
	else
		end_batch((struct batch *)j, GCU_BULK_FAILED, s->status, s->why);
}

static void send_batch(struct gcu_engine *core, struct gcu_job *j, double now)
{
	struct reader *r = (struct reader *)core;
	struct batch *b = (struct batch *)j;
	char path[BULK_MAX * (ID_LEN + 4) + 128];
	const char *ids[BULK_MAX];

	for (size_t i = 0; i < b->nids; i++)
		ids[i] = b->ids[i];
	if (gcu_bulk_path(path, sizeof path, ids, b->nids,
	                  j->scope == GCU_SCOPE_ROUTING || r->o->always_expand) < 0) {
		failed(core, j, 0, "cannot build the request");
		return;
	}
	(void)gcu_engine_submit(core, j, "GET", path, NULL, 0, now);
}

/* A 2xx holds a list of users, or it stands for the 429 a proxy hid.
 * Keeps the list: which asked-for users it holds. */
static int usable(struct gcu_engine *core, struct gcu_job *j, const struct gcu_http_response *resp,
                  char *why, size_t whylen)
{
	struct batch *b = (struct batch *)j;
	json_object *answer = resp->body_len ? json_tokener_parse(resp->body) : NULL;
	json_object *entities = gcu_json_get(answer, "entities");
	(void)core;

	if (!json_object_is_type(entities, json_type_array)) {
		json_object_put(answer);
		snprintf(why, whylen, "without a list of users");
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(entities); i++) {
		json_object *u = json_object_array_get_idx(entities, i);
		const char *id = gcu_json_str(u, "id");
		int slot = id ? slot_of(b, id) : -1;
		if (slot >= 0 && b->found[slot] == NULL)
			b->found[slot] = u;
	}
	b->answer = answer;
	b->job.done = 1;
	return 0;
}

/* The users were read (usable kept them), or an answer that fails the
 * batch. */
static void answered(struct gcu_engine *core, struct gcu_job *j,
                     const struct gcu_http_response *resp, long status, double now)
{
	char msg[400];
	(void)now;

	if (status >= 200 && status < 300) {
		((struct reader *)core)->st->batches_ok++;
		return;
	}
	gcu_http_error_message(resp, msg, sizeof msg);
	failed(core, j, status, msg);
}

/* --- the run ------------------------------------------------------------ */

int gcu_bulk_run(const struct gcu_bulk_opts *o, struct gcu_bulk_stats *st, char *err, size_t errlen)
{
	/* in_order, line, too_long, send, usable, answer, failed, stopped, retire, waiting,
	 * progress */
	static const struct gcu_engine_client reader = {
	    1,      take_line, NULL,         send_batch, usable,  answered,
	    failed, stopped,   retire_batch, NULL,       progress};
	struct reader r = {.o = o, .st = st};
	long fb = o->cfg->fetch_batch;
	/* Enough batches to keep every connection busy, and the next ones
	 * ready as answers come. */
	size_t readahead = o->cfg->concurrency > 0 ? 2 * (size_t)o->cfg->concurrency + 2 : 0;

	memset(st, 0, sizeof *st);
	r.batch_ids = fb < 1 ? 1 : fb > BULK_MAX ? BULK_MAX : (size_t)fb;
	r.batch_items = r.batch_ids * ITEMS_PER_ID;
	if (readahead < READAHEAD_MIN)
		readahead = READAHEAD_MIN;
	return gcu_engine_run(&r.core, &o->net, &reader, readahead, &st->net, err, errlen);
}
