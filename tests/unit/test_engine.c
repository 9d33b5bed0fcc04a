/*
 * test_engine.c - the network engine with a small client of its own,
 * against gcu-sim on 127.0.0.1 (the program in $GCU_SIM, started once
 * per scenario) for the rules that need a platform, and without one for
 * those that do not.
 *
 * The client reads lines, puts per_job of them in a job (or all in one
 * that it never seals itself), reads one page of users per job, and
 * records what each line ended as and in which order the engine handed
 * the jobs back. Every scenario checks the engine's one promise, that
 * every line ends in exactly one outcome, and then the rule it is about:
 * in-order hand-over and bounded read-ahead, retries of 5xx and dropped
 * connections, a 2xx that stands for a 429, a token that expires during an
 * outage, refused credentials, signals, a platform that stays down, a
 * partial job on a quiet input, no network, a fatal error of the client,
 * and a line that is too long. No assertion is about time.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <curl/curl.h>

#include "auth.h"
#include "clock.h"
#include "engine.h"
#include "stage.h"
#include "sim_proc.h"
#include "tap.h"

#define MAX_LINES 200
#define USERS     "/api/v2/users?pageSize=1&state=any"

enum outcome { NONE, OK, FAILED, STOPPED };

struct tjob {
	struct gcu_job job;
	unsigned long first; /* its lines: first .. first + n - 1 */
	int n;
};

struct tclient {
	struct gcu_engine core;
	/* the scenario */
	int per_job;     /* lines a job takes before it is sealed; 0: never sealed */
	int unusable;    /* this many 2xx answers stand for a 429 */
	int stop_after;  /* a signal after this many answers (0: none) */
	int stop_now_at; /* a second signal as this many jobs have been sent */
	int fatal_at;    /* the client fails at this line (0: never) */
	volatile sig_atomic_t stop;
	/* what happened */
	enum outcome out[MAX_LINES + 1];
	long status[MAX_LINES + 1];
	int twice; /* an outcome given to a line that had one */
	int handed[MAX_LINES + 1], nhanded;
	size_t most_jobs; /* the most jobs held at once */
	int answers, sends, busy_stopped;
	enum gcu_engine_stop_reason reason;
	long stop_status;
	char why[512];
};

/* The quiet-input scenario's pipe: its writer ends the input on the
 * first answer (or on the alarm, see alarmed). */
static volatile sig_atomic_t writer = -1;

static struct tclient *T(struct gcu_engine *e)
{
	return (struct tclient *)e;
}

static void give(struct tclient *t, struct tjob *j, enum outcome o, long status)
{
	for (int i = 0; i < j->n; i++) {
		unsigned long l = j->first + (unsigned long)i;
		if (t->out[l] != NONE)
			t->twice++;
		t->out[l] = o;
		t->status[l] = status;
	}
	j->job.done = 1;
}

static void c_line(struct gcu_engine *e, const char *line, size_t len, unsigned long lineno)
{
	struct tclient *t = T(e);
	struct tjob *j = (struct tjob *)gcu_engine_open_job(e);
	(void)line;
	(void)len;

	e->st->records++;
	if ((int)lineno == t->fatal_at) {
		gcu_engine_fatal(e, "the client gave up", 0);
		return;
	}
	if (j == NULL) {
		j = calloc(1, sizeof *j);
		if (j == NULL) {
			gcu_engine_fatal(e, "test client", ENOMEM);
			return;
		}
		j->first = lineno;
		j->job.scope = GCU_SCOPE_NON_ROUTING;
		gcu_engine_add(e, &j->job);
	}
	j->n++;
	if (t->per_job > 0 && j->n >= t->per_job)
		j->job.sealed = 1;
	if (e->njobs > t->most_jobs)
		t->most_jobs = e->njobs;
}

static void c_send(struct gcu_engine *e, struct gcu_job *j, double now)
{
	struct tclient *t = T(e);

	if (gcu_engine_submit(e, j, "GET", USERS, NULL, 0, now) == 0 &&
	    ++t->sends == t->stop_now_at)
		t->stop = 2;
}

static int c_usable(struct gcu_engine *e, struct gcu_job *j, const struct gcu_http_response *r,
                    char *why, size_t whylen)
{
	struct tclient *t = T(e);
	(void)j;
	(void)r;

	if (t->unusable > 0) {
		t->unusable--;
		snprintf(why, whylen, "without users");
		return -1;
	}
	return 0;
}

static void c_answer(struct gcu_engine *e, struct gcu_job *j, const struct gcu_http_response *r,
                     long status, double now)
{
	struct tclient *t = T(e);
	(void)r;
	(void)now;

	give(t, (struct tjob *)j, status >= 200 && status < 300 ? OK : FAILED, status);
	if (++t->answers == t->stop_after)
		t->stop = 1;
	if (writer >= 0) {
		close(writer);
		writer = -1;
	}
}

static void c_failed(struct gcu_engine *e, struct gcu_job *j, long status, const char *why)
{
	struct tclient *t = T(e);

	give(t, (struct tjob *)j, FAILED, status);
	snprintf(t->why, sizeof t->why, "%s", why);
}

static void c_stopped(struct gcu_engine *e, struct gcu_job *j, const struct gcu_engine_stop *s)
{
	struct tclient *t = T(e);

	if (j->busy)
		t->busy_stopped++;
	give(t, (struct tjob *)j, STOPPED, s->status);
	t->reason = s->reason;
	t->stop_status = s->status;
	snprintf(t->why, sizeof t->why, "%s", s->why ? s->why : "");
}

static void c_retire(struct gcu_engine *e, struct gcu_job *j)
{
	struct tclient *t = T(e);
	struct tjob *tj = (struct tjob *)j;

	for (int i = 0; i < tj->n && !e->fatal; i++)
		if (t->nhanded <= MAX_LINES)
			t->handed[t->nhanded++] = (int)(tj->first + (unsigned long)i);
	free(tj);
}

static const struct gcu_engine_client in_order = {
    1, c_line, NULL, c_send, c_usable, c_answer, c_failed, c_stopped, c_retire, NULL, NULL};
static const struct gcu_engine_client any_order = {
    0, c_line, NULL, c_send, c_usable, c_answer, c_failed, c_stopped, c_retire, NULL, NULL};

/* --- the platform ------------------------------------------------------- */

/* Starts gcu-sim (sim_proc.h) with a small org and a limit that does not
 * bind, then args (NULL-terminated); returns 0 with its base URL in
 * GCU_API_BASE, or -1. */
static int sim_start(struct sim_proc *s, const char *const *args)
{
	const char *all[32] = {"--generate", "20", "--limit", "1000", "--window", "1"};
	size_t n = 6;

	while (*args && n < 31)
		all[n++] = *args++;
	all[n] = NULL;
	return sim_proc_start(s, all);
}

/* A scenario's run: its settings, the input, the platform if any. */
struct run {
	struct gcu_config cfg;
	struct gcu_auth auth;
	struct gcu_engine_opts o;
	struct gcu_engine_stats st;
	struct ndjson_reader in;
	int fd; /* the input's, or -1 */
	struct tclient t;
	char err[512];
	int rc;
};

struct scenario;

struct scenario {
	const char *name;
	int net;            /* against gcu-sim, with a token and a loop */
	const char *sim[8]; /* gcu-sim's options beyond the fixed ones */
	int lines;          /* the input: {"n":1} .. {"n":lines} */
	const char *input;  /* or this text */
	int pipe;           /* through a pipe whose writer stays open (see writer) */
	const char *token;  /* a token of the scenario's, and no client credentials */
	int arg;            /* for the scenario's own use */
	void (*run)(struct run *r, const struct scenario *sc);
};

static void report(void *ctx, const char *name, unsigned long line, const char *msg)
{
	(void)ctx;
	printf("# %s:%lu: %s\n", name, line, msg);
}

/* The input of sc into r->in: a file, or a pipe whose writer is kept. */
static int input(struct run *r, const struct scenario *sc)
{
	char path[] = "/tmp/gcu-test-engine-in-XXXXXX";
	int p[2], fd;
	FILE *f;

	if (sc->pipe) {
		if (pipe(p) < 0)
			return -1;
		writer = p[1];
		fd = p[0];
	} else if ((fd = mkstemp(path)) < 0) {
		return -1;
	} else {
		unlink(path);
	}
	if ((f = fdopen(dup(sc->pipe ? p[1] : fd), "w")) == NULL)
		return -1;
	if (sc->input)
		fputs(sc->input, f);
	for (int i = 1; i <= sc->lines; i++)
		fprintf(f, "{\"n\":%d}\n", i);
	fclose(f);
	if (!sc->pipe)
		lseek(fd, 0, SEEK_SET);
	r->fd = fd;
	return ndjson_reader_fdopen(&r->in, fd, "input", 64);
}

/* Settings scaled down so that a retry costs milliseconds, the input, and
 * for a scenario on the network a token and a loop. */
static int setup(struct run *r, const struct scenario *sc)
{
	int rc = -1;

	memset(r, 0, sizeof *r);
	r->fd = -1;
	if (sc->token) {
		setenv("GCU_ACCESS_TOKEN", sc->token, 1);
		unsetenv("GCU_CLIENT_ID");
		unsetenv("GCU_CLIENT_SECRET");
	}
	if (gcu_stage_config(&r->cfg, NULL, NULL, NULL, r->err, sizeof r->err) < 0)
		goto out;
	r->cfg.concurrency = 4;
	r->cfg.platform_limit = 1000;
	r->cfg.platform_window = 1;
	r->cfg.retry_server.base = r->cfg.retry_rate_limit.base = 0.01;
	r->cfg.retry_server.max = r->cfg.retry_rate_limit.max = 0.05;
	r->cfg.circuit_pause = 0.05;
	if (input(r, sc) < 0) {
		snprintf(r->err, sizeof r->err, "input: %s", strerror(errno));
		goto out;
	}
	if (sc->net && gcu_platform_open(&r->cfg, &r->auth, &r->o.http, r->err, sizeof r->err) != 0)
		goto out;
	r->o.cfg = &r->cfg;
	r->o.auth = &r->auth;
	r->o.in = &r->in;
	r->o.stop = &r->t.stop;
	r->o.seed = 7;
	r->o.report = report;
	rc = 0;
out:
	setenv("GCU_CLIENT_ID", getenv("GCU_SIM_CLIENT_ID"), 1);
	setenv("GCU_CLIENT_SECRET", getenv("GCU_SIM_CLIENT_SECRET"), 1);
	unsetenv("GCU_ACCESS_TOKEN");
	return rc;
}

static void go(struct run *r, const struct gcu_engine_client *c, size_t readahead)
{
	r->rc = gcu_engine_run(&r->t.core, &r->o, c, readahead, &r->st, r->err, sizeof r->err);
	if (r->rc != 0)
		printf("# engine: %d %s\n", r->rc, r->rc < 0 ? r->err : "");
}

static void teardown(struct run *r)
{
	if (writer >= 0)
		close(writer);
	writer = -1;
	gcu_http_free(r->o.http);
	gcu_auth_free(&r->auth);
	ndjson_reader_close(&r->in);
	if (r->fd >= 0)
		close(r->fd);
	gcu_config_free(&r->cfg);
}

/* Every line 1..n has exactly one outcome, each handed over once. */
static void every_line_once(const struct run *r, int n, const char *name)
{
	int missing = 0;
	char msg[160];

	for (int l = 1; l <= n; l++)
		missing += r->t.out[l] == NONE;
	snprintf(msg, sizeof msg, "%s: every line ends in exactly one outcome", name);
	if (!ok(missing == 0 && r->t.twice == 0 && r->t.nhanded == n, msg))
		printf("#   %d without, %d twice, %d handed over of %d\n", missing, r->t.twice,
		       r->t.nhanded, n);
}

static int count(const struct run *r, int n, enum outcome o)
{
	int k = 0;
	for (int l = 1; l <= n; l++)
		k += r->t.out[l] == o;
	return k;
}

/* --- scenarios ---------------------------------------------------------- */

static void unsent(struct run *r, const struct scenario *sc)
{
	r->t.per_job = 2;
	go(r, &in_order, 4);
	is_long(r->rc, 0, "no loop: finished");
	every_line_once(r, 5, sc->name);
	is_long(count(r, 5, FAILED), 5, "no loop: jobs fail unsent");
	is_str(r->t.why, "not sent: no connection to the platform", "no loop: and say why");
	is_long(r->st.sent, 0, "no loop: nothing was sent");
}

static void fatal(struct run *r, const struct scenario *sc)
{
	(void)sc;
	r->t.per_job = 1;
	r->t.fatal_at = 4;
	go(r, &in_order, 2);
	is_long(r->rc, -1, "fatal: the client's error ends the run with -1");
	is_str(r->err, "the client gave up", "fatal: with its message");
}

static void too_long(struct run *r, const struct scenario *sc)
{
	(void)sc;
	r->t.per_job = 1;
	go(r, &in_order, 4);
	is_long(r->st.rejected, 1, "too long: a line over the limit is rejected");
	is_long(r->st.records, 3, "too long: and counted as a record");
	is_long(count(r, 3, FAILED), 2, "too long: the lines around it go on");
}

static void order(struct run *r, const struct scenario *sc)
{
	r->t.per_job = 3;
	go(r, &in_order, 4);
	is_long(r->rc, 0, "order: finished");
	every_line_once(r, 40, sc->name);
	int sorted = 1;
	for (int i = 1; i < r->t.nhanded; i++)
		sorted &= r->t.handed[i] > r->t.handed[i - 1];
	ok(sorted, "order: jobs that finish early wait, the hand-over keeps input order");
	is_long(count(r, 40, OK), 40, "order: every line was read");
	ok(r->t.most_jobs <= 4, "order: never more jobs held than the read-ahead");
	is_long(r->st.sent, 14, "order: one request per job (40 lines, 3 a job)");
	is_long(r->st.records, 40, "order: the client counted every line");
}

static void server_errors(struct run *r, const struct scenario *sc)
{
	r->cfg.retry_server.attempts = 30;
	r->cfg.circuit_failures = 1000;
	r->t.per_job = 1;
	go(r, &any_order, 8);
	is_long(r->rc, 0, "5xx: finished");
	every_line_once(r, 30, sc->name);
	is_long(count(r, 30, OK), 30, "5xx: server errors and resets are retried until read");
	ok(r->st.retries > 0, "5xx: some requests went again");
	is_long(r->st.sent, 30 + r->st.retries, "5xx: every request sent again is a retry");
	is_long(r->st.unavailable, 0, "5xx: nothing failed for want of the platform");
}

/* arg 2xx answers in a row that stand for a 429: within the attempts of
 * retry.rate_limit (3 here) the job goes again until it reads; beyond,
 * it fails, for want of the platform. */
static void unusable(struct run *r, const struct scenario *sc)
{
	int within = sc->arg < 3;

	r->cfg.retry_rate_limit.attempts = 3;
	r->t.per_job = 1;
	r->t.unusable = sc->arg;
	go(r, &in_order, 4);
	is_long(r->rc, 0, "unusable 2xx: a failed job does not stop the run");
	every_line_once(r, 1, sc->name);
	is_long(r->t.out[1], within ? OK : FAILED, "unusable 2xx: retried, within bounds");
	is_long(r->st.http_429, within ? sc->arg : 3, "unusable 2xx: counted as 429s");
	is_long(r->st.retries, within ? sc->arg : 2, "unusable 2xx: what went again, as retries");
	is_long(r->st.unavailable, !within, "unusable 2xx: out of attempts, the platform failed");
	if (!within)
		is_str(r->t.why,
		       "HTTP 200 without users, 3 times (a proxy answering for the platform?)",
		       "unusable 2xx: the failure says what the answers were");
}

static void expired_token(struct run *r, const struct scenario *sc)
{
	r->cfg.retry_server.attempts = 30;
	r->t.per_job = 5;
	go(r, &in_order, 4);
	is_long(r->rc, 0, "expired token: a token that expires during an outage is renewed");
	every_line_once(r, 10, sc->name);
	is_long(count(r, 10, OK), 10, "expired token: every line read after the outage");
	ok(r->st.refreshes >= 2, "expired token: renewed more than once");
	ok(!r->st.auth_failed, "expired token: not taken for refused credentials");
}

static void refused(struct run *r, const struct scenario *sc)
{
	r->cfg.concurrency = 1;
	r->t.per_job = 1;
	go(r, &in_order, 4);
	is_long(r->rc, EX_NOPERM, "refused: the run stops with EX_NOPERM");
	every_line_once(r, 50, sc->name);
	is_long(r->t.status[1], 401, "refused: the job that met the 401 failed with it");
	is_long(count(r, 50, STOPPED), 49, "refused: every other line, unread ones too, stopped");
	is_long(r->t.reason, GCU_STOP_REFUSED, "refused: the client is told why");
	is_long(r->t.stop_status, 401, "refused: and with which status");
	is_str(r->t.why, "stopped: the platform refused the credentials", "refused: in words");
	ok(r->st.auth_failed, "refused: counted");
}

/* arg 1: a signal after the first answer drains what is in flight;
 * arg 2: a second signal as the second request goes out (the answers take
 * a second) abandons it. Either way every line ends in an outcome. */
static void signals(struct run *r, const struct scenario *sc)
{
	int abandoned = sc->arg == 2 ? 2 : 0;

	r->cfg.concurrency = 2;
	r->t.per_job = 1;
	r->t.stop_after = sc->arg == 1;
	r->t.stop_now_at = abandoned;
	go(r, &in_order, 4);
	is_long(r->rc, EX_TEMPFAIL, "signal: the run stops with EX_TEMPFAIL");
	every_line_once(r, 60, sc->name);
	is_long(count(r, 60, OK), 2 - abandoned,
	        "signal: what was in flight is read, unless abandoned");
	is_long(count(r, 60, STOPPED), 58 + abandoned,
	        "signal: the rest, unread lines too, stopped");
	is_long(r->t.busy_stopped, abandoned, "signal: the client is told what was abandoned");
	is_long(r->t.reason, GCU_STOP_SIGNAL, "signal: and why");
	ok(r->st.interrupted, "signal: counted");
}

static void unavailable(struct run *r, const struct scenario *sc)
{
	r->cfg.retry_server.attempts = 3;
	r->cfg.circuit_failures = 2;
	r->t.per_job = 1;
	go(r, &in_order, 8);
	is_long(r->rc, EX_UNAVAILABLE, "unavailable: the run stops with EX_UNAVAILABLE");
	every_line_once(r, 40, sc->name);
	ok(r->st.gave_up, "unavailable: counted");
	is_long(r->t.reason, GCU_STOP_UNAVAILABLE, "unavailable: the client is told why");
	ok(r->t.stop_status >= 500 && r->t.stop_status <= 504,
	   "unavailable: with the last status seen");
	ok(strncmp(r->t.why, "stopped: the platform stayed unavailable (last error: HTTP 50", 61) ==
	       0,
	   "unavailable: in words that name the last error");
	ok(count(r, 40, STOPPED) > 20, "unavailable: most lines stopped, not tried in turn");
	ok(r->st.sent < 40, "unavailable: and never sent");
}

/* A test that would hang instead stops its run, as a second signal
 * would, and ends its input (after a stop every line is still read). */
static volatile sig_atomic_t *on_alarm;

static void alarmed(int sig)
{
	(void)sig;
	if (on_alarm)
		*on_alarm = 2;
	if (writer >= 0)
		close(writer);
	writer = -1;
}

/* The writer stays open until the job is answered: without the engine
 * sealing a job on a quiet input, this would never end. */
static void quiet_input(struct run *r, const struct scenario *sc)
{
	on_alarm = &r->t.stop;
	signal(SIGALRM, alarmed);
	alarm(20);
	go(r, &in_order, 4);
	alarm(0);
	on_alarm = NULL;
	is_long(r->rc, 0, "quiet input: finished");
	every_line_once(r, 3, sc->name);
	is_long(r->st.sent, 1, "quiet input: the partial job went out while the input was quiet");
}

static const struct scenario scenarios[] = {
    {"no loop", 0, {NULL}, 5, NULL, 0, NULL, 0, unsent},
    {"fatal", 0, {NULL}, 10, NULL, 0, NULL, 0, fatal},
    {"too long",
     0,
     {NULL},
     0,
     "{}\n{\"a line longer than the limit of sixty-four bytes\":\"is rejected\"}\n{}\n",
     0,
     NULL,
     0,
     too_long},
    {"order", 1, {"--latency", "20", "--jitter", "20"}, 40, NULL, 0, NULL, 0, order},
    {"5xx",
     1,
     {"--error-rate", "0.3", "--reset-rate", "0.1", "--seed", "3"},
     30,
     NULL,
     0,
     NULL,
     0,
     server_errors},
    {"unusable 2xx", 1, {NULL}, 1, NULL, 0, NULL, 2, unusable},
    {"unusable 2xx, bounded", 1, {NULL}, 1, NULL, 0, NULL, 5, unusable},
    {"expired token",
     1,
     {"--token-ttl", "0.25", "--outage", "0:1.2"},
     10,
     NULL,
     0,
     NULL,
     0,
     expired_token},
    /* A token the platform does not know, and nothing to renew it with. */
    {"refused", 1, {NULL}, 50, NULL, 0, "not-a-token", 0, refused},
    {"signal", 1, {"--latency", "30"}, 60, NULL, 0, NULL, 1, signals},
    {"second signal", 1, {"--latency", "1000"}, 60, NULL, 0, NULL, 2, signals},
    {"unavailable", 1, {"--error-rate", "1"}, 40, NULL, 0, NULL, 0, unavailable},
    {"quiet input", 1, {NULL}, 3, NULL, 1, NULL, 0, quiet_input},
};

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	unsetenv("GCU_CONFIG");
	unsetenv("GCU_ACCESS_TOKEN");
	unsetenv("GCU_REGION");
	setenv("GCU_SIM_CLIENT_ID", "engine-test", 1);
	setenv("GCU_SIM_CLIENT_SECRET", "engine-test-secret-0123456789", 1);
	setenv("GCU_CLIENT_ID", getenv("GCU_SIM_CLIENT_ID"), 1);
	setenv("GCU_CLIENT_SECRET", getenv("GCU_SIM_CLIENT_SECRET"), 1);
	for (size_t i = 0; i < sizeof scenarios / sizeof *scenarios; i++) {
		const struct scenario *sc = &scenarios[i];
		struct sim_proc s = {0};
		struct run r;
		char msg[700];

		if (sc->net && sim_start(&s, sc->sim) < 0) {
			snprintf(msg, sizeof msg, "%s # SKIP gcu-sim not found ($GCU_SIM)",
			         sc->name);
			ok(1, msg);
		} else if (setup(&r, sc) < 0) {
			snprintf(msg, sizeof msg, "%s: set-up: %s", sc->name, r.err);
			ok(0, msg);
			teardown(&r);
		} else {
			sc->run(&r, sc);
			teardown(&r);
		}
		sim_proc_stop(&s);
	}
	ndjson_parse_release();
	curl_global_cleanup();
	return done_testing();
}
