/*
 * summary.h - a stage's counts as one JSON object (--summary FILE), for
 * run.sh and gcu-report.
 *
 * The one-line summary on stderr is for people and may be reworded; this
 * file is for programs, so that nobody reads numbers out of wording. The
 * object always holds
 *   {"program","version","exit","elapsed","error","line","rejects", ...counts}
 * exit being the stage's exit status, elapsed the seconds since
 * gcu_summary_open, error the reason the stage stopped (null when it did
 * not), line the summary line the stage said for people (null before it
 * said one; run.sh shows it as it is, never reads numbers in it), rejects
 * the first GCU_SUMMARY_MAX_REJECTS rejected input lines as
 * {"src":"file:line","why"}, and then the stage's own counts, which its
 * man page lists.
 *
 * A stage opens the summary right after reading its options, sets every
 * count to zero at once and to its value when known, and the summary is
 * written when the process exits, through every exit(3) and every return
 * from main, whatever the status: a run stopped by a usage error (64), bad
 * input (65), an unavailable platform (69), a failed write (74), a signal
 * (75) or refused credentials (77) still leaves its numbers. A process
 * killed by a signal it does not catch leaves none.
 *
 * Setters never fail visibly: when memory runs out the summary remembers
 * it and writing it reports the error. With no path every call does
 * nothing, so that a stage pays nothing without --summary.
 */
#ifndef GCU_SUMMARY_H
#define GCU_SUMMARY_H

#include <stddef.h>

#include <json-c/json.h>

#include "bulkread.h"

/* How many rejected lines a summary lists (the count has them all). */
#define GCU_SUMMARY_MAX_REJECTS 100

/* printf-like; warnx(3) fits. */
typedef void (*gcu_summary_complain_fn)(const char *fmt, ...);

struct gcu_summary {
	const char *path;                 /* borrowed; NULL: nothing is kept or written */
	double started;                   /* gcu_now() when opened */
	json_object *obj;                 /* the object being built */
	int oom;                          /* a setter ran out of memory */
	gcu_summary_complain_fn complain; /* told when the file cannot be written at exit */
};

/*
 * Starts the summary of program (e.g. "gcu-merge") to be written to path
 * at exit (path NULL: s stays inert, nothing is registered). Registers an
 * exit handler (on_exit(3)) that writes the file with the exit status and
 * frees s; when that fails, complain (may be NULL) gets "path: reason".
 * s and path must live until exit: use a static struct. Call at most once
 * per process. Returns 0, or -1 when out of memory or the handler could
 * not be registered.
 */
int gcu_summary_open(struct gcu_summary *s, const char *program, const char *path,
                     gcu_summary_complain_fn complain);

/*
 * Sets a count: key at the top level when section is NULL, else inside
 * the object section (made on first use). Replaces an earlier value.
 */
void gcu_summary_count(struct gcu_summary *s, const char *section, const char *key,
                       unsigned long n);

/* Makes the object section (empty) unless it is there. */
void gcu_summary_section(struct gcu_summary *s, const char *section);

/* Adds n to a count (0 when it was not set). */
void gcu_summary_add(struct gcu_summary *s, const char *section, const char *key, unsigned long n);

/* Sets a number, written with three decimals; NaN and infinities are null. */
void gcu_summary_number(struct gcu_summary *s, const char *section, const char *key, double v);

/* Sets true or false. */
void gcu_summary_flag(struct gcu_summary *s, const char *section, const char *key, int on);

/* Sets a string (copied); NULL sets a null. */
void gcu_summary_text(struct gcu_summary *s, const char *section, const char *key,
                      const char *text);

/* Sets a null. */
void gcu_summary_null(struct gcu_summary *s, const char *section, const char *key);

/*
 * Sets the counts of a stage's bulk reads (gcu-fetch, gcu-verify): reads
 * (batches read), requests (sent, retries included), http_429, retries,
 * refreshes, capped and blind.
 */
void gcu_summary_reads(struct gcu_summary *s, const struct gcu_bulk_stats *st);

/*
 * Records why the stage stops, formatted as printf does. The first reason
 * given stays: it is the cause, what follows is usually its consequence.
 * errno is kept, so that err(3) can follow.
 */
void gcu_summary_error(struct gcu_summary *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Lists a rejected input line (name:line, why; copied), the first
 * GCU_SUMMARY_MAX_REJECTS of them. */
void gcu_summary_reject(struct gcu_summary *s, const char *name, unsigned long line,
                        const char *why);

/*
 * Writes the object with exit and elapsed to the path given to
 * gcu_summary_open: one line of JSON in a temporary file beside it, mode
 * 0600 whatever the umask (a summary can quote personal data in its
 * rejects), renamed into place when complete. The exit handler calls this;
 * it is exposed for the tests. Returns 0 (also when s is inert), or -1 with
 * "path: reason" in err.
 */
int gcu_summary_write(struct gcu_summary *s, int exit_code, char *err, size_t errlen);

/* Frees what s holds; s is inert afterwards. */
void gcu_summary_free(struct gcu_summary *s);

#endif
