/*
 * engine.c - the loop behind gcu-send, gcu-fetch and gcu-verify (see
 * engine.h): input read ahead, dispatch under the pacer, the answers
 * every client handles alike, stops, and the hand-over of finished jobs.
 *
 * Each turn of the loop reads what input is there, hands over what has
 * finished, sends what may go, and waits in the HTTP loop until an answer
 * comes, a job's back-off ends or it is time to look at signals, input
 * and progress again. A job has at most one request out, and that
 * request's transfer points at the job, so nothing is allocated per
 * request here.
 */
#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "backoff.h"
#include "clock.h"

#define PROGRESS_EVERY 0.5
/* Longest wait between two looks at signals, progress and input. */
#define MAX_WAIT 0.25
/* Wait while the input has no complete line yet. */
#define INPUT_WAIT 0.01
/* A partial job goes out when the input has been quiet this long. */
#define IDLE_SEAL 0.5
/* Renewals of a token that expired before anything succeeded with it,
 * in a row, before a 401 is taken for refused credentials. */
#define MAX_EXPIRED_REFRESHES 3

void gcu_engine_fatal(struct gcu_engine *e, const char *what, int errnum)
{
	if (!e->fatal) {
		if (errnum)
			snprintf(e->err, e->errlen, "%s: %s", what, strerror(errnum));
		else
			snprintf(e->err, e->errlen, "%s", what);
	}
	e->fatal = 1;
}

void gcu_engine_reject(struct gcu_engine *e, unsigned long lineno, const char *why)
{
	e->st->rejected++;
	e->o->report(e->o->ctx, e->o->in->name, lineno, why);
}

static void notice(struct gcu_engine *e, const char *msg)
{
	if (e->o->notice)
		e->o->notice(e->o->ctx, msg);
}

/* --- jobs --------------------------------------------------------------- */

struct gcu_job *gcu_engine_open_job(const struct gcu_engine *e)
{
	return e->tail && !e->tail->sealed ? e->tail : NULL;
}

void gcu_engine_add(struct gcu_engine *e, struct gcu_job *j)
{
	j->engine = e;
	j->next = NULL;
	if (e->tail) {
		e->tail->sealed = 1;
		e->tail->next = j;
	} else {
		e->head = j;
	}
	e->tail = j;
	e->njobs++;
}

void gcu_job_restart(struct gcu_job *j)
{
	j->rate_tries = 0;
	j->server_tries = 0;
	j->retrying = 0;
}

static int finished(const struct gcu_job *j)
{
	return j->sealed && j->done && !j->busy;
}

/* Hands the finished jobs to the client: from the head only, in order,
 * or wherever they are. */
static void retire_finished(struct gcu_engine *e)
{
	struct gcu_job *prev = NULL, *j = e->head;

	while (j) {
		struct gcu_job *next = j->next;
		if (finished(j)) {
			if (prev)
				prev->next = next;
			else
				e->head = next;
			if (e->tail == j)
				e->tail = prev;
			e->njobs--;
			e->c->retire(e, j);
		} else if (e->c->in_order) {
			break;
		} else {
			prev = j;
		}
		j = next;
	}
}

/* --- input -------------------------------------------------------------- */

/* Reads input until the read-ahead is full or no complete line is there. */
static void fill(struct gcu_engine *e, double now)
{
	struct ndjson_reader *in = e->o->in;
	char why[128];

	while (!e->eof && !e->fatal && e->njobs < e->readahead) {
		switch (ndjson_read(in)) {
		case NDJSON_AGAIN:
			/* A slow producer: do not hold a partial job forever. */
			if (e->tail && !e->tail->sealed && now - e->last_line >= IDLE_SEAL)
				e->tail->sealed = 1;
			return;
		case NDJSON_EOF:
			e->eof = 1;
			if (e->tail)
				e->tail->sealed = 1;
			return;
		case NDJSON_IO_ERROR:
			gcu_engine_fatal(e, in->name, errno);
			return;
		case NDJSON_TOO_LONG:
			e->st->records++;
			snprintf(why, sizeof why, "line longer than %zu bytes", in->max_line);
			if (e->c->too_long)
				e->c->too_long(e, in->lineno, why);
			else
				gcu_engine_reject(e, in->lineno, why);
			break;
		case NDJSON_LINE:
			e->last_line = now;
			if (in->line_len > 0)
				e->c->line(e, in->line, in->line_len, in->lineno);
			break;
		}
	}
}

/* Makes reading block or not; returns the flags it found (-1 unknown). */
static int set_blocking(int fd, int blocking)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, blocking ? fl & ~O_NONBLOCK : fl | O_NONBLOCK);
	return fl;
}

/* --- sending ------------------------------------------------------------ */

static void on_done(struct gcu_http *h, void *user, const struct gcu_http_response *resp);

int gcu_engine_submit(struct gcu_engine *e, struct gcu_job *j, const char *method, const char *path,
                      const char *body, size_t len, double now)
{
	j->token_gen = e->token_gen;
	if (gcu_http_submit(e->o->http, method, path, body, len, on_done, j) < 0) {
		e->c->failed(e, j, 0,
		             errno == EINVAL ? "request refused: bad method or path"
		                             : strerror(errno));
		return -1;
	}
	if (j->retrying)
		e->st->retries++;
	j->retrying = 0;
	j->seq = gcu_pacer_sent(&e->pacer, now);
	j->busy = 1;
	e->inflight++;
	e->st->sent++;
	return 0;
}

/* Sends what may go now. Returns the time worth looking again (0: only
 * an answer or input can change things) and why work waits. */
static double dispatch(struct gcu_engine *e, double now, enum gcu_pace_block *why)
{
	double wake = 0;

	*why = GCU_PACE_GO;
	for (struct gcu_job *j = e->head; j && !e->fatal; j = j->next) {
		double w = 0;
		if (j->busy || !j->sealed || j->done || j->held > 0)
			continue;
		if (e->o->http == NULL) {
			e->c->failed(e, j, 0, "not sent: no connection to the platform");
			continue;
		}
		if (j->not_before > now) {
			if (wake == 0 || j->not_before < wake)
				wake = j->not_before;
			continue;
		}
		enum gcu_pace_block b = gcu_pacer_check(&e->pacer, j->scope, e->inflight, now, &w);
		if (b != GCU_PACE_GO) {
			*why = b;
			if (w > 0 && (wake == 0 || w < wake))
				wake = w;
			break;
		}
		e->c->send(e, j, now);
	}
	return wake;
}

/* --- answers ------------------------------------------------------------ */

/*
 * A 401 renews the token once; a second 401 on a renewed token is final,
 * unless that token's own lifetime has run out meanwhile (an outage or a
 * slow answer can outlast a short-lived token before anything succeeds
 * with it): then it is renewed again, at most MAX_EXPIRED_REFRESHES times
 * without a success in between. A 403 is final.
 */
static void unauthorised(struct gcu_engine *e, struct gcu_job *j, long status)
{
	struct gcu_auth *auth = e->o->auth;
	char why[256];
	int expired = auth && gcu_auth_expires_in(auth, gcu_now()) <= 0 &&
	              e->expired_refreshes < MAX_EXPIRED_REFRESHES;

	if (status == 401 && j->token_gen < e->token_gen)
		return; /* sent with the old token; goes again with the new one */
	if (status == 401 && auth && (expired || !(e->refreshed && !e->ok_since_auth))) {
		if (gcu_auth_refresh(auth, why, sizeof why) == 0 &&
		    gcu_http_set_bearer(e->o->http, gcu_auth_bearer(auth)) == 0) {
			e->token_gen++;
			if (expired && e->refreshed && !e->ok_since_auth)
				e->expired_refreshes++;
			e->refreshed = 1;
			e->ok_since_auth = 0;
			e->st->refreshes++;
			return;
		}
		if (!e->said_auth)
			notice(e, why);
		e->said_auth = 1;
	}
	e->st->auth_failed = 1;
	e->refused = status;
	e->c->failed(e, j, status,
	             status == 403 ? "HTTP 403: forbidden" : "HTTP 401: not authorised");
}

/* A 429, or a 2xx that stands for one (why says how). The pacer holds all
 * dispatch for Retry-After; the job also waits out the 429 policy's
 * backoff, so that a window kept full by traffic gcu cannot see does not
 * burn its attempts in a second. */
static void rate_limited(struct gcu_engine *e, struct gcu_job *j, long status, const char *why,
                         double now)
{
	char msg[400];

	e->st->http_429++;
	if (++j->rate_tries >= e->o->cfg->retry_rate_limit.attempts) {
		if (status == 429)
			snprintf(msg, sizeof msg, "rate limited %d times in a row", j->rate_tries);
		else
			snprintf(msg, sizeof msg,
			         "HTTP %ld %s, %d times (a proxy answering for the platform?)",
			         status, why, j->rate_tries);
		e->st->unavailable++;
		e->c->failed(e, j, status, msg);
		return;
	}
	j->retrying = 1;
	j->not_before = now + gcu_backoff(&e->o->cfg->retry_rate_limit, j->rate_tries, &e->rng);
}

/* A 5xx or a transport error: the job backs off, within bounds. */
static void server_trouble(struct gcu_engine *e, struct gcu_job *j,
                           const struct gcu_http_response *resp, long status, double now)
{
	gcu_http_error_message(resp, e->last_trouble, sizeof e->last_trouble);
	e->trouble = status;
	if (++j->server_tries >= e->o->cfg->retry_server.attempts) {
		e->st->unavailable++;
		e->c->failed(e, j, status, e->last_trouble);
		return;
	}
	j->retrying = 1;
	j->not_before = now + gcu_backoff(&e->o->cfg->retry_server, j->server_tries, &e->rng);
}

static void on_done(struct gcu_http *h, void *user, const struct gcu_http_response *resp)
{
	struct gcu_job *j = user;
	struct gcu_engine *e = j->engine;
	double now = gcu_now();
	long status = resp->transport_error ? 0 : resp->status;
	int success = status >= 200 && status < 300;
	char why[160] = "";
	(void)h;

	e->inflight--;
	j->busy = 0;
	int throttled = success && e->c->usable && e->c->usable(e, j, resp, why, sizeof why) < 0;
	if (gcu_pacer_feed(&e->pacer, e->o->cfg, throttled ? 429 : status, &resp->rate, j->seq, now,
	                   j->rate_tries + 1, &e->rng, e->o->notice, e->o->ctx))
		e->st->capped++;
	if (success && !throttled) {
		e->ok_since_auth = 1;
		e->expired_refreshes = 0;
		e->c->answer(e, j, resp, status, now);
	} else if (status == 401 || status == 403) {
		unauthorised(e, j, status);
	} else if (status == 429 || throttled) {
		rate_limited(e, j, status, why, now);
	} else if (status == 0 || status >= 500) {
		server_trouble(e, j, resp, status, now);
	} else {
		e->c->answer(e, j, resp, status, now);
	}
}

/* --- stops -------------------------------------------------------------- */

/* Every job held gets its outcome, then every line unread, read blocking. */
static void stop_all(struct gcu_engine *e, const struct gcu_engine_stop *s)
{
	if (e->o->http)
		(void)set_blocking(e->o->in->fd, 1);
	for (;;) {
		for (struct gcu_job *j = e->head; j && !e->fatal; j = j->next) {
			if (!j->done || j->busy)
				e->c->stopped(e, j, s);
			j->sealed = j->done = 1;
			j->busy = 0; /* its answer, if any, will not be read */
		}
		retire_finished(e);
		if (e->eof || e->fatal)
			break;
		fill(e, gcu_now());
	}
}

/* Why the loop ended, what that makes of the jobs left, and the code to
 * return. */
static int stop_run(struct gcu_engine *e)
{
	struct gcu_engine_stop s = {GCU_STOP_SIGNAL, 0, NULL};
	char why[600];
	int rc;

	if (e->fatal)
		return -1;
	if (e->st->auth_failed) {
		s.reason = GCU_STOP_REFUSED;
		s.status = e->refused;
		s.why = "stopped: the platform refused the credentials";
		rc = EX_NOPERM;
	} else if (e->st->gave_up) {
		snprintf(why, sizeof why,
		         "stopped: the platform stayed unavailable (last error: %s)",
		         e->last_trouble);
		s.reason = GCU_STOP_UNAVAILABLE;
		s.status = e->trouble;
		s.why = why;
		rc = EX_UNAVAILABLE;
	} else if (e->o->stop && *e->o->stop) {
		e->st->interrupted = 1;
		rc = EX_TEMPFAIL;
	} else {
		return 0;
	}
	/* The stage names why it stopped in its summary and on stderr. */
	snprintf(e->err, e->errlen, "%s", s.why ? s.why : "stopped: interrupted by a signal");
	stop_all(e, &s);
	return e->fatal ? -1 : rc;
}

/* --- the loop ----------------------------------------------------------- */

static void update_stats(struct gcu_engine *e, double now)
{
	e->st->elapsed = now - e->st->started;
	e->st->limit = e->pacer.limit;
	e->st->left = gcu_pacer_left(&e->pacer, now);
	e->st->blind = e->pacer.blind;
}

int gcu_engine_run(struct gcu_engine *e, const struct gcu_engine_opts *o,
                   const struct gcu_engine_client *c, size_t readahead, struct gcu_engine_stats *st,
                   char *err, size_t errlen)
{
	memset(e, 0, sizeof *e);
	memset(st, 0, sizeof *st);
	e->o = o;
	e->c = c;
	e->st = st;
	e->err = err;
	e->errlen = errlen;
	e->readahead = readahead > 0 ? readahead : 1;
	e->rng = o->seed ? o->seed : gcu_rand_seed();
	if (gcu_pacer_init(&e->pacer, o->cfg) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->started = e->last_progress = e->last_line = gcu_now();
	st->limit = st->left = -1;
	/* Reading must never stall the loop while answers wait; without a
	 * loop there is nothing to wait for. */
	int fl = o->http ? set_blocking(o->in->fd, 0) : -1;

	for (;;) {
		double now = gcu_now(), wake = 0;
		enum gcu_pace_block why = GCU_PACE_GO;
		/* The circuit opened again and again with no success between:
		 * the platform is down; waiting a pause per request would take
		 * days. Stop, and let a later run finish. */
		if (e->pacer.circuit_streak >= o->cfg->retry_server.attempts)
			st->gave_up = 1;
		int stopping = (o->stop && *o->stop) || st->auth_failed || st->gave_up || e->fatal;

		if (!stopping)
			fill(e, now);
		retire_finished(e);
		if (stopping && (e->inflight == 0 || (o->stop && *o->stop >= 2) || e->fatal))
			break;
		if (!stopping)
			wake = dispatch(e, now, &why);
		retire_finished(e);
		if (e->eof && e->head == NULL && e->inflight == 0)
			break;

		double wait = MAX_WAIT;
		if (wake > 0 && wake - now < wait)
			wait = fmax(0, wake - now);
		if (!e->eof && e->njobs < e->readahead && wait > INPUT_WAIT)
			wait = INPUT_WAIT; /* input may arrive; look again soon */
		if (c->waiting)
			c->waiting(e);
		if (o->http && gcu_http_run(o->http, wait) < 0) {
			gcu_engine_fatal(e, "HTTP loop", EIO);
			break;
		}
		double after = gcu_now();
		if (why != GCU_PACE_GO)
			st->blocked[why] += after - now;
		update_stats(e, after);
		if (c->progress && after - e->last_progress >= PROGRESS_EVERY) {
			e->last_progress = after;
			c->progress(e);
		}
	}

	int rc = stop_run(e);
	update_stats(e, gcu_now());
	if (fl >= 0)
		(void)fcntl(o->in->fd, F_SETFL, fl);
	/* After an abort the HTTP loop may still hold transfers that point
	 * into busy jobs; the caller frees the loop without running it
	 * again, so freeing the jobs here is safe. */
	while (e->head) {
		struct gcu_job *j = e->head;
		e->head = j->next;
		c->retire(e, j);
	}
	e->tail = NULL;
	e->njobs = 0;
	gcu_pacer_free(&e->pacer);
	return rc;
}
