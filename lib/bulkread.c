/*
 * bulkread.c - gcu-fetch's and gcu-verify's client of the engine
 * (engine.h): batches of ids, the bulk GET that reads one, and the
 * in-order hand-over of what was read.
 *
 * A batch, the engine's job, is a run of consecutive READ records whose
 * distinct ids fit in one bulk GET. A queue's member pages are a job of
 * their own, added when a record first names the queue; adding a job
 * seals the batch before it, so that batch goes on taking records
 * (r->filling) and is held until the queues added after it are read.
 * The engine hands batches back in input order, so a batch that finishes
 * early simply waits for those before it; it holds only so many (see
 * gcu_bulk_run), which keeps memory flat.
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
#define EXPAND       "&expand=skills,languages,routingStatus,team"
/* The largest page of a queue's members. */
#define MEMBER_PAGE 100
/* Queue jobs held beside the batches (see gcu_bulk_run). */
#define QUEUE_JOBS_AHEAD 64

/* A job of the reader: a batch of users, or the member pages of a queue. */
struct rjob {
	struct gcu_job job;
	int is_queue;
};

struct item {
	json_object *rec;
	json_object *queues; /* the queues it needs read (keys), borrowed from rec, or NULL */
	char id[ID_LEN];
	int slot; /* index of its id in the batch's ids */
};

/* What is known of a queue the input names: read, or why not. Kept for
 * the whole run: every record naming it needs it. */
struct queue {
	char id[ID_LEN];
	unsigned long seq; /* when its job joined the engine (reader's count) */
	int done;          /* its job is over: read, or failed */
	int read;          /* every member page was read */
	enum gcu_bulk_result result;
	int status;
	char msg[400];
};

/* The job that reads a queue's member pages, one after another: page 1,
 * then the last page down to page 2. Members that leave meanwhile shift
 * the later ones down a page, into pages not read yet, so that none is
 * missed; only page 1 can lose one that way, and it is read again when the
 * total changed while the others were read. */
struct qjob {
	struct rjob r;
	size_t q; /* index in the reader's queues */
	long page, pages;
	long first_total; /* the total the first page gave */
	int changed;      /* a later page gave another total */
	int again;        /* page 1 is being read again */
};

struct batch {
	struct rjob r;     /* job.scope: routing when a record of it is */
	unsigned long seq; /* when it joined the engine (reader's count) */
	size_t *waits;     /* the queues read after it that it waits for (job.held) */
	size_t nwaits;
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
	struct queue *queues; /* every queue the input named, in order */
	size_t nqueues, capqueues;
	unsigned long seq;      /* jobs added so far */
	struct batch *filling;  /* a batch still taking records though sealed, while it waits
	                           for queues read after it; or NULL */
	json_object *queue_at;  /* queue id (lower case) -> index in queues */
	json_object *member_of; /* user id (lower case) -> [{"id": queue}…] it is in */
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

const char *gcu_bulk_queue_words(const struct gcu_bulk_stats *st, char *buf, size_t len)
{
	if (st->queues == 0)
		snprintf(buf, len, "%s", "");
	else
		snprintf(buf, len, ", %lu pages of %lu queue%s members", st->queue_pages,
		         st->queues, st->queues == 1 ? "'s" : "s'");
	return buf;
}

/* --- batches ------------------------------------------------------------ */

static void free_batch(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		json_object_put(b->items[i].rec);
	json_object_put(b->answer);
	free(b->waits);
	free(b);
}

static struct batch *new_batch(struct reader *r)
{
	/* The items are bounded (batch_items): one allocation holds them. */
	struct batch *b = calloc(1, sizeof *b + r->batch_items * sizeof *b->items);
	if (b == NULL)
		return NULL;
	b->r.job.scope = GCU_SCOPE_NON_ROUTING;
	b->r.job.done = 1; /* nothing to read until a user joins it */
	b->seq = ++r->seq;
	r->filling = NULL;
	gcu_engine_add(&r->core, &b->r.job);
	r->st->batches++;
	return b;
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* The queue's index, its reading started (a job ahead of the batch that
 * needs it) the first time the input names it; -1 when memory ran out. */
static long queue_for(struct reader *r, const char *id)
{
	char key[ID_LEN];
	json_object *at = NULL;

	snprintf(key, sizeof key, "%s", id);
	lower(key);
	if (json_object_object_get_ex(r->queue_at, key, &at))
		return (long)json_object_get_int64(at);
	if (r->nqueues == r->capqueues) {
		size_t cap = r->capqueues ? 2 * r->capqueues : 16;
		struct queue *grown = realloc(r->queues, cap * sizeof *grown);
		if (grown == NULL)
			return -1;
		r->queues = grown;
		r->capqueues = cap;
	}
	struct qjob *j = calloc(1, sizeof *j);
	if (j == NULL)
		return -1;
	struct queue *q = &r->queues[r->nqueues];
	memset(q, 0, sizeof *q);
	snprintf(q->id, sizeof q->id, "%s", key);
	json_object_object_add(r->queue_at, key, json_object_new_int64((int64_t)r->nqueues));
	j->r.is_queue = 1;
	j->r.job.scope = GCU_SCOPE_ROUTING;
	j->r.job.sealed = 1;
	j->q = r->nqueues++;
	j->page = 1;
	q->seq = ++r->seq;
	r->st->queues++;
	/* Adding it seals the open batch: that batch still takes records,
	 * and waits for the queues read after it (see add_item). */
	struct batch *open = (struct batch *)gcu_engine_open_job(&r->core);
	if (open && !open->r.is_queue)
		r->filling = open;
	gcu_engine_add(&r->core, &j->r.job);
	return (long)j->q;
}

/* Batch b waits for queue index qi, read after it. Returns 0, or -1 when
 * memory ran out. */
static int wait_for(struct reader *r, struct batch *b, size_t qi)
{
	for (size_t i = 0; i < b->nwaits; i++)
		if (b->waits[i] == qi)
			return 0;
	size_t *grown = realloc(b->waits, (b->nwaits + 1) * sizeof *grown);
	if (grown == NULL)
		return -1;
	b->waits = grown;
	b->waits[b->nwaits++] = qi;
	b->r.job.held++;
	b->r.job.done = 0; /* not to leave before the queue is read */
	r->filling = b;
	return 0;
}

/* Queue index qi is read (or will never be): the batches that waited for
 * it may go once they wait for nothing else, and take no more records. */
static void queue_over(struct reader *r, size_t qi)
{
	r->queues[qi].done = 1;
	for (struct gcu_job *p = r->core.head; p; p = p->next) {
		struct batch *b = (struct batch *)p;
		if (b->r.is_queue || p->held == 0)
			continue;
		for (size_t i = 0; i < b->nwaits; i++)
			if (b->waits[i] == qi) {
				b->waits[i] = b->waits[--b->nwaits];
				if (--p->held > 0)
					break;
				if (r->filling == b)
					r->filling = NULL;
				p->done = b->nids == 0; /* else its users are to be read */
				break;
			}
	}
}

static int slot_of(const struct batch *b, const char *id)
{
	for (size_t i = 0; i < b->nids; i++)
		if (strcasecmp(b->ids[i], id) == 0)
			return (int)i;
	return -1;
}

/* Adds a record to the batch still taking records, or to a new one.
 * only: it needs the queues alone, no read of the user. */
static void add_item(struct reader *r, json_object *rec, const char *id, enum gcu_scope scope,
                     json_object *queues, int only)
{
	struct batch *b;
	int slot = -1;

	/* The queues it names are read once; a queue named for the first time
	 * starts its job now. */
	if (queues != NULL) {
		json_object_object_foreach(queues, qid, want)
		{
			(void)want;
			if (gcu_uuid_valid(qid) && queue_for(r, qid) < 0)
				goto oom;
		}
	}
	b = r->filling;
	if (b == NULL) {
		b = (struct batch *)gcu_engine_open_job(&r->core);
		if (b && b->r.is_queue)
			b = NULL;
	}
	if (b) {
		slot = only ? 0 : slot_of(b, id);
		if (b->n >= r->batch_items || (slot < 0 && b->nids >= r->batch_ids)) {
			b->r.job.sealed = 1;
			b = NULL;
			slot = -1;
		}
	}
	if (b == NULL)
		b = new_batch(r);
	if (b == NULL)
		goto oom;
	/* Outcomes go out in input order: a queue whose job came before the
	 * batch is read by the time the batch leaves; one read after it holds
	 * the batch back until it is. */
	if (queues != NULL) {
		json_object_object_foreach(queues, qid, want)
		{
			(void)want;
			long qi = gcu_uuid_valid(qid) ? queue_for(r, qid) : -1;
			if (qi >= 0 && !r->queues[qi].done && r->queues[qi].seq > b->seq &&
			    wait_for(r, b, (size_t)qi) < 0)
				goto oom;
		}
	}
	if (only) {
		slot = -1;
	} else if (slot < 0) {
		slot = (int)b->nids++;
		snprintf(b->ids[slot], ID_LEN, "%s", id);
		b->r.job.done = 0; /* a user to read */
	}
	struct item *it = &b->items[b->n++];
	it->rec = json_object_get(rec);
	it->queues = queues;
	snprintf(it->id, sizeof it->id, "%s", id);
	it->slot = slot;
	if (scope == GCU_SCOPE_ROUTING)
		b->r.job.scope = GCU_SCOPE_ROUTING;
	r->st->queued++;
	return;
oom:
	gcu_engine_fatal(&r->core, "reading records", ENOMEM);
}

/* The engine's line callback: the stage says what the record needs. */
static void take_line(struct gcu_engine *core, const char *line, size_t len, unsigned long lineno)
{
	struct reader *r = (struct reader *)core;
	char why[512] = "";
	const char *id = NULL;
	enum gcu_scope scope = GCU_SCOPE_NONE;
	json_object *queues = NULL;
	json_object *rec = ndjson_parse_object(line, len, why, sizeof why);

	r->st->records++;
	if (rec == NULL) {
		gcu_engine_reject(core, lineno, why);
		return;
	}
	enum gcu_bulk_take take =
	    r->o->accept(r->o->ctx, rec, &id, &scope, &queues, why, sizeof why);
	switch (take) {
	case GCU_BULK_SKIP:
		r->st->skipped++;
		break;
	case GCU_BULK_REJECT:
		gcu_engine_reject(core, lineno, why);
		break;
	case GCU_BULK_READ:
	case GCU_BULK_QUEUES:
		if (!json_object_is_type(queues, json_type_object))
			queues = NULL;
		if (!gcu_uuid_valid(id) || scope == GCU_SCOPE_NONE)
			gcu_engine_reject(core, lineno, "missing or non-UUID id, or no scope");
		else
			add_item(r, rec, id, scope, queues,
			         queues != NULL && take == GCU_BULK_QUEUES);
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

/* A queue item needs that could not be read, or NULL. */
static const struct queue *unread_queue(struct reader *r, const struct item *it)
{
	json_object_object_foreach(it->queues, qid, want)
	{
		char key[ID_LEN];
		json_object *at = NULL;
		(void)want;
		snprintf(key, sizeof key, "%s", qid);
		lower(key);
		if (json_object_object_get_ex(r->queue_at, key, &at) &&
		    !r->queues[json_object_get_int64(at)].read)
			return &r->queues[json_object_get_int64(at)];
	}
	return NULL;
}

/* Lists under "queues" the queues read that user is in (userdoc.h), once
 * any queue was read. */
static void add_memberships(struct reader *r, json_object *user)
{
	char key[ID_LEN];
	json_object *list = NULL;
	const char *id = gcu_json_str(user, "id");

	if (r->nqueues == 0 || id == NULL)
		return;
	snprintf(key, sizeof key, "%s", id);
	lower(key);
	json_object_object_get_ex(r->member_of, key, &list);
	json_object_object_add(user, "queues",
	                       list ? json_object_get(list) : json_object_new_array());
}

/* The engine hands a batch back, in input order: its records' outcomes
 * go to the stage (unless the run failed), then it is freed. The queues
 * its records need were read by jobs ahead of it, which have left. */
static void retire_batch(struct gcu_engine *core, struct gcu_job *j)
{
	struct reader *r = (struct reader *)core;
	struct batch *b = (struct batch *)j;
	char err[512], msg[480];

	if (((struct rjob *)j)->is_queue) {
		free(j);
		return;
	}
	for (size_t i = 0; b->answer && i < b->nids; i++)
		if (b->found[i])
			add_memberships(r, b->found[i]);
	if (b->answer && r->o->user) {
		for (size_t i = 0; i < b->nids && !core->fatal; i++)
			if (b->found[i] && r->o->user(r->o->ctx, b->found[i], err, sizeof err) < 0)
				gcu_engine_fatal(core, err, 0);
	}
	for (size_t i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];
		json_object *user = b->answer && it->slot >= 0 ? b->found[it->slot] : NULL;
		const struct queue *q = it->queues ? unread_queue(r, it) : NULL;
		if (q != NULL) {
			snprintf(msg, sizeof msg, "queue %s: %s", q->id, q->msg);
			emit(r, it, NULL, q->result, q->status, msg);
		} else if (it->slot < 0) {
			/* Its queues alone: the user as the member pages show it. */
			json_object *only = json_object_new_object();
			json_object_object_add(only, "id", json_object_new_string(it->id));
			add_memberships(r, only);
			emit(r, it, only, GCU_BULK_FOUND, 0, NULL);
			json_object_put(only);
		} else if (user)
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

/* The job ends without users (or, a queue job, without its members): its
 * records get res, status and msg. */
static void end_job(struct reader *r, struct gcu_job *j, enum gcu_bulk_result res, long status,
                    const char *msg)
{
	j->done = 1;
	if (((struct rjob *)j)->is_queue) {
		struct queue *q = &r->queues[((struct qjob *)j)->q];
		q->result = res;
		q->status = (int)status;
		snprintf(q->msg, sizeof q->msg, "%s", msg);
		queue_over(r, ((struct qjob *)j)->q);
		return;
	}
	struct batch *b = (struct batch *)j;
	b->result = res;
	b->status = (int)status;
	snprintf(b->msg, sizeof b->msg, "%s", msg);
}

/* --- requests and answers ----------------------------------------------- */

static void failed(struct gcu_engine *core, struct gcu_job *j, long status, const char *why)
{
	struct reader *r = (struct reader *)core;
	if (!((struct rjob *)j)->is_queue)
		r->st->batches_bad++;
	end_job(r, j, GCU_BULK_FAILED, status, why);
}

static void stopped(struct gcu_engine *core, struct gcu_job *j, const struct gcu_engine_stop *s)
{
	struct reader *r = (struct reader *)core;
	if (s->reason == GCU_STOP_SIGNAL)
		end_job(r, j, GCU_BULK_INTERRUPTED, 0, "interrupted before the user was read");
	else
		end_job(r, j, GCU_BULK_FAILED, s->status, s->why);
}

/* GET one page of a queue's members. */
static void send_page(struct reader *r, struct qjob *j, double now)
{
	char path[160];
	const char *id = r->queues[j->q].id;

	if (!gcu_uuid_valid(id) ||
	    snprintf(path, sizeof path,
	             "/api/v2/routing/queues/%s/members?pageSize=%d&pageNumber=%ld", id,
	             MEMBER_PAGE, j->page) >= (int)sizeof path) {
		failed(&r->core, &j->r.job, 0, "cannot build the request");
		return;
	}
	(void)gcu_engine_submit(&r->core, &j->r.job, "GET", path, NULL, 0, now);
}

/* Notes that user is in queue q (once). */
static int note_member(struct reader *r, const struct queue *q, const char *user)
{
	char key[ID_LEN];
	json_object *list = NULL;

	snprintf(key, sizeof key, "%s", user);
	lower(key);
	if (!json_object_object_get_ex(r->member_of, key, &list)) {
		list = json_object_new_array();
		if (list == NULL)
			return -1;
		json_object_object_add(r->member_of, key, list);
	}
	for (size_t i = 0; i < json_object_array_length(list); i++)
		if (strcmp(gcu_json_str(json_object_array_get_idx(list, i), "id"), q->id) == 0)
			return 0;
	json_object *e = json_object_new_object();
	json_object_object_add(e, "id", json_object_new_string(q->id));
	return json_object_array_add(list, e);
}

/* A page of members was read: note them and choose the next page. */
static void page_read(struct reader *r, struct qjob *j, json_object *answer)
{
	struct queue *q = &r->queues[j->q];
	json_object *entities = gcu_json_get(answer, "entities");
	json_object *pc = gcu_json_get(answer, "pageCount"), *tot = gcu_json_get(answer, "total");
	size_t n = json_object_array_length(entities);
	long total =
	    json_object_is_type(tot, json_type_int) ? (long)json_object_get_int64(tot) : -1;

	r->st->queue_pages++;
	for (size_t i = 0; i < n; i++) {
		json_object *m = json_object_array_get_idx(entities, i);
		const char *user = gcu_json_str(m, "id");
		if (user == NULL)
			user = gcu_json_str(gcu_json_get(m, "user"), "id");
		if (gcu_uuid_valid(user) && note_member(r, q, user) < 0) {
			gcu_engine_fatal(&r->core, "reading queue members", ENOMEM);
			return;
		}
	}
	gcu_job_restart(&j->r.job);
	if (j->page == 1 && !j->again) {
		j->first_total = total;
		j->pages =
		    json_object_is_type(pc, json_type_int) ? (long)json_object_get_int64(pc) : 0;
		if (j->pages > 1) {
			j->page = j->pages; /* then down to page 2 */
			return;
		}
		if (j->pages == 0 && n == MEMBER_PAGE) {
			j->page = 2; /* no page count: on until a short page */
			return;
		}
	} else if (j->pages == 0 && !j->again) {
		if (n == MEMBER_PAGE) {
			j->page++;
			return;
		}
	} else if (!j->again) {
		j->changed |= total != j->first_total;
		if (j->page > 2) {
			j->page--;
			return;
		}
		if (j->changed) {
			j->page = 1;
			j->again = 1;
			return;
		}
	}
	q->read = 1;
	j->r.job.done = 1;
	queue_over(r, j->q);
}

static void send_batch(struct gcu_engine *core, struct gcu_job *j, double now)
{
	struct reader *r = (struct reader *)core;
	struct batch *b = (struct batch *)j;
	char path[BULK_MAX * (ID_LEN + 4) + 128];
	const char *ids[BULK_MAX];

	if (b->r.is_queue) {
		send_page(r, (struct qjob *)j, now);
		return;
	}
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

	if (!json_object_is_type(entities, json_type_array)) {
		json_object_put(answer);
		snprintf(why, whylen, "without a list of %s", b->r.is_queue ? "members" : "users");
		return -1;
	}
	if (b->r.is_queue) {
		page_read((struct reader *)core, (struct qjob *)j, answer);
		json_object_put(answer);
		return 0;
	}
	for (size_t i = 0; i < json_object_array_length(entities); i++) {
		json_object *u = json_object_array_get_idx(entities, i);
		const char *id = gcu_json_str(u, "id");
		int slot = id ? slot_of(b, id) : -1;
		if (slot >= 0 && b->found[slot] == NULL)
			b->found[slot] = u;
	}
	b->answer = answer;
	b->r.job.done = 1;
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
		if (!((struct rjob *)j)->is_queue)
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
	/* The queue jobs count as jobs held too: room for those the first
	 * records start, so that input goes on being read (and the batch
	 * that waits for them fills) while they are read. */
	readahead += QUEUE_JOBS_AHEAD;
	r.queue_at = json_object_new_object();
	r.member_of = json_object_new_object();
	int rc = r.queue_at && r.member_of
	             ? gcu_engine_run(&r.core, &o->net, &reader, readahead, &st->net, err, errlen)
	             : (snprintf(err, errlen, "out of memory"), -1);
	json_object_put(r.queue_at);
	json_object_put(r.member_of);
	free(r.queues);
	return rc;
}
