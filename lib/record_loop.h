/*
 * record_loop.h - the read-parse-dispatch loop every NDJSON stage shares.
 *
 * It reads lines, skips blank ones, parses each as a JSON object and hands
 * it to the stage's function. A line that is too long or not a JSON object
 * is reported through the report callback with its line number and
 * counted as rejected; so is a record the stage function refuses. Nothing
 * is dropped silently.
 */
#ifndef GCU_RECORD_LOOP_H
#define GCU_RECORD_LOOP_H

#include <stddef.h>

#include <json-c/json.h>

#include "ndjson.h"

/*
 * Called once per record with a borrowed object. Returns 0 when handled,
 * 1 to reject it (why filled), -1 to stop the loop (err filled).
 */
typedef int (*gcu_record_fn)(void *ctx, json_object *rec, unsigned long line, char *why,
                             size_t whylen, char *err, size_t errlen);

/* Receives one rejection: input name, line number, reason. */
typedef void (*gcu_report_fn)(void *ctx, const char *name, unsigned long line, const char *msg);

struct gcu_loop_stats {
	unsigned long records;  /* non-blank lines read */
	unsigned long rejected; /* reported and skipped */
};

/*
 * Runs fn over every record of in; a rejection is counted in st and told
 * to report (NULL: counted only). With stop_on_reject the first
 * rejection ends the loop (returns 1). Returns 0 at the end of input, 1
 * when stopped by a rejection, -1 on a read error or when fn asked to stop
 * (err filled).
 */
int gcu_record_loop(struct ndjson_reader *in, gcu_record_fn fn, gcu_report_fn report, void *ctx,
                    int stop_on_reject, struct gcu_loop_stats *st, char *err, size_t errlen);

#endif
