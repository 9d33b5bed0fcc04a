/*
 * snapshot.c - loading an org export into a json-c object used as a hash
 * table from lower-case id to user document.
 */
#include "snapshot.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_access.h"
#include "ndjson.h"
#include "record_loop.h"
#include "uuid.h"

struct gcu_snapshot {
	json_object *by_id;
};

static void lower_id(const char *id, char out[37])
{
	size_t i = 0;
	for (; i < 36 && id[i]; i++)
		out[i] = (char)tolower((unsigned char)id[i]);
	out[i] = '\0';
}

struct loading {
	struct gcu_snapshot *s;
	char *err; /* where the first bad line is told, as path:line: why */
	size_t errlen;
};

/* Adds one user by its id; a user without one, or twice, is refused. */
static int add_user(void *ctx, json_object *user, unsigned long line, char *why, size_t whylen,
                    char *err, size_t errlen)
{
	struct loading *l = ctx;
	const char *id = gcu_json_str(user, "id");
	char key[37];

	(void)line, (void)err, (void)errlen;
	if (!gcu_uuid_valid(id)) {
		snprintf(why, whylen, "user without a UUID id");
		return 1;
	}
	lower_id(id, key);
	if (json_object_object_get_ex(l->s->by_id, key, NULL)) {
		snprintf(why, whylen, "user %s appears twice", id);
		return 1;
	}
	json_object_object_add(l->s->by_id, key, json_object_get(user));
	return 0;
}

static void refuse(void *ctx, const char *name, unsigned long line, const char *msg)
{
	struct loading *l = ctx;
	snprintf(l->err, l->errlen, "%s:%lu: %s", name, line, msg);
}

struct gcu_snapshot *gcu_snapshot_load(const char *path, size_t max_line, char *err, size_t errlen)
{
	struct ndjson_reader r;
	struct gcu_loop_stats st = {0};
	struct gcu_snapshot *s = calloc(1, sizeof *s);
	struct loading l = {s, err, errlen};
	int rc;

	if (s == NULL || (s->by_id = json_object_new_object()) == NULL) {
		snprintf(err, errlen, "out of memory");
		gcu_snapshot_free(s);
		return NULL;
	}
	if (ndjson_reader_open(&r, path, max_line) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		gcu_snapshot_free(s);
		return NULL;
	}
	/* An export is all or nothing: the first bad line stops the load. */
	rc = gcu_record_loop(&r, add_user, refuse, &l, 1, &st, err, errlen);
	ndjson_reader_close(&r);
	if (rc != 0) {
		gcu_snapshot_free(s);
		return NULL;
	}
	return s;
}

json_object *gcu_snapshot_get(const struct gcu_snapshot *s, const char *id)
{
	char key[37];
	json_object *user = NULL;
	if (!gcu_uuid_valid(id))
		return NULL;
	lower_id(id, key);
	json_object_object_get_ex(s->by_id, key, &user);
	return user;
}

size_t gcu_snapshot_count(const struct gcu_snapshot *s)
{
	return (size_t)json_object_object_length(s->by_id);
}

void gcu_snapshot_free(struct gcu_snapshot *s)
{
	if (s == NULL)
		return;
	json_object_put(s->by_id);
	free(s);
}
