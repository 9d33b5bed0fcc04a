/*
 * snapshot.h - a captured export of the org (one platform user document
 * a line) held in memory and indexed by id, for offline fetches.
 */
#ifndef GCU_SNAPSHOT_H
#define GCU_SNAPSHOT_H

#include <stddef.h>

#include <json-c/json.h>

struct gcu_snapshot;

/*
 * Loads path. Returns the index, or NULL with "path:line: why" in err for
 * an unreadable file, a line that is not a JSON object, too long, or has
 * no UUID id, and for the same id twice.
 */
struct gcu_snapshot *gcu_snapshot_load(const char *path, size_t max_line, char *err, size_t errlen);

/* The user document for id (borrowed; NULL when absent). Case of the id's
 * letters does not matter. */
json_object *gcu_snapshot_get(const struct gcu_snapshot *s, const char *id);

/* Number of users held. */
size_t gcu_snapshot_count(const struct gcu_snapshot *s);

void gcu_snapshot_free(struct gcu_snapshot *s);

#endif
