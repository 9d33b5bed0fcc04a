/*
 * pageread.c - the listings reader of pageread.h: one engine job a page.
 *
 * The engine is driven by input lines; this reader's input is the list of
 * listings, one line each (its number), in an anonymous memory file, so
 * that the engine reads it like any other input and nothing is changed in
 * its loop. The first page of each listing is a job made from its line;
 * the pages after it are jobs the answers add, sealed at once. Pages are
 * handed over as soon as they finish: their order does not matter.
 */
#include "pageread.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sysexits.h>
#include <unistd.h>

#include "json_access.h"

#define READAHEAD_MIN 8
#define CURSOR_MAX    256

struct page_job {
	struct gcu_job job;
	struct gcu_listing *l;
	long page;              /* numbered: its number; cursor: its place from 1 */
	char after[CURSOR_MAX]; /* cursor: where it starts, "" for the first */
	json_object *answer;    /* the page, kept by usable for answered */
};

/* The reader's side of a run; core first, so that the engine's callbacks
 * find the rest. */
struct preader {
	struct gcu_engine core;
	const struct gcu_page_opts *o;
	struct gcu_page_stats *st;
	int failed; /* a page failed for good */
};

static void add_page(struct preader *r, struct gcu_listing *l, long page, const char *after)
{
	struct page_job *j = calloc(1, sizeof *j);

	if (j == NULL) {
		gcu_engine_fatal(&r->core, "reading pages", ENOMEM);
		return;
	}
	j->l = l;
	j->page = page;
	snprintf(j->after, sizeof j->after, "%s", after ? after : "");
	j->job.scope = GCU_SCOPE_NON_ROUTING;
	j->job.sealed = 1;
	gcu_engine_add(&r->core, &j->job);
}

/* The engine's line callback: a listing's number; its first page. */
static void take_line(struct gcu_engine *core, const char *line, size_t len, unsigned long lineno)
{
	struct preader *r = (struct preader *)core;
	char *end = NULL;
	unsigned long i = strtoul(line, &end, 10);
	(void)lineno;

	r->st->records++;
	if (end != line + len || i >= r->o->nlistings) {
		gcu_engine_fatal(core, "reading pages: a listing that is not there", 0);
		return;
	}
	struct gcu_listing *l = &r->o->listings[i];
	l->total = l->page_count = -1;
	l->pages = 0;
	add_page(r, l, l->paging == GCU_PAGING_NUMBERED ? l->first_page : 1, "");
}

static void send_page(struct gcu_engine *core, struct gcu_job *j, double now)
{
	struct page_job *p = (struct page_job *)j;
	struct gcu_listing *l = p->l;
	char path[1024];
	char sep = strchr(l->path, '?') ? '&' : '?';
	const char *body = NULL;
	size_t len = 0;
	int n;

	if (l->search) {
		json_object_object_add(l->search, "pageSize", json_object_new_int(l->page_size));
		json_object_object_add(l->search, "pageNumber", json_object_new_int64(p->page));
		body = ndjson_string(l->search, &len);
		n = snprintf(path, sizeof path, "%s", l->path);
	} else if (l->paging == GCU_PAGING_NUMBERED) {
		n = snprintf(path, sizeof path, "%s%cpageSize=%d&pageNumber=%ld", l->path, sep,
		             l->page_size, p->page);
	} else {
		n = snprintf(path, sizeof path, "%s%cpageSize=%d%s%s", l->path, sep, l->page_size,
		             p->after[0] ? "&after=" : "", p->after);
	}
	if (n < 0 || (size_t)n >= sizeof path) {
		core->c->failed(core, j, 0, "the request does not fit");
		return;
	}
	(void)gcu_engine_submit(core, j, l->search ? "POST" : "GET", path, body, len, now);
}

/* A page's entities: "results" for a search, "entities" otherwise. */
static json_object *entities_of(const struct page_job *p, json_object *answer)
{
	json_object *e = gcu_json_get(answer, p->l->search ? "results" : "entities");
	return json_object_is_type(e, json_type_array) ? e : NULL;
}

/* A 2xx holds a page, or it stands for the 429 a proxy hid. */
static int usable(struct gcu_engine *core, struct gcu_job *j, const struct gcu_http_response *resp,
                  char *why, size_t whylen)
{
	struct page_job *p = (struct page_job *)j;
	json_object *answer = resp->body_len ? json_tokener_parse(resp->body) : NULL;
	(void)core;

	if (entities_of(p, answer) == NULL) {
		json_object_put(answer);
		snprintf(why, whylen, "without a page of entities");
		return -1;
	}
	json_object_put(p->answer);
	p->answer = answer;
	return 0;
}

static long number_of(json_object *answer, const char *key)
{
	json_object *v = gcu_json_get(answer, key);
	return json_object_is_type(v, json_type_int) ? (long)json_object_get_int64(v) : -1;
}

/* The cursor of a nextUri: its "after" parameter, which must be plain
 * (it goes into a path of our own). Returns 0, or -1. */
static int cursor_of(const char *uri, char *after, size_t len)
{
	const char *a = uri ? strstr(uri, "after=") : NULL;
	size_t n = 0;

	if (a == NULL || (a != uri && a[-1] != '?' && a[-1] != '&'))
		return -1;
	for (a += 6; a[n] && a[n] != '&'; n++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~%-",
		            a[n]))
			return -1;
	if (n == 0 || n >= len)
		return -1;
	memcpy(after, a, n);
	after[n] = '\0';
	return 0;
}

/* The pages that follow p, now that its answer is read. */
static void next_pages(struct preader *r, struct page_job *p, json_object *answer, size_t got)
{
	struct gcu_listing *l = p->l;

	if (l->paging == GCU_PAGING_CURSOR) {
		const char *next = gcu_json_str(answer, "nextUri");
		char after[CURSOR_MAX];
		if (next == NULL)
			return;
		if (cursor_of(next, after, sizeof after) < 0) {
			r->core.c->failed(&r->core, &p->job, 200, "a nextUri without a cursor");
			return;
		}
		add_page(r, l, p->page + 1, after);
		return;
	}
	long total = number_of(answer, "total"), count = number_of(answer, "pageCount");
	if (count < 0 && total >= 0)
		count = (total + l->page_size - 1) / l->page_size;
	if (p->page == l->first_page) {
		l->total = total;
		l->page_count = count;
		long last = count;
		if (l->last_page > 0 && (last < 0 || l->last_page < last))
			last = l->last_page;
		for (long n = p->page + 1; count >= 0 && n <= last; n++)
			add_page(r, l, n, "");
	}
	/* An answer that does not say how many pages there are: one after
	 * the other, while they come full. */
	if (l->page_count < 0 && got == (size_t)l->page_size &&
	    (l->last_page == 0 || p->page < l->last_page))
		add_page(r, l, p->page + 1, "");
}

static void failed(struct gcu_engine *core, struct gcu_job *j, long status, const char *why)
{
	struct page_job *p = (struct page_job *)j;
	char msg[600];

	j->done = 1;
	if (core->fatal)
		return;
	((struct preader *)core)->failed = 1;
	/* why names the status when there was one (gcu_http_error_message). */
	(void)status;
	snprintf(msg, sizeof msg, "%s, page %ld: %s", p->l->what, p->page, why);
	gcu_engine_fatal(core, msg, 0);
}

static void answered(struct gcu_engine *core, struct gcu_job *j,
                     const struct gcu_http_response *resp, long status, double now)
{
	struct preader *r = (struct preader *)core;
	struct page_job *p = (struct page_job *)j;
	char err[512], msg[400];
	(void)now;

	if (status < 200 || status >= 300) {
		gcu_http_error_message(resp, msg, sizeof msg);
		failed(core, j, status, msg);
		return;
	}
	json_object *entities = entities_of(p, p->answer);
	j->done = 1;
	p->l->pages++;
	r->st->pages++;
	if (r->o->page(r->o->page_ctx, p->l, entities, err, sizeof err) < 0) {
		gcu_engine_fatal(core, err, 0);
		return;
	}
	next_pages(r, p, p->answer, json_object_array_length(entities));
	json_object_put(p->answer);
	p->answer = NULL;
}

static void stopped(struct gcu_engine *core, struct gcu_job *j, const struct gcu_engine_stop *s)
{
	(void)core;
	(void)s;
	j->done = 1; /* all or nothing: the caller says why the run stopped */
}

static void retire(struct gcu_engine *core, struct gcu_job *j)
{
	struct page_job *p = (struct page_job *)j;
	(void)core;
	json_object_put(p->answer);
	free(p);
}

static void progress(struct gcu_engine *core)
{
	struct preader *r = (struct preader *)core;
	if (r->o->progress)
		r->o->progress(r->o->page_ctx, r->st->pages, r->st->sent);
}

/* The engine's input: the listings' numbers, one a line. */
static int listing_input(size_t n, char *err, size_t errlen)
{
	int fd = memfd_create("gcu-listings", MFD_CLOEXEC);
	char line[32];

	if (fd < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		int len = snprintf(line, sizeof line, "%zu\n", i);
		if (write(fd, line, (size_t)len) != len)
			goto fail;
	}
	if (lseek(fd, 0, SEEK_SET) == 0)
		return fd;
fail:
	snprintf(err, errlen, "listings: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static void no_report(void *ctx, const char *name, unsigned long line, const char *msg)
{
	(void)ctx;
	(void)name;
	(void)line;
	(void)msg;
}

int gcu_page_run(const struct gcu_page_opts *o, struct gcu_page_stats *st, char *err, size_t errlen)
{
	/* in_order, line, too_long, send, usable, answer, failed, stopped, retire, waiting,
	 * progress */
	static const struct gcu_engine_client client = {0,      take_line, NULL,    send_page,
	                                                usable, answered,  failed,  stopped,
	                                                retire, NULL,      progress};
	struct preader r = {.o = o, .st = st};
	struct gcu_engine_opts net = o->net;
	struct ndjson_reader in;
	size_t readahead = 2 * (size_t)o->cfg->concurrency + 2;
	int rc, fd;

	memset(st, 0, sizeof *st);
	fd = listing_input(o->nlistings, err, errlen);
	if (fd < 0)
		return -1;
	if (ndjson_reader_fdopen(&in, fd, "listings", 64) < 0) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return -1;
	}
	net.in = &in;
	if (net.report == NULL)
		net.report = no_report;
	if (readahead < READAHEAD_MIN)
		readahead = READAHEAD_MIN;
	rc = gcu_engine_run(&r.core, &net, &client, readahead, &st->net, err, errlen);
	ndjson_reader_close(&in);
	close(fd);
	if (rc < 0 && r.failed)
		return EX_UNAVAILABLE;
	return rc;
}
