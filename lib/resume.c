/*
 * resume.c - the set of requests an earlier gcu-send run finished.
 */
#include "resume.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_access.h"
#include "ndjson.h"
#include "record_loop.h"

struct gcu_resume {
	json_object *done; /* key -> result line */
};

int gcu_resume_key_of(const char *src, const char *op, const char *path, int part, char *buf,
                      size_t len)
{
	if (src == NULL || op == NULL || path == NULL)
		return -1;
	/* The query of a group request names its members, who may be fewer
	 * when it is sent again: the request is the path before it. */
	int w = snprintf(buf, len, "%s|%s|%.*s|%d", src, op, (int)strcspn(path, "?"), path, part);
	return (w < 0 || (size_t)w >= len) ? -1 : 0;
}

int gcu_resume_key(json_object *rec, char *buf, size_t len)
{
	json_object *part = gcu_json_get(rec, "part");

	return gcu_resume_key_of(gcu_json_str(rec, "src"), gcu_json_str(rec, "op"),
	                         gcu_json_str(rec, "path"), part ? json_object_get_int(part) : 0,
	                         buf, len);
}

/* Keeps a result line of a request that is done: ok or unchanged. */
static int keep_done(void *ctx, json_object *rec, unsigned long line, char *why, size_t whylen,
                     char *err, size_t errlen)
{
	struct gcu_resume *res = ctx;
	const char *status = gcu_json_str(rec, "status");
	char key[2200];

	(void)line, (void)why, (void)whylen, (void)err, (void)errlen;
	if (gcu_resume_key(rec, key, sizeof key) == 0 && status &&
	    (strcmp(status, "ok") == 0 || strcmp(status, "unchanged") == 0))
		json_object_object_add(res->done, key, json_object_get(rec));
	return 0;
}

struct gcu_resume *gcu_resume_load(const char *path, size_t max_line, unsigned long *bad, char *err,
                                   size_t errlen)
{
	struct ndjson_reader r;
	struct gcu_loop_stats st = {0};
	struct gcu_resume *res = calloc(1, sizeof *res);
	int rc;

	*bad = 0;
	if (res == NULL || (res->done = json_object_new_object()) == NULL) {
		snprintf(err, errlen, "out of memory");
		gcu_resume_free(res);
		return NULL;
	}
	if (ndjson_reader_open(&r, path, max_line) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		gcu_resume_free(res);
		return NULL;
	}
	/* A line that is not a result (cut short by the interruption, most
	 * likely) is counted, not fatal: its request is sent again. */
	rc = gcu_record_loop(&r, keep_done, NULL, res, 0, &st, err, errlen);
	ndjson_reader_close(&r);
	*bad = st.rejected;
	if (rc < 0) {
		gcu_resume_free(res);
		return NULL;
	}
	return res;
}

json_object *gcu_resume_done(const struct gcu_resume *r, const char *key)
{
	json_object *line = NULL;
	if (r == NULL || !json_object_object_get_ex(r->done, key, &line))
		return NULL;
	return line;
}

size_t gcu_resume_count(const struct gcu_resume *r)
{
	return r ? (size_t)json_object_object_length(r->done) : 0;
}

void gcu_resume_free(struct gcu_resume *r)
{
	if (r == NULL)
		return;
	json_object_put(r->done);
	free(r);
}
