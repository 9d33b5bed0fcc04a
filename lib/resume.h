/*
 * resume.h - what an earlier run of gcu-send already finished.
 *
 * --resume RESULTS reads a results file and remembers every request whose
 * status was ok or unchanged, keyed by where it came from (src), its op,
 * its path and its part (chunks of one bulk change share the rest). A
 * group request has a result per member, each with the member's src, so
 * each member is remembered apart. A truncated last line, as a killed run
 * leaves, is skipped and counted, not fatal.
 */
#ifndef GCU_RESUME_H
#define GCU_RESUME_H

#include <stddef.h>

#include <json-c/json.h>

struct gcu_resume;

/*
 * Loads path. Returns the set (possibly empty), or NULL with err set when
 * the file cannot be read. *bad counts lines that were not JSON objects.
 */
struct gcu_resume *gcu_resume_load(const char *path, size_t max_line, unsigned long *bad, char *err,
                                   size_t errlen);

/*
 * Builds the key of a request or result record into buf: src, op, path
 * (without its query, which for a group request names the members) and
 * part (the chunk number of a bulk change split in several requests).
 * Returns 0, or -1 when the record lacks src, op or path, or buf is too
 * small.
 */
int gcu_resume_key(json_object *rec, char *buf, size_t len);

/* The same from its parts: for a member of a group request, the member's
 * src and the request's op and path (part 0). */
int gcu_resume_key_of(const char *src, const char *op, const char *path, int part, char *buf,
                      size_t len);

/* The earlier result line (borrowed) when key finished, else NULL. */
json_object *gcu_resume_done(const struct gcu_resume *r, const char *key);

/* Number of finished requests held. */
size_t gcu_resume_count(const struct gcu_resume *r);

void gcu_resume_free(struct gcu_resume *r);

#endif
