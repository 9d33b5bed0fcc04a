/*
 * bulkread.h - gcu-fetch's and gcu-verify's client of the network engine
 * (engine.h).
 *
 * Reads records, lets the stage say which user (and scope) each one needs,
 * groups the ids of consecutive records into batches of fetch.batch (at
 * most 100 distinct ids) and reads every batch with one
 *   GET /api/v2/users?id=a&id=b…&pageSize=100&state=any
 * (plus &expand=skills,languages,routingStatus,team when a record of the
 * batch is of the routing scope). Queue memberships are not part of a user
 * document: the queues the records name are read instead, each once a
 * run, from its member pages
 *   GET /api/v2/routing/queues/{id}/members?pageSize=100&pageNumber=n
 * by a job of its own, started when a record first names it; the batch
 * that takes that record waits (held, still taking records) until the
 * queue is read, so that batches stay full and outcomes keep the input's
 * order. Each user read is handed over with "queues":[{"id"}…], the
 * queues read that it is in (userdoc.h); a record whose queue cannot be
 * read gets that queue's error. Several batches are in flight at once within
 * the concurrency bound, paced by the pacer (pacer.h): a 429 pauses all
 * dispatch for Retry-After, 5xx and transport errors back off with jitter,
 * attempts are bounded, and a batch that fails for good gives every one of
 * its records an error, never silence. A 200 without an "entities" list
 * (a proxy answering for a throttled platform) counts as a 429. A 401
 * renews the token; refused credentials, and a platform that stays
 * unavailable, stop the run (engine.h says when). Outcomes reach the
 * stage in input order: a batch that finishes early waits for its
 * predecessors. Only a bounded number of batches is read ahead, so memory
 * stays flat however long the input is.
 */
#ifndef GCU_BULKREAD_H
#define GCU_BULKREAD_H

#include <stddef.h>

#include <json-c/json.h>

#include "config.h"
#include "engine.h"

/* What the stage wants done with one input record. */
enum gcu_bulk_take {
	GCU_BULK_READ,   /* read the user: *id and *scope are set */
	GCU_BULK_QUEUES, /* as READ, but only the queues in *queues are needed: the user is not
	                    read, its outcome's user is {"id","queues"} from the member pages */
	GCU_BULK_SKIP,   /* nothing to read and nothing to write (the stage counts it) */
	GCU_BULK_REJECT  /* not a record the stage takes: why is filled, it is reported */
};

/*
 * Decides about rec (borrowed). For GCU_BULK_READ, *id must point to a
 * UUID (gcu_uuid_valid) that lives as long as rec, and *scope to its
 * scope; anything else that is returned as READ is rejected by the engine.
 * *queues (NULL on entry) may be set to an object of rec whose keys are
 * the queues whose members the record needs (its "queues" change).
 */
typedef enum gcu_bulk_take (*gcu_bulk_accept_fn)(void *ctx, json_object *rec, const char **id,
                                                 enum gcu_scope *scope, json_object **queues,
                                                 char *why, size_t whylen);

enum gcu_bulk_result {
	GCU_BULK_FOUND,       /* user is the user's document */
	GCU_BULK_NOT_FOUND,   /* the platform answered without this user (status 404) */
	GCU_BULK_FAILED,      /* the batch failed for good: status (HTTP or 0) and message */
	GCU_BULK_INTERRUPTED, /* a stop came before the user was read (status 0) */
	GCU_BULK_NRESULTS
};

/* The outcome for one READ record; every pointer is valid during the call only. */
struct gcu_bulk_outcome {
	json_object *rec;  /* the record */
	const char *id;    /* its user id */
	json_object *user; /* the user document, or NULL */
	enum gcu_bulk_result result;
	int status;          /* 404, the HTTP status of the failure, or 0 */
	const char *message; /* why the user is missing, or NULL when found */
};

/* Receives one outcome. Returns 0, or -1 with err filled to stop the run. */
typedef int (*gcu_bulk_emit_fn)(void *ctx, const struct gcu_bulk_outcome *oc, char *err,
                                size_t errlen);

/*
 * Receives every user document of a successful answer whose id was asked
 * for, once per batch, in batch order, before that batch's outcomes.
 * Returns 0, or -1 with err filled to stop the run.
 */
typedef int (*gcu_bulk_user_fn)(void *ctx, json_object *user, char *err, size_t errlen);

struct gcu_bulk_stats {
	union {
		struct gcu_engine_stats net; /* what the engine counts (rejected: malformed
		                                lines and records the stage refused): */
		struct {
			GCU_ENGINE_STATS_FIELDS
		};
	};
	unsigned long skipped; /* records the stage skipped */
	unsigned long queued;  /* records that wait for a read */
	unsigned long results[GCU_BULK_NRESULTS];
	unsigned long batches;     /* batches formed */
	unsigned long batches_ok;  /* batches read */
	unsigned long batches_bad; /* batches that failed for good (unavailable: of those, for
	                              want of the platform) */
	unsigned long queues;      /* queues whose members were asked for */
	unsigned long queue_pages; /* pages of queue members read */
};

struct gcu_bulk_opts {
	union {
		struct gcu_engine_opts net; /* what every engine client takes (cfg: fetch_batch
		                               too; in: the records): */
		struct {
			GCU_ENGINE_OPTS_FIELDS
		};
	};
	int always_expand; /* expand every batch (complete documents for a capture) */
	gcu_bulk_accept_fn accept;
	gcu_bulk_emit_fn emit;
	gcu_bulk_user_fn user; /* may be NULL */
	void (*progress)(void *ctx,
	                 const struct gcu_bulk_stats *st); /* twice a second; may be NULL */
};

/*
 * Runs until every record is read and emitted, or a stop. After a stop
 * every record not read yet, the rest of the input included, still gets
 * its outcome, so nothing vanishes: GCU_BULK_INTERRUPTED (status 0) after
 * a signal, GCU_BULK_FAILED with the 401/403 when the platform refused
 * the credentials, or with the last 5xx (0 for a transport error) when it
 * stayed unavailable. Returns 0 when finished, EX_TEMPFAIL after a
 * signal, EX_NOPERM when the platform refused the credentials,
 * EX_UNAVAILABLE when it stayed unavailable (err then says why the run
 * stopped), or -1 with err filled when
 * the input could not be read, emit or user asked to stop, memory ran out
 * or the loop failed. o, st and err must not be NULL; o->http must not be
 * NULL; st is filled from zero. After a second signal or an error,
 * transfers may still be queued in o->http pointing into memory that is
 * freed: free the loop then, do not run it again.
 */
int gcu_bulk_run(const struct gcu_bulk_opts *o, struct gcu_bulk_stats *st, char *err,
                 size_t errlen);

/*
 * Writes ", N pages of Q queues' members" into buf (len bytes) when queue
 * members were asked for, else "": the part of a stage's summary line
 * about them. Returns buf.
 */
const char *gcu_bulk_queue_words(const struct gcu_bulk_stats *st, char *buf, size_t len);

/*
 * Builds the path and query of one bulk read of n ids (1 to 100, each a
 * UUID) into buf. Returns the length, or -1 when an id is not a UUID, n is
 * out of range or buf is too small (nothing useful is left in buf then).
 */
int gcu_bulk_path(char *buf, size_t len, const char *const *ids, size_t n, int expand);

#endif
