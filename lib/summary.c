/*
 * summary.c - a stage's counts as one JSON object, written at exit (see
 * summary.h).
 *
 * The file goes through ndjson's atomic writer (a temporary name beside
 * the target, renamed when complete), so that a reader never sees half a
 * summary, and the exit handler is the only writer, so that every exit
 * after the options leaves one.
 */
#include "summary.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "ndjson.h"
#include "version.h"

static void at_exit(int status, void *arg)
{
	struct gcu_summary *s = arg;
	char why[1024];

	if (gcu_summary_write(s, status, why, sizeof why) < 0 && s->complain)
		s->complain("%s", why);
	gcu_summary_free(s);
}

/* Adds value under key (taking the reference), or notes that memory ran
 * out; value NULL means the JSON null unless want is set. */
static void put(struct gcu_summary *s, json_object *where, const char *key, json_object *value,
                int want)
{
	if (want && value == NULL) {
		s->oom = 1;
		return;
	}
	if (json_object_object_add(where, key, value) < 0) {
		json_object_put(value);
		s->oom = 1;
	}
}

/* The object a key goes in: the summary, or its section (made on first
 * use). NULL when s is inert or memory ran out. */
static json_object *place(struct gcu_summary *s, const char *section)
{
	json_object *sec = NULL;

	if (s->obj == NULL)
		return NULL;
	if (section == NULL)
		return s->obj;
	if (json_object_object_get_ex(s->obj, section, &sec) &&
	    json_object_is_type(sec, json_type_object))
		return sec;
	sec = json_object_new_object();
	put(s, s->obj, section, sec, 1);
	return s->oom ? NULL : sec;
}

int gcu_summary_open(struct gcu_summary *s, const char *program, const char *path,
                     gcu_summary_complain_fn complain)
{
	memset(s, 0, sizeof *s);
	if (path == NULL)
		return 0;
	s->obj = json_object_new_object();
	if (s->obj == NULL)
		return -1;
	s->path = path;
	s->complain = complain;
	s->started = gcu_now();
	put(s, s->obj, "program", json_object_new_string(program), 1);
	put(s, s->obj, "version", json_object_new_string(GCU_VERSION), 1);
	put(s, s->obj, "exit", NULL, 0);
	put(s, s->obj, "elapsed", NULL, 0);
	put(s, s->obj, "error", NULL, 0);
	put(s, s->obj, "line", NULL, 0);
	put(s, s->obj, "rejects", json_object_new_array(), 1);
	/* on_exit, not atexit: the handler needs the exit status. */
	if (s->oom || on_exit(at_exit, s) != 0) {
		gcu_summary_free(s);
		return -1;
	}
	return 0;
}

void gcu_summary_count(struct gcu_summary *s, const char *section, const char *key, unsigned long n)
{
	json_object *where = place(s, section);
	if (where)
		put(s, where, key, json_object_new_int64((int64_t)n), 1);
}

void gcu_summary_section(struct gcu_summary *s, const char *section)
{
	(void)place(s, section);
}

void gcu_summary_add(struct gcu_summary *s, const char *section, const char *key, unsigned long n)
{
	json_object *where = place(s, section), *old = NULL;

	if (where == NULL)
		return;
	if (json_object_object_get_ex(where, key, &old) && json_object_is_type(old, json_type_int))
		n += (unsigned long)json_object_get_int64(old);
	put(s, where, key, json_object_new_int64((int64_t)n), 1);
}

void gcu_summary_number(struct gcu_summary *s, const char *section, const char *key, double v)
{
	json_object *where = place(s, section);
	char text[64];

	if (where == NULL)
		return;
	if (!isfinite(v)) {
		put(s, where, key, NULL, 0);
		return;
	}
	/* Three decimals as text, so that the file says 1.5, not 1.4999999. */
	int n = snprintf(text, sizeof text, "%.3f", v);
	if (n < 0 || (size_t)n >= sizeof text) {
		put(s, where, key, NULL, 0);
		return;
	}
	put(s, where, key, json_object_new_double_s(strtod(text, NULL), text), 1);
}

void gcu_summary_flag(struct gcu_summary *s, const char *section, const char *key, int on)
{
	json_object *where = place(s, section);
	if (where)
		put(s, where, key, json_object_new_boolean(on != 0), 1);
}

void gcu_summary_text(struct gcu_summary *s, const char *section, const char *key, const char *text)
{
	json_object *where = place(s, section);
	if (where)
		put(s, where, key, text ? json_object_new_string(text) : NULL, text != NULL);
}

void gcu_summary_null(struct gcu_summary *s, const char *section, const char *key)
{
	json_object *where = place(s, section);
	if (where)
		put(s, where, key, NULL, 0);
}

void gcu_summary_reads(struct gcu_summary *s, const struct gcu_bulk_stats *st)
{
	gcu_summary_count(s, NULL, "reads", st->batches_ok);
	gcu_summary_count(s, NULL, "requests", st->sent);
	gcu_summary_count(s, NULL, "http_429", st->http_429);
	gcu_summary_count(s, NULL, "retries", st->retries);
	gcu_summary_count(s, NULL, "refreshes", st->refreshes);
	gcu_summary_count(s, NULL, "capped", st->capped);
	gcu_summary_flag(s, NULL, "blind", st->blind);
}

void gcu_summary_error(struct gcu_summary *s, const char *fmt, ...)
{
	json_object *old = NULL;
	char why[1024];
	int saved = errno;
	va_list ap;

	if (s->obj == NULL || (json_object_object_get_ex(s->obj, "error", &old) && old != NULL))
		return;
	va_start(ap, fmt);
	int n = vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	/* A reason cut at 1023 bytes still says what happened. */
	if (n >= 0)
		put(s, s->obj, "error", json_object_new_string(why), 1);
	errno = saved;
}

void gcu_summary_reject(struct gcu_summary *s, const char *name, unsigned long line,
                        const char *why)
{
	json_object *list = NULL, *r;
	char src[4096];

	if (s->obj == NULL || !json_object_object_get_ex(s->obj, "rejects", &list) ||
	    json_object_array_length(list) >= GCU_SUMMARY_MAX_REJECTS)
		return;
	int n = snprintf(src, sizeof src, "%s:%lu", name ? name : "-", line);
	if (n < 0 || (size_t)n >= sizeof src)
		snprintf(src, sizeof src, "-:%lu", line);
	r = json_object_new_object();
	if (r == NULL) {
		s->oom = 1;
		return;
	}
	put(s, r, "src", json_object_new_string(src), 1);
	put(s, r, "why", json_object_new_string(why ? why : ""), 1);
	if (json_object_array_add(list, r) < 0) {
		json_object_put(r);
		s->oom = 1;
	}
}

int gcu_summary_write(struct gcu_summary *s, int exit_code, char *err, size_t errlen)
{
	struct ndjson_writer w;

	if (s->obj == NULL)
		return 0;
	put(s, s->obj, "exit", json_object_new_int(exit_code), 1);
	gcu_summary_number(s, NULL, "elapsed", gcu_now() - s->started);
	if (s->oom) {
		snprintf(err, errlen, "%s: out of memory", s->path);
		return -1;
	}
	if (ndjson_writer_open_atomic(&w, s->path) < 0) {
		snprintf(err, errlen, "%s: %s", s->path, strerror(errno));
		return -1;
	}
	if (fchmod(fileno(w.fp), 0600) < 0 && w.error == 0)
		w.error = errno;
	ndjson_write(&w, s->obj);
	int rc = ndjson_writer_close(&w);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", s->path, strerror(w.error));
	ndjson_writer_free(&w);
	return rc;
}

void gcu_summary_free(struct gcu_summary *s)
{
	json_object_put(s->obj);
	s->obj = NULL;
	s->path = NULL;
}
