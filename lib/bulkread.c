/*
 * bulkread.c - batches of ids, the loop that reads them under the pacer,
 * and the in-order hand-over of what was read.
 *
 * A batch is a run of consecutive READ records whose distinct ids fit in
 * one bulk GET. It has at most one transfer out at a time, embedded in it.
 * Batches form a list in input order; the head is handed to the stage as
 * soon as it is finished (read, or failed for good), so a batch that
 * finishes early simply waits in the list. The list is never longer than
 * READAHEAD batches.
 */
#include "bulkread.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backoff.h"
#include "change.h"
#include "clock.h"
#include "pacer.h"
#include "uuid.h"

#define BULK_MAX       100
#define ID_LEN         37
#define READAHEAD_MIN  8
#define PROGRESS_EVERY 0.5
/* Longest wait between two looks at signals, progress and input. */
#define MAX_WAIT 0.25
/* Wait while the input has no complete line yet. */
#define INPUT_WAIT 0.01
/* A partial batch goes out when the input has been quiet this long. */
#define IDLE_SEAL 0.5
/* Records of one batch at most (the same ids may repeat). */
#define ITEMS_PER_ID 4
#define EXPAND       "&expand=skills,languages,routingStatus"

enum batch_state { B_WAITING, B_READ, B_FAILED };

struct item {
	json_object *rec;
	char id[ID_LEN];
	int slot; /* index of its id in the batch's ids */
};

struct engine;

struct batch {
	struct engine *e;
	struct item *items;
	size_t n, cap;
	char ids[BULK_MAX][ID_LEN];
	json_object *found[BULK_MAX]; /* borrowed from answer, NULL when absent */
	size_t nids;
	int routing;
	int sealed, busy;
	enum batch_state state;
	json_object *answer;
	int status;
	char msg[400];
	int attempts, rate_tries, server_tries;
	int token_gen;
	uint64_t seq;
	double not_before;
	struct batch *next;
};

struct engine {
	const struct gcu_bulk_opts *o;
	const struct gcu_config *cfg;
	struct gcu_bulk_stats *st;
	struct gcu_pacer pacer;
	struct batch *head, *tail;
	size_t nbatches, readahead, batch_ids, batch_items;
	int inflight;
	int eof;
	int fatal;
	int token_gen;
	int refreshed, ok_since_auth;
	int auth_status;
	uint64_t rng;
	double last_line, last_progress;
	char *err;
	size_t errlen;
};

static void set_fatal(struct engine *e, const char *what, int errnum)
{
	if (!e->fatal)
		snprintf(e->err, e->errlen, "%s: %s", what, strerror(errnum));
	e->fatal = 1;
}

static void notice(struct engine *e, const char *msg)
{
	if (e->o->notice)
		e->o->notice(e->o->ctx, msg);
}

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
	free(b->items);
	json_object_put(b->answer);
	free(b);
}

static struct batch *new_batch(struct engine *e)
{
	struct batch *b = calloc(1, sizeof *b);
	if (b == NULL)
		return NULL;
	b->e = e;
	if (e->tail) {
		e->tail->sealed = 1;
		e->tail->next = b;
	} else {
		e->head = b;
	}
	e->tail = b;
	e->nbatches++;
	e->st->batches++;
	return b;
}

static int slot_of(const struct batch *b, const char *id)
{
	for (size_t i = 0; i < b->nids; i++)
		if (strcasecmp(b->ids[i], id) == 0)
			return (int)i;
	return -1;
}

static void add_item(struct engine *e, json_object *rec, const char *id, enum gcu_scope scope)
{
	struct batch *b = e->tail;
	int slot = -1;

	if (b && !b->sealed) {
		slot = slot_of(b, id);
		if (b->n >= e->batch_items || (slot < 0 && b->nids >= e->batch_ids)) {
			b->sealed = 1;
			slot = -1;
		}
	}
	if (b == NULL || b->sealed)
		b = new_batch(e);
	if (b == NULL)
		goto oom;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct item *grown = realloc(b->items, cap * sizeof *grown);
		if (grown == NULL)
			goto oom;
		b->items = grown;
		b->cap = cap;
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
		b->routing = 1;
	e->st->queued++;
	return;
oom:
	set_fatal(e, "reading records", ENOMEM);
}

/* --- input -------------------------------------------------------------- */

static void reject(struct engine *e, unsigned long lineno, const char *why)
{
	e->st->rejected++;
	e->o->report(e->o->ctx, e->o->in->name, lineno, why);
}

static void take_line(struct engine *e, const char *line, size_t len, unsigned long lineno)
{
	char why[512] = "";
	const char *id = NULL;
	enum gcu_scope scope = GCU_SCOPE_NONE;
	json_object *rec = ndjson_parse_object(line, len, why, sizeof why);

	e->st->records++;
	if (rec == NULL) {
		reject(e, lineno, why);
		return;
	}
	switch (e->o->accept(e->o->ctx, rec, &id, &scope, why, sizeof why)) {
	case GCU_BULK_SKIP:
		e->st->skipped++;
		break;
	case GCU_BULK_REJECT:
		reject(e, lineno, why);
		break;
	case GCU_BULK_READ:
		if (!gcu_uuid_valid(id) || scope == GCU_SCOPE_NONE)
			reject(e, lineno, "missing or non-UUID id, or no scope");
		else
			add_item(e, rec, id, scope);
		break;
	}
	json_object_put(rec);
}

/* Reads input until the read-ahead is full or no complete line is there. */
static void fill(struct engine *e, double now)
{
	struct ndjson_reader *in = e->o->in;
	char why[128];

	while (!e->eof && !e->fatal && e->nbatches < e->readahead) {
		switch (ndjson_read(in)) {
		case NDJSON_AGAIN:
			/* A slow producer: do not hold a partial batch forever. */
			if (e->tail && !e->tail->sealed && now - e->last_line >= IDLE_SEAL)
				e->tail->sealed = 1;
			return;
		case NDJSON_EOF:
			e->eof = 1;
			if (e->tail)
				e->tail->sealed = 1;
			return;
		case NDJSON_IO_ERROR:
			set_fatal(e, in->name, errno);
			return;
		case NDJSON_TOO_LONG:
			e->st->records++;
			snprintf(why, sizeof why, "line longer than %zu bytes", in->max_line);
			reject(e, in->lineno, why);
			break;
		case NDJSON_LINE:
			e->last_line = now;
			if (in->line_len > 0)
				take_line(e, in->line, in->line_len, in->lineno);
			break;
		}
	}
}

/* --- hand-over ---------------------------------------------------------- */

static void emit(struct engine *e, struct item *it, json_object *user, enum gcu_bulk_result r,
                 int status, const char *message)
{
	struct gcu_bulk_outcome oc = {it->rec, it->id, user, r, status, message};

	if (e->fatal)
		return;
	e->st->results[r]++;
	if (e->o->emit(e->o->ctx, &oc, e->err, e->errlen) < 0)
		e->fatal = 1;
}

/* Hands a batch's outcomes over; a batch not read counts as r. */
static void hand_over(struct engine *e, struct batch *b, enum gcu_bulk_result r, int status,
                      const char *message)
{
	if (b->state == B_READ && e->o->user) {
		for (size_t i = 0; i < b->nids && !e->fatal; i++)
			if (b->found[i] &&
			    e->o->user(e->o->ctx, b->found[i], e->err, e->errlen) < 0)
				e->fatal = 1;
	}
	for (size_t i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];
		if (b->state == B_READ) {
			json_object *user = b->found[it->slot];
			if (user)
				emit(e, it, user, GCU_BULK_FOUND, 0, NULL);
			else
				emit(e, it, NULL, GCU_BULK_NOT_FOUND, 404, "user not found");
		} else if (b->state == B_FAILED) {
			emit(e, it, NULL, GCU_BULK_FAILED, b->status, b->msg);
		} else {
			emit(e, it, NULL, r, status, message);
		}
	}
}

static void pop_head(struct engine *e)
{
	struct batch *b = e->head;
	e->head = b->next;
	if (e->head == NULL)
		e->tail = NULL;
	e->nbatches--;
	free_batch(b);
}

/* Hands over the finished batches at the head of the list. */
static void flush(struct engine *e)
{
	while (e->head && e->head->state != B_WAITING && !e->fatal) {
		hand_over(e, e->head, GCU_BULK_FAILED, 0, NULL);
		pop_head(e);
	}
}

/* --- answers ------------------------------------------------------------ */

static void on_done(struct gcu_http *h, void *user, const struct gcu_http_response *resp);

static void fail_batch(struct engine *e, struct batch *b, int status, const char *msg,
                       int unavailable)
{
	b->state = B_FAILED;
	b->status = status;
	snprintf(b->msg, sizeof b->msg, "%s", msg);
	e->st->batches_bad++;
	if (unavailable)
		e->st->unavailable++;
}

static void send_batch(struct engine *e, struct batch *b, double now)
{
	char path[BULK_MAX * (ID_LEN + 4) + 128];
	const char *ids[BULK_MAX];

	for (size_t i = 0; i < b->nids; i++)
		ids[i] = b->ids[i];
	if (gcu_bulk_path(path, sizeof path, ids, b->nids, b->routing || e->o->always_expand) < 0) {
		fail_batch(e, b, 0, "cannot build the request", 0);
		return;
	}
	b->token_gen = e->token_gen;
	if (gcu_http_submit(e->o->http, "GET", path, NULL, 0, on_done, b) < 0) {
		fail_batch(e, b, 0, strerror(errno), 0);
		return;
	}
	if (b->attempts > 0)
		e->st->retries++;
	b->attempts++;
	b->seq = gcu_pacer_sent(&e->pacer, now);
	b->busy = 1;
	e->inflight++;
	e->st->sent++;
}

/* Sends what may go now. Returns the time worth looking again (0: only
 * an answer or input can change things). */
static double dispatch(struct engine *e, double now)
{
	double wake = 0;

	for (struct batch *b = e->head; b && !e->fatal; b = b->next) {
		double w = 0;
		if (!b->sealed || b->busy || b->state != B_WAITING)
			continue;
		if (b->not_before > now) {
			if (wake == 0 || b->not_before < wake)
				wake = b->not_before;
			continue;
		}
		enum gcu_scope scope = b->routing ? GCU_SCOPE_ROUTING : GCU_SCOPE_NON_ROUTING;
		if (gcu_pacer_check(&e->pacer, scope, e->inflight, now, &w) != GCU_PACE_GO) {
			if (w > 0 && (wake == 0 || w < wake))
				wake = w;
			break;
		}
		send_batch(e, b, now);
	}
	return wake;
}

/* A 401: refresh the token once; a second 401 on a fresh token, or a 403,
 * is final. */
static void unauthorised(struct engine *e, struct batch *b, long status)
{
	char why[256];

	if (status == 401 && b->token_gen < e->token_gen)
		return; /* sent with the old token; goes again with the new one */
	if (status == 401 && e->o->auth && !(e->refreshed && !e->ok_since_auth)) {
		if (gcu_auth_refresh(e->o->auth, why, sizeof why) == 0 &&
		    gcu_http_set_bearer(e->o->http, gcu_auth_bearer(e->o->auth)) == 0) {
			e->token_gen++;
			e->refreshed = 1;
			e->ok_since_auth = 0;
			e->st->refreshes++;
			return;
		}
		notice(e, why);
	}
	e->st->auth_failed = 1;
	e->auth_status = (int)status;
	fail_batch(e, b, (int)status,
	           status == 403 ? "HTTP 403: forbidden" : "HTTP 401: not authorised", 0);
}

/* Keeps a read answer: which asked-for users it holds. */
static int take_answer(struct batch *b, json_object *answer)
{
	json_object *entities = gcu_json_get(answer, "entities");

	if (!json_object_is_type(entities, json_type_array))
		return -1;
	for (size_t i = 0; i < json_object_array_length(entities); i++) {
		json_object *u = json_object_array_get_idx(entities, i);
		const char *id = gcu_json_str(u, "id");
		int slot = id ? slot_of(b, id) : -1;
		if (slot >= 0 && b->found[slot] == NULL)
			b->found[slot] = u;
	}
	b->answer = answer;
	b->state = B_READ;
	return 0;
}

static void answered(struct engine *e, struct batch *b, const struct gcu_http_response *resp,
                     json_object *answer, double now)
{
	long status = resp->transport_error ? 0 : resp->status;
	char msg[400];

	if (status >= 200 && status < 300 && answer) {
		e->ok_since_auth = 1;
		e->st->batches_ok++;
		return;
	}
	if (status >= 200 && status < 300) {
		/* A 200 without users: a proxy answered for a throttled platform. */
		e->st->http_429++;
		if (++b->rate_tries >= e->cfg->retry_rate_limit.attempts) {
			snprintf(msg, sizeof msg,
			         "HTTP %ld without a list of users, %d times (a proxy answering "
			         "for the platform?)",
			         status, b->rate_tries);
			fail_batch(e, b, (int)status, msg, 1);
		}
		return;
	}
	if (status == 401 || status == 403) {
		unauthorised(e, b, status);
		return;
	}
	if (status == 429) {
		e->st->http_429++;
		if (++b->rate_tries >= e->cfg->retry_rate_limit.attempts) {
			snprintf(msg, sizeof msg, "rate limited %d times in a row", b->rate_tries);
			fail_batch(e, b, 429, msg, 1);
		}
		return; /* the pacer holds all dispatch for the pause */
	}
	if (status == 0 || status >= 500) {
		if (++b->server_tries >= e->cfg->retry_server.attempts) {
			gcu_http_error_message(resp, msg, sizeof msg);
			fail_batch(e, b, (int)status, msg, 1);
			return;
		}
		b->not_before = now + gcu_backoff(&e->cfg->retry_server, b->server_tries, &e->rng);
		return;
	}
	gcu_http_error_message(resp, msg, sizeof msg);
	fail_batch(e, b, (int)status, msg, 0);
}

static void on_done(struct gcu_http *h, void *user, const struct gcu_http_response *resp)
{
	struct batch *b = user;
	struct engine *e = b->e;
	double now = gcu_now();
	long status = resp->transport_error ? 0 : resp->status;
	json_object *answer = NULL;
	(void)h;

	e->inflight--;
	b->busy = 0;
	if (status >= 200 && status < 300) {
		answer = resp->body_len ? json_tokener_parse(resp->body) : NULL;
		if (take_answer(b, answer) < 0) {
			json_object_put(answer);
			answer = NULL;
		}
	}
	/* A 200 that holds no users is treated as the 429 it stands for. */
	long pace_status = (status >= 200 && status < 300 && answer == NULL) ? 429 : status;
	if (gcu_pacer_feed(&e->pacer, e->cfg, pace_status, &resp->rate, b->seq, now,
	                   b->rate_tries + 1, &e->rng, e->o->notice, e->o->ctx))
		e->st->capped++;
	answered(e, b, resp, answer, now);
}

/* --- the loop ----------------------------------------------------------- */

/* After a stop: every batch gets its outcomes, then every line unread. */
static void finish_all(struct engine *e, enum gcu_bulk_result r, int status, const char *why)
{
	struct ndjson_reader *in = e->o->in;
	int fl = fcntl(in->fd, F_GETFL);

	for (;;) {
		while (e->head && !e->fatal) {
			hand_over(e, e->head, r, status, why);
			pop_head(e);
		}
		if (e->eof || e->fatal)
			break;
		if (fl >= 0 && (fl & O_NONBLOCK))
			(void)fcntl(in->fd, F_SETFL, fl & ~O_NONBLOCK);
		fl = 0;
		fill(e, gcu_now());
	}
}

static void update_stats(struct engine *e, double now)
{
	e->st->elapsed = now - e->st->started;
	e->st->blind = e->pacer.blind;
}

int gcu_bulk_run(const struct gcu_bulk_opts *o, struct gcu_bulk_stats *st, char *err, size_t errlen)
{
	struct engine e = {0};
	int fl = fcntl(o->in->fd, F_GETFL);
	int rc = 0;

	memset(st, 0, sizeof *st);
	e.o = o;
	e.cfg = o->cfg;
	e.st = st;
	e.err = err;
	e.errlen = errlen;
	e.rng = o->seed ? o->seed : gcu_rand_seed();
	e.batch_ids = o->cfg->fetch_batch < 1          ? 1
	              : o->cfg->fetch_batch > BULK_MAX ? BULK_MAX
	                                               : (size_t)o->cfg->fetch_batch;
	e.batch_items = e.batch_ids * ITEMS_PER_ID;
	e.readahead = o->cfg->concurrency > 0 ? 2 * (size_t)o->cfg->concurrency + 2 : 0;
	if (e.readahead < READAHEAD_MIN)
		e.readahead = READAHEAD_MIN;
	if (gcu_pacer_init(&e.pacer, o->cfg) < 0) {
		snprintf(err, errlen, "pacer: %s", strerror(ENOMEM));
		return -1;
	}
	st->started = e.last_progress = e.last_line = gcu_now();
	/* Reading must never stall the loop while answers wait. */
	if (fl >= 0)
		(void)fcntl(o->in->fd, F_SETFL, fl | O_NONBLOCK);

	for (;;) {
		double now = gcu_now(), wake = 0;
		int stopping = (o->stop && *o->stop) || st->auth_failed || e.fatal;

		if (!stopping)
			fill(&e, now);
		flush(&e);
		if (stopping && (e.inflight == 0 || (o->stop && *o->stop >= 2) || e.fatal))
			break;
		if (!stopping)
			wake = dispatch(&e, now);
		if (e.eof && e.head == NULL && e.inflight == 0)
			break;

		double wait = MAX_WAIT;
		if (wake > 0 && wake - now < wait)
			wait = fmax(0, wake - now);
		if (!e.eof && e.nbatches < e.readahead && wait > INPUT_WAIT)
			wait = INPUT_WAIT; /* input may arrive; look again soon */
		if (gcu_http_run(o->http, wait) < 0) {
			set_fatal(&e, "HTTP loop", EIO);
			break;
		}
		double after = gcu_now();
		update_stats(&e, after);
		if (o->progress && after - e.last_progress >= PROGRESS_EVERY) {
			e.last_progress = after;
			o->progress(o->ctx, st);
		}
	}

	if (!e.fatal && st->auth_failed) {
		finish_all(&e, GCU_BULK_FAILED, e.auth_status,
		           "stopped: the platform refused the credentials");
		rc = 77;
	} else if (!e.fatal && o->stop && *o->stop) {
		st->interrupted = 1;
		finish_all(&e, GCU_BULK_INTERRUPTED, 0, "interrupted before the user was read");
		rc = 75;
	}
	update_stats(&e, gcu_now());
	if (fl >= 0)
		(void)fcntl(o->in->fd, F_SETFL, fl);
	/* After an abort the HTTP loop may still hold transfers that point
	 * into busy batches; the caller frees the loop without running it
	 * again, so freeing the batches here is safe. */
	while (e.head)
		pop_head(&e);
	gcu_pacer_free(&e.pacer);
	return e.fatal ? -1 : rc;
}
