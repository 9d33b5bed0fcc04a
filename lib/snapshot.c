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

struct gcu_snapshot *gcu_snapshot_load(const char *path, size_t max_line, char *err, size_t errlen)
{
	struct ndjson_reader r;
	struct gcu_snapshot *s = calloc(1, sizeof *s);
	char why[256], key[37];

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->by_id = json_object_new_object();
	if (ndjson_reader_open(&r, path, max_line) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		gcu_snapshot_free(s);
		return NULL;
	}
	for (;;) {
		enum ndjson_status st = ndjson_read(&r);
		if (st == NDJSON_EOF)
			break;
		if (st == NDJSON_IO_ERROR || st == NDJSON_AGAIN) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (st == NDJSON_TOO_LONG) {
			snprintf(err, errlen, "%s:%lu: line longer than %zu bytes", path, r.lineno,
			         r.max_line);
			goto fail;
		}
		if (r.line_len == 0)
			continue;
		json_object *user = ndjson_parse_object(r.line, r.line_len, why, sizeof why);
		if (user == NULL) {
			snprintf(err, errlen, "%s:%lu: %s", path, r.lineno, why);
			goto fail;
		}
		const char *id = gcu_json_str(user, "id");
		if (!gcu_uuid_valid(id)) {
			snprintf(err, errlen, "%s:%lu: user without a UUID id", path, r.lineno);
			json_object_put(user);
			goto fail;
		}
		lower_id(id, key);
		if (json_object_object_get_ex(s->by_id, key, NULL)) {
			snprintf(err, errlen, "%s:%lu: user %s appears twice", path, r.lineno, id);
			json_object_put(user);
			goto fail;
		}
		json_object_object_add(s->by_id, key, user);
	}
	ndjson_reader_close(&r);
	return s;
fail:
	ndjson_reader_close(&r);
	gcu_snapshot_free(s);
	return NULL;
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
