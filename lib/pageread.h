/*
 * pageread.h - reading the platform's listings page by page: the client of
 * the network engine (engine.h) that gcu-resolve reads the directory, the
 * catalogues and user searches with.
 *
 * A listing is one request whose answer comes in pages: the directory
 * (GET /api/v2/users, up to 500 a page), the catalogues (routing skills,
 * languages, queues, divisions, 100 a page), all numbered (pageNumber,
 * with pageCount in the answer); teams, which go by cursor (after, with
 * nextUri in the answer); and the users search (POST /api/v2/users/search,
 * whose body carries pageSize and pageNumber). The reader sends the first
 * page asked for of every listing. When a numbered answer says how many
 * pages there are, it queues the rest at once, so that they go out side by
 * side within the concurrency bound; a cursor listing goes one page after
 * the other. Every page is paced, retried and stopped as every request of
 * gcu is (engine.h), and its entities reach the caller as its answer
 * comes, in no particular order.
 *
 * Reading is all or nothing: a page that fails for good (its retries
 * spent, or an answer other than a page) stops the run, because a
 * directory read in part would let a user it did not reach pass for one
 * the org does not have.
 */
#ifndef GCU_PAGEREAD_H
#define GCU_PAGEREAD_H

#include <stddef.h>

#include <json-c/json.h>

#include "engine.h"

enum gcu_paging {
	GCU_PAGING_NUMBERED, /* pageNumber, and pageCount (else total) in the answer */
	GCU_PAGING_CURSOR    /* after, and nextUri in the answer while more follow */
};

/* One listing to read. */
struct gcu_listing {
	/* set by the caller */
	const char *what;    /* for messages: "users", "skills", "search 2 of 4" */
	const char *path;    /* path and its own query, without paging: "/api/v2/users?state=any" */
	json_object *search; /* POST this body (pageSize and pageNumber set per page); NULL: GET */
	int page_size;       /* 1 to what the listing allows */
	enum gcu_paging paging;
	long first_page; /* numbered: the first page to read (from 1) */
	long last_page;  /* numbered: the last (0: to the end) */
	int tag;         /* the caller's */
	/* filled by the reader */
	long total;          /* entities in all, as an answer said; -1 unknown */
	long page_count;     /* numbered: pages in all, as an answer said; -1 unknown */
	unsigned long pages; /* pages read */
};

/*
 * Receives the entities of one page of l (the array "entities", or
 * "results" for a search; borrowed, for the call only). Returns 0, or -1
 * with err filled to stop the run.
 */
typedef int (*gcu_page_fn)(void *ctx, struct gcu_listing *l, json_object *entities, char *err,
                           size_t errlen);

struct gcu_page_opts {
	union {
		struct gcu_engine_opts net; /* what every engine client takes (in: unused, the
		                               reader feeds the engine the listings itself): */
		struct {
			GCU_ENGINE_OPTS_FIELDS
		};
	};
	struct gcu_listing *listings; /* read in this order, side by side */
	size_t nlistings;
	gcu_page_fn page;
	void (*progress)(void *ctx, unsigned long pages, unsigned long sent); /* may be NULL */
	void *page_ctx; /* for page and progress (ctx is the stage's, for report and notice) */
};

struct gcu_page_stats {
	union {
		struct gcu_engine_stats net; /* what the engine counts: */
		struct {
			GCU_ENGINE_STATS_FIELDS
		};
	};
	unsigned long pages; /* pages read */
};

/*
 * Reads every page of every listing. o->http must not be NULL; st is
 * filled from zero. Returns 0 when all was read; EX_TEMPFAIL after a
 * signal, EX_NOPERM when the platform refused the credentials,
 * EX_UNAVAILABLE when it stayed unavailable or a page failed for good
 * (err says which and why: "skills, page 2: HTTP 503 …"); -1 with err
 * filled when page asked to stop, memory ran out or the loop failed.
 * After anything but 0, transfers may still be queued in o->http: free
 * the loop, do not run it again.
 */
int gcu_page_run(const struct gcu_page_opts *o, struct gcu_page_stats *st, char *err,
                 size_t errlen);

#endif
