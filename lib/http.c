/*
 * http.c - the libcurl multi loop behind every platform request.
 *
 * Each request is a struct xfer holding an easy handle, its header list
 * and its growing response buffer. Finished xfers go back on a free list
 * and their easy handles are reset and reused; the multi handle keeps the
 * connection cache, so consecutive requests ride on kept-alive
 * connections. Requests beyond max_connections wait on a FIFO queue and
 * start, with their send time stamped, as slots free up. Redirects are
 * never followed, so a bearer token only ever goes to the API host.
 */
#include "http.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "clock.h"
#include "region.h"

#define MAX_TOKEN    ((size_t)16 * 1024)
#define KEEP_BUFFER  ((size_t)64 * 1024) /* response buffers above this are freed */
#define MAX_FREELIST 64

struct xfer {
	struct gcu_http *h;
	CURL *easy;
	struct curl_slist *headers;
	char *buf;
	size_t len, cap;
	int too_big;
	int has_body;
	struct gcu_rate_obs rate;
	double sent_at;
	gcu_http_done_fn done;
	void *user;
	struct xfer *next;  /* wait queue or free list */
	struct xfer *anext; /* list of started transfers */
	struct xfer *aprev;
	char errbuf[CURL_ERROR_SIZE];
};

struct gcu_http {
	CURLM *multi;
	char *base;
	char *bearer;
	char *user_agent;
	long connect_ms, total_ms;
	size_t max_response;
	long max_conn;
	int active;  /* on the multi handle */
	int waiting; /* on the queue */
	struct xfer *queue, *queue_tail;
	struct xfer *started; /* on the multi handle, for gcu_http_free */
	struct xfer *free;
	int nfree;
	long connections;
	volatile sig_atomic_t woken;
};

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		(void)snprintf(err, errlen, "%s", msg);
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

static void wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* Frees a header list, wiping the Authorization line first. */
static void free_headers(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p != NULL; p = p->next)
		if (p->data != NULL && strncasecmp(p->data, "Authorization:", 14) == 0)
			explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

long gcu_http_timeout_ms(double s, double dflt)
{
	if (!(s > 0))
		s = dflt;
	if (s > 86400)
		s = 86400;
	long ms = (long)ceil(s * 1000);
	return ms < 1 ? 1 : ms;
}

void gcu_http_options_from_config(struct gcu_http_options *o, const struct gcu_config *c,
                                  const char *api_base)
{
	memset(o, 0, sizeof *o);
	o->api_base = api_base;
	o->connect_timeout = c->connect_timeout;
	o->request_timeout = c->request_timeout;
	o->max_response = c->max_response > 0 ? (size_t)c->max_response : 0;
	o->max_connections = c->concurrency;
	o->user_agent = NULL;
}

struct gcu_http *gcu_http_new(const struct gcu_http_options *o, char *err, size_t errlen)
{
	struct gcu_http *h = NULL;
	size_t n;

	if (o == NULL || o->api_base == NULL || *o->api_base == '\0') {
		set_err(err, errlen, "no API base URL");
		return NULL;
	}
	if (!gcu_url_allowed(o->api_base, err, errlen))
		return NULL;
	h = calloc(1, sizeof *h);
	if (h == NULL)
		goto nomem;
	h->base = dup_str(o->api_base);
	h->user_agent = dup_str(o->user_agent ? o->user_agent : GCU_USER_AGENT);
	if (h->base == NULL || h->user_agent == NULL)
		goto nomem;
	n = strlen(h->base);
	while (n > 0 && h->base[n - 1] == '/')
		h->base[--n] = '\0';
	h->connect_ms = gcu_http_timeout_ms(o->connect_timeout, 10);
	h->total_ms = gcu_http_timeout_ms(o->request_timeout, 60);
	h->max_response = o->max_response ? o->max_response : (size_t)8 * 1024 * 1024;
	h->max_conn = o->max_connections >= 1 ? o->max_connections : 6;
	h->multi = curl_multi_init();
	if (h->multi == NULL)
		goto nomem;
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, h->max_conn);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, h->max_conn);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, h->max_conn);
	return h;
nomem:
	set_err(err, errlen, "out of memory");
	gcu_http_free(h);
	return NULL;
}

int gcu_http_set_bearer(struct gcu_http *h, const char *token)
{
	char *copy = NULL;

	if (token != NULL && *token != '\0') {
		size_t n = strnlen(token, MAX_TOKEN + 1);
		if (n > MAX_TOKEN) {
			errno = EINVAL;
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)token[i];
			if (c < 0x21 || c > 0x7e) {
				errno = EINVAL;
				return -1;
			}
		}
		copy = dup_str(token);
		if (copy == NULL)
			return -1;
	}
	wipe_free(h->bearer);
	h->bearer = copy;
	return 0;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct xfer *x = userp;
	size_t len = size * nmemb;

	if (len > GCU_HTTP_MAX_HEADER)
		return len;
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* a new header block (after 100 Continue): start over */
		gcu_rate_obs_init(&x->rate);
		return len;
	}
	gcu_rate_obs_header(&x->rate, data, len, gcu_wall());
	return len;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct xfer *x = userp;
	size_t len = size * nmemb;

	if (len > x->h->max_response - x->len) {
		x->too_big = 1;
		return 0; /* aborts the transfer */
	}
	if (x->len + len + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 4096;
		while (cap < x->len + len + 1)
			cap *= 2;
		char *grown = realloc(x->buf, cap);
		if (grown == NULL)
			return 0;
		x->buf = grown;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, data, len);
	x->len += len;
	x->buf[x->len] = '\0';
	return len;
}

static void xfer_destroy(struct xfer *x)
{
	if (x == NULL)
		return;
	free_headers(x->headers);
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	free(x->buf);
	free(x);
}

static struct xfer *xfer_get(struct gcu_http *h)
{
	struct xfer *x = h->free;

	if (x != NULL) {
		h->free = x->next;
		h->nfree--;
		curl_easy_reset(x->easy);
	} else {
		x = calloc(1, sizeof *x);
		if (x == NULL)
			return NULL;
		x->easy = curl_easy_init();
		if (x->easy == NULL) {
			free(x);
			return NULL;
		}
	}
	x->h = h;
	x->next = NULL;
	x->len = 0;
	x->too_big = 0;
	x->errbuf[0] = '\0';
	gcu_rate_obs_init(&x->rate);
	return x;
}

static void xfer_put(struct gcu_http *h, struct xfer *x)
{
	free_headers(x->headers);
	x->headers = NULL;
	if (x->cap > KEEP_BUFFER) {
		free(x->buf);
		x->buf = NULL;
		x->cap = 0;
	}
	x->len = 0;
	if (h->nfree >= MAX_FREELIST) {
		xfer_destroy(x);
		return;
	}
	x->next = h->free;
	h->free = x;
	h->nfree++;
}

static int method_ok(const char *m)
{
	static const char *const ok[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strcmp(m, ok[i]) == 0)
			return 1;
	return 0;
}

static int path_ok(const char *p)
{
	if (strncmp(p, "/api/v2/", 8) != 0)
		return 0;
	for (; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			return 0;
	return 1;
}

static int add_header(struct curl_slist **l, const char *line)
{
	struct curl_slist *n = curl_slist_append(*l, line);

	if (n == NULL)
		return -1;
	*l = n;
	return 0;
}

/* Builds the request's header list; the Authorization line is wiped on free. */
static int build_headers(struct gcu_http *h, struct xfer *x, int has_body)
{
	char *auth = NULL;
	int rc = -1;

	if (add_header(&x->headers, "Accept: application/json") < 0 ||
	    (has_body && add_header(&x->headers, "Content-Type: application/json") < 0) ||
	    add_header(&x->headers, "Expect:") < 0)
		goto out;
	if (h->bearer != NULL) {
		size_t n = strlen(h->bearer) + sizeof "Authorization: Bearer ";
		auth = malloc(n);
		if (auth == NULL)
			goto out;
		int w = snprintf(auth, n, "Authorization: Bearer %s", h->bearer);
		if (w < 0 || (size_t)w >= n || add_header(&x->headers, auth) < 0)
			goto out;
	}
	rc = 0;
out:
	wipe_free(auth);
	return rc;
}

static int setup(struct gcu_http *h, struct xfer *x, const char *method, const char *url,
                 const char *body, size_t body_len)
{
	CURL *e = x->easy;
	CURLcode c = CURLE_OK;

	x->has_body = body != NULL;
	c |= curl_easy_setopt(e, CURLOPT_URL, url);
	c |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	c |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	c |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	c |= curl_easy_setopt(e, CURLOPT_USERAGENT, h->user_agent);
	c |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->connect_ms);
	c |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, h->total_ms);
	c |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_response);
	c |= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	c |= curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	c |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	c |= curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	c |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	c |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	c |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	c |= curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	if (body != NULL) {
		c |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		c |= curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		c |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	else if (strcmp(method, "POST") == 0 && body == NULL)
		c |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0) |
		     curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, "");
	return c == CURLE_OK ? 0 : -1;
}

/* Puts x on the wire with the bearer token current now. */
static int start(struct gcu_http *h, struct xfer *x)
{
	free_headers(x->headers);
	x->headers = NULL;
	if (build_headers(h, x, x->has_body) < 0 ||
	    curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers) != CURLE_OK)
		return -1;
	x->sent_at = gcu_now();
	if (curl_multi_add_handle(h->multi, x->easy) != CURLM_OK)
		return -1;
	h->active++;
	x->aprev = NULL;
	x->anext = h->started;
	if (h->started != NULL)
		h->started->aprev = x;
	h->started = x;
	return 0;
}

static void start_waiting(struct gcu_http *h)
{
	while (h->queue != NULL && h->active < h->max_conn) {
		struct xfer *x = h->queue;
		h->queue = x->next;
		if (h->queue == NULL)
			h->queue_tail = NULL;
		h->waiting--;
		x->next = NULL;
		if (start(h, x) < 0) {
			/* cannot happen short of memory exhaustion: report it */
			struct gcu_http_response r;
			memset(&r, 0, sizeof r);
			r.transport_error = 1;
			r.sent_at = gcu_now();
			(void)snprintf(r.error, sizeof r.error, "cannot start the request");
			r.body = "";
			x->done(h, x->user, &r);
			xfer_put(h, x);
		}
	}
}

int gcu_http_submit(struct gcu_http *h, const char *method, const char *path_and_query,
                    const char *body, size_t body_len, gcu_http_done_fn done, void *user)
{
	struct xfer *x = NULL;
	char *url = NULL;
	size_t n;
	int rc = -1;

	if (h == NULL || method == NULL || path_and_query == NULL || done == NULL ||
	    !method_ok(method) || !path_ok(path_and_query) || (body == NULL && body_len != 0) ||
	    (body != NULL && strcmp(method, "GET") == 0)) {
		errno = EINVAL;
		return -1;
	}
	n = strlen(h->base) + strlen(path_and_query) + 1;
	url = malloc(n);
	if (url == NULL)
		goto out;
	int w = snprintf(url, n, "%s%s", h->base, path_and_query);
	if (w < 0 || (size_t)w >= n) {
		errno = EINVAL;
		goto out;
	}
	x = xfer_get(h);
	if (x == NULL)
		goto out;
	x->done = done;
	x->user = user;
	if (setup(h, x, method, url, body, body_len) < 0) {
		errno = ENOMEM;
		goto out;
	}
	if (h->active < h->max_conn && h->queue == NULL) {
		if (start(h, x) < 0) {
			errno = ENOMEM;
			goto out;
		}
	} else {
		if (h->queue_tail != NULL)
			h->queue_tail->next = x;
		else
			h->queue = x;
		h->queue_tail = x;
		h->waiting++;
	}
	x = NULL;
	rc = 0;
out:
	if (x != NULL)
		xfer_put(h, x);
	free(url);
	return rc;
}

static void unlink_started(struct gcu_http *h, struct xfer *x)
{
	curl_multi_remove_handle(h->multi, x->easy);
	h->active--;
	if (x->aprev != NULL)
		x->aprev->anext = x->anext;
	else
		h->started = x->anext;
	if (x->anext != NULL)
		x->anext->aprev = x->aprev;
	x->anext = x->aprev = NULL;
}

static void complete(struct gcu_http *h, struct xfer *x, CURLcode code)
{
	struct gcu_http_response r;
	long status = 0, conns = 0;
	const char *msg;

	memset(&r, 0, sizeof r);
	unlink_started(h, x);
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &conns) == CURLE_OK && conns > 0)
		h->connections += conns;
	r.rate = x->rate;
	gcu_rate_obs_finish(&r.rate);
	r.sent_at = x->sent_at;
	r.elapsed = gcu_now() - x->sent_at;
	if (x->too_big || code == CURLE_FILESIZE_EXCEEDED) {
		r.transport_error = 1;
		(void)snprintf(r.error, sizeof r.error, "response larger than %zu bytes",
		               h->max_response);
	} else if (code != CURLE_OK) {
		r.transport_error = 1;
		msg = curl_easy_strerror(code);
		/* libcurl says only "Out of memory" when a response header is
		 * longer than it accepts (100 KB): name the likelier cause. */
		if (code == CURLE_OUT_OF_MEMORY && x->errbuf[0] == '\0')
			msg = "response refused: a header longer than 100 KB (or out of memory)";
		if (x->errbuf[0] != '\0' && strcmp(x->errbuf, msg) != 0)
			(void)snprintf(r.error, sizeof r.error, "%.80s: %.170s", msg, x->errbuf);
		else
			(void)snprintf(r.error, sizeof r.error, "%s", msg);
	}
	if (r.transport_error) {
		r.status = 0;
		r.body = "";
		r.body_len = 0;
	} else {
		r.status = status;
		r.body = x->len > 0 ? x->buf : "";
		r.body_len = x->len;
	}
	x->done(h, x->user, &r);
	xfer_put(h, x);
}

static int reap(struct gcu_http *h)
{
	CURLMsg *m;
	int left, n = 0;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		void *priv = NULL;
		CURLcode code = m->data.result;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		if (priv == NULL)
			continue;
		complete(h, priv, code);
		n++;
	}
	start_waiting(h);
	return n;
}

int gcu_http_run(struct gcu_http *h, double max_wait)
{
	double deadline = gcu_now() + (max_wait > 0 ? max_wait : 0);
	int running, done = 0;

	start_waiting(h);
	for (;;) {
		if (curl_multi_perform(h->multi, &running) != CURLM_OK)
			return -1;
		done += reap(h);
		if (h->woken) {
			h->woken = 0;
			return done;
		}
		if (done > 0)
			return done;
		/* callbacks may have queued more: perform them before waiting */
		double left = deadline - gcu_now();
		if (left <= 0)
			return done;
		int ms = (int)ceil(left * 1000);
		if (curl_multi_poll(h->multi, NULL, 0, ms, NULL) != CURLM_OK)
			return -1;
	}
}

int gcu_http_inflight(const struct gcu_http *h)
{
	return h->active + h->waiting;
}

void gcu_http_wakeup(struct gcu_http *h)
{
	h->woken = 1;
	curl_multi_wakeup(h->multi);
}

long gcu_http_connections(const struct gcu_http *h)
{
	return h->connections;
}

void gcu_http_free(struct gcu_http *h)
{
	struct xfer *x, *next;

	if (h == NULL)
		return;
	while ((x = h->started) != NULL) {
		unlink_started(h, x);
		xfer_destroy(x);
	}
	for (x = h->queue; x != NULL; x = next) {
		next = x->next;
		xfer_destroy(x);
	}
	for (x = h->free; x != NULL; x = next) {
		next = x->next;
		xfer_destroy(x);
	}
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	wipe_free(h->bearer);
	free(h->base);
	free(h->user_agent);
	free(h);
}

void gcu_http_error_message(const struct gcu_http_response *r, char *buf, size_t len)
{
	if (r->transport_error || r->status == 0) {
		snprintf(buf, len, "%s", r->error[0] ? r->error : "no answer");
		return;
	}
	json_object *body = r->body_len ? json_tokener_parse(r->body) : NULL;
	json_object *msg = NULL;
	if (json_object_is_type(body, json_type_object) &&
	    json_object_object_get_ex(body, "message", &msg) &&
	    json_object_is_type(msg, json_type_string))
		snprintf(buf, len, "HTTP %ld: %.300s", r->status, json_object_get_string(msg));
	else
		snprintf(buf, len, "HTTP %ld", r->status);
	json_object_put(body);
}
