/*
 * engine.h - the network engine gcu-send, gcu-fetch and gcu-verify share.
 *
 * A client of the engine (sender.c, bulkread.c) says what its input lines
 * mean and what its requests and answers are; the engine does the rest,
 * the same way for every client:
 *
 *  - Jobs. A job is the client's unit of work: the sender's is a user's
 *    consecutive requests, sent one after another; the reader's is a
 *    batch of ids read with one bulk GET. The client embeds struct
 *    gcu_job at the start of its own job and adds it with
 *    gcu_engine_add; the engine keeps the jobs in input order. A job is
 *    sent only once it is sealed (no later line can join it): the client
 *    seals a full job, the engine seals the newest job when another is
 *    added, when the input ends, and when the input has been quiet for a
 *    while, so a slow producer does not hold a partial job forever.
 *  - Read-ahead. Input is read without blocking, only while fewer than
 *    readahead jobs are held, so memory stays flat however long the
 *    input is and answers are never kept waiting by a slow producer.
 *  - Dispatch. Every sealed job that has work, is not held by the client
 *    (a sender's unit waits for an earlier unit of the same user) and is
 *    not backing off goes out as the pacer (pacer.h) allows, at most one
 *    request per job at a time.
 *  - Answers. A 429 (and a 2xx the client finds unusable, such as a
 *    proxy's 200 without users) pauses dispatch through the pacer and backs
 *    the job off with the 429 policy; 5xx and transport errors back it
 *    off with the server policy; attempts of each are bounded, and a job
 *    whose request runs out of them fails it "for want of the platform".
 *    A 401 renews the token once; a 401 on a renewed token, or a 403, is
 *    final, unless that token had itself expired before anything
 *    succeeded with it (an outage can outlast a short-lived token): then
 *    it is renewed again, a bounded number of times. Everything else
 *    (success, a version conflict, 404, other 4xx) is the client's.
 *  - Stops. A signal (the first drains what is in flight, the second
 *    stops at once), credentials the platform refuses, and a platform
 *    that stays unavailable (the circuit opened retry.server.attempts
 *    times with no success between) all stop dispatch. Then every job
 *    still held, and every line of input not read yet, gets its outcome
 *    from the client: nothing vanishes.
 *  - Hand-over. Jobs leave the engine when they are finished, to the
 *    client's retire callback: in input order for a client that writes
 *    its output in order (the reader), as soon as they finish otherwise.
 *  - Exit codes (sysexits): 0 finished, EX_TEMPFAIL after a signal,
 *    EX_NOPERM when the platform refused the credentials, EX_UNAVAILABLE
 *    when it stayed unavailable, -1 with a message on a fatal error.
 *
 * The options a stage gives and the counts it reads are the same for
 * every client. The clients' own structs (struct gcu_send_opts and
 * struct gcu_bulk_opts, and their stats) hold them as an anonymous member
 * made from the field lists below, beside a named one of the engine's
 * type: a stage writes o.cfg and reads st.sent as it always did, and the
 * client hands &o->net and &st->net to the engine.
 *
 * Callbacks run inside gcu_engine_run, on the caller's thread; they get
 * the engine, which the client embeds at the start of its own state, and
 * the job, which it embeds at the start of its own job.
 */
#ifndef GCU_ENGINE_H
#define GCU_ENGINE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "config.h"
#include "http.h"
#include "ndjson.h"
#include "pacer.h"
#include "record_loop.h"

/* What a stage gives every client of the engine. */
#define GCU_ENGINE_OPTS_FIELDS                                                                     \
	const struct gcu_config *cfg; /* concurrency, pacing, retry policies */                    \
	struct gcu_http *http;        /* the loop, its bearer set; NULL: nothing is sent */        \
	struct gcu_auth *auth;        /* renews the token after a 401; may be NULL */              \
	struct ndjson_reader *in;     /* the input */                                              \
	volatile sig_atomic_t *stop;  /* 1: drain and stop; 2: stop now; may be NULL */            \
	uint64_t seed;                /* jitter; 0 means gcu_rand_seed() */                        \
	gcu_report_fn report;         /* rejected lines, with their numbers */                     \
	gcu_pacer_notice_fn notice;   /* once-off news; may be NULL */                             \
	void *ctx;                    /* the stage's, for report, notice and its own callbacks */

struct gcu_engine_opts {
	GCU_ENGINE_OPTS_FIELDS
};

/* What the engine counts for every client. */
#define GCU_ENGINE_STATS_FIELDS                                                                    \
	unsigned long records;     /* input lines that held something */                           \
	unsigned long rejected;    /* lines reported and skipped */                                \
	unsigned long sent;        /* HTTP requests sent, retries included */                      \
	unsigned long http_429;    /* 429 answers, and 2xx answers that stood for one */           \
	unsigned long retries;     /* requests sent again after a 429, 5xx or transport error */   \
	unsigned long refreshes;   /* token renewals after a 401 */                                \
	unsigned long capped;      /* Retry-After values cut to retry.max_wait */                  \
	unsigned long unavailable; /* requests failed for want of the platform (5xx, transport,    \
	                              429) */                                                      \
	double started, elapsed;   /* monotonic */                                                 \
	double blocked[5];         /* seconds work waited, by enum gcu_pace_block */               \
	long limit;                /* the platform's limit as last seen, -1 unknown */             \
	long left;                 /* the window as the pacer sees it, -1 unknown */               \
	int blind;                 /* no rate headers */                                           \
	int auth_failed;           /* stopped: the platform refused the credentials */             \
	int gave_up;               /* stopped: the platform stayed unavailable */                  \
	int interrupted;           /* stopped on a signal */

struct gcu_engine_stats {
	GCU_ENGINE_STATS_FIELDS
};

/* A unit of work; the client's job struct starts with one. */
struct gcu_job {
	/* set by the client */
	enum gcu_scope scope; /* the pacing scope of its requests */
	int sealed;           /* no more input joins it (the engine seals too, see above) */
	int done;             /* every piece of work it holds so far has its outcome */
	int held;             /* > 0: not to be sent yet, for the client's own reasons */
	double not_before;    /* not sent before this (monotonic); the engine sets it too */

	/* the engine's; the client reads them */
	struct gcu_engine *engine;
	struct gcu_job *next; /* the next job in input order */
	int busy;             /* a request of it is out */
	int rate_tries;       /* 429s met by its current request */
	int server_tries;     /* 5xx and transport errors met by its current request */
	int retrying;         /* its next send repeats a request after one of those */
	int token_gen;        /* the token its request out went with */
	uint64_t seq;         /* the pacer's number for its request out */
};

/* Why the run stopped, as a stopped job's client is told. */
enum gcu_engine_stop_reason {
	GCU_STOP_SIGNAL,     /* SIGINT/SIGTERM */
	GCU_STOP_REFUSED,    /* the platform refused the credentials */
	GCU_STOP_UNAVAILABLE /* the platform stayed unavailable */
};

struct gcu_engine_stop {
	enum gcu_engine_stop_reason reason;
	long status;     /* REFUSED: the 401 or 403; UNAVAILABLE: the last 5xx, 0 for a transport
	                    error; SIGNAL: 0 */
	const char *why; /* REFUSED and UNAVAILABLE: the engine's words (the latter names the last
	                    error); SIGNAL: NULL, the client says it */
};

struct gcu_engine;

/*
 * The client: what is not the same for every client. Every callback gets
 * the engine (at the start of the client's own state) and, but for line
 * and waiting, a job (at the start of the client's own job).
 */
struct gcu_engine_client {
	/* Jobs leave in input order (1) or as soon as they finish (0). */
	int in_order;
	/* One non-empty input line (borrowed) and its number: parse it, and
	 * write its output, reject it (gcu_engine_reject) or add it to a job
	 * (gcu_engine_open_job, gcu_engine_add). */
	void (*line)(struct gcu_engine *e, const char *line, size_t len, unsigned long lineno);
	/* A line longer than the input's max_line, its text gone, counted as
	 * a record already: the client gives it its outcome, and rejects it
	 * (gcu_engine_reject). May be NULL: it is rejected, no more. */
	void (*too_long)(struct gcu_engine *e, unsigned long lineno, const char *why);
	/* Sends the job's next request with gcu_engine_submit. */
	void (*send)(struct gcu_engine *e, struct gcu_job *j, double now);
	/* A 2xx answer: returns 0 when it is one the client can use, -1 when
	 * it stands for a 429 (why filled, e.g. "without a list of users").
	 * May be NULL: every 2xx is usable. */
	int (*usable)(struct gcu_engine *e, struct gcu_job *j, const struct gcu_http_response *r,
	              char *why, size_t whylen);
	/* A usable 2xx, or a status the engine leaves to the client (not 401,
	 * 403, 429, 5xx or a transport error). status is the HTTP status. */
	void (*answer)(struct gcu_engine *e, struct gcu_job *j, const struct gcu_http_response *r,
	               long status, double now);
	/* The job's current request failed for good: status (HTTP, 0 when
	 * there was no answer) and why. */
	void (*failed)(struct gcu_engine *e, struct gcu_job *j, long status, const char *why);
	/* The run stopped: every piece of work of j without an outcome gets
	 * one (j->busy: its request is out and will not be read). The engine
	 * takes j as done afterwards. */
	void (*stopped)(struct gcu_engine *e, struct gcu_job *j, const struct gcu_engine_stop *s);
	/* j leaves the engine (finished, stopped, or after a fatal error):
	 * hand over what it holds unless e->fatal, and free it. */
	void (*retire)(struct gcu_engine *e, struct gcu_job *j);
	/* Before the loop waits (flush what is written). May be NULL. */
	void (*waiting)(struct gcu_engine *e);
	/* About twice a second, after the counts are brought up to date. May
	 * be NULL. */
	void (*progress)(struct gcu_engine *e);
};

/* One run. The client embeds it at the start of its own state; the
 * fields are the engine's, and clients only read the first group. */
struct gcu_engine {
	const struct gcu_engine_opts *o;
	const struct gcu_engine_client *c;
	struct gcu_engine_stats *st;
	struct gcu_job *head, *tail; /* the jobs held, in input order */
	size_t njobs;
	int fatal; /* a fatal error is set: the run ends, gcu_engine_run returns -1 */

	struct gcu_pacer pacer;
	size_t readahead;
	int inflight;
	int eof;
	int token_gen;
	int refreshed;          /* the current token came from a renewal */
	int ok_since_auth;      /* a request succeeded with the current token */
	int expired_refreshes;  /* renewals of expired tokens since the last success */
	int said_auth;          /* a failed renewal was told */
	long refused;           /* the 401 or 403 that stopped the run */
	long trouble;           /* the status of the last 5xx or transport error (0) */
	char last_trouble[400]; /* its description, named when the run stops */
	uint64_t rng;
	double last_line, last_progress;
	char *err;
	size_t errlen;
};

/*
 * Runs until the input is done and every job has left, or a stop. e is
 * the client's storage (its contents are set here); o, c and st must
 * outlive the call; st is filled from zero (limit and left -1). readahead
 * (at least 1) bounds the jobs held. With o->http NULL nothing is sent:
 * the input is read blocking and a job that is added fails unsent.
 * Returns 0 when finished, EX_TEMPFAIL after a signal, EX_NOPERM when the
 * platform refused the credentials, EX_UNAVAILABLE when it stayed
 * unavailable (every job and line then has its outcome; err says why the
 * run stopped, naming the last error), or -1 with err
 * filled on a fatal error (the input could not be read, the HTTP loop
 * failed, or the client called gcu_engine_fatal). After a second signal
 * or a fatal error, transfers may still be queued in o->http pointing
 * into jobs that are freed: free the loop then, do not run it again.
 */
int gcu_engine_run(struct gcu_engine *e, const struct gcu_engine_opts *o,
                   const struct gcu_engine_client *c, size_t readahead, struct gcu_engine_stats *st,
                   char *err, size_t errlen);

/*
 * The newest job while input can still join it (not sealed), else NULL.
 */
struct gcu_job *gcu_engine_open_job(const struct gcu_engine *e);

/*
 * Adds j (the client's, zeroed but for the client's fields) after every
 * job held, and seals the one before it. The engine owns the link until
 * the client's retire callback gets j back.
 */
void gcu_engine_add(struct gcu_engine *e, struct gcu_job *j);

/*
 * Sends one request of j (from the client's send callback): method,
 * path and body (len bytes, or NULL) are copied. Returns 0, or -1 when the
 * HTTP loop refused it: then the client's failed callback has already
 * been told (status 0), and nothing is out.
 */
int gcu_engine_submit(struct gcu_engine *e, struct gcu_job *j, const char *method, const char *path,
                      const char *body, size_t len, double now);

/*
 * The client moves j on to its next request: the 429 and server error
 * counts start again. j must not be NULL.
 */
void gcu_job_restart(struct gcu_job *j);

/* Counts a rejected input line and reports it with its number and why. */
void gcu_engine_reject(struct gcu_engine *e, unsigned long lineno, const char *why);

/*
 * Ends the run with an error: "what: strerror(errnum)", or what alone for
 * errnum 0. The first error is kept. Callable from any callback.
 */
void gcu_engine_fatal(struct gcu_engine *e, const char *what, int errnum);

#endif
