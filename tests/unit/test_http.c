/*
 * test_http.c - the multi-handle loop against a scripted server.
 *
 * An in-process libmicrohttpd server on 127.0.0.1 (a thread per
 * connection, so slow answers overlap) answers by path: rate headers in
 * both styles, no headers, a 429, oversize bodies with and without a
 * length, a dropped connection, a slow answer, a 70 kB header, and an echo
 * of what the client sent. It counts connections and the peak of requests
 * in progress, so the tests can check the concurrency bound and
 * keep-alive reuse.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "clock.h"
#include "http.h"
#include "tap.h"
#include "test_server.h"

#define BIG  ((size_t)100 * 1024)
#define HUGE ((size_t)70 * 1024)

struct server {
	struct MHD_Daemon *d;
	int port;
	pthread_mutex_t mu;
	int cur, peak;
	long connections, requests;
	volatile int stopping;
};

static void msleep(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void on_conn(void *cls, struct MHD_Connection *c, void **socket_context,
                    enum MHD_ConnectionNotificationCode code)
{
	struct server *s = cls;

	(void)c;
	(void)socket_context;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		pthread_mutex_lock(&s->mu);
		s->connections++;
		pthread_mutex_unlock(&s->mu);
	}
}

static ssize_t chunked_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)cls;
	if (pos >= BIG)
		return MHD_CONTENT_READER_END_OF_STREAM;
	size_t n = max < 1000 ? max : 1000;
	memset(buf, 'c', n);
	return (ssize_t)n;
}

/* Announces 5000 bytes, sends 1000, then drops the connection. */
static ssize_t cut_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)cls;
	if (pos >= 1000)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	size_t n = max < 1000 - pos ? max : 1000 - pos;
	memset(buf, 'x', n);
	return (ssize_t)n;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_size, void **con_cls)
{
	struct server *s = cls;
	enum MHD_Result ret;
	char buf[8192];

	(void)version;
	if (upload_gather(con_cls, upload_data, upload_size, &ret))
		return ret;
	const struct upload *u = *con_cls;

	pthread_mutex_lock(&s->mu);
	long nreq = ++s->requests;
	if (++s->cur > s->peak)
		s->peak = s->cur;
	pthread_mutex_unlock(&s->mu);

	if (strcmp(url, "/api/v2/ok") == 0) {
		const char *d = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "delay_ms");
		msleep(d ? (int)strtol(d, NULL, 10) : 0);
		char count[32];
		(void)snprintf(count, sizeof count, "%ld", nreq % 300);
		const char *h[] = {"inin-ratelimit-allowed",
		                   "300",
		                   "inin-ratelimit-count",
		                   count,
		                   "inin-ratelimit-reset",
		                   "12.5",
		                   NULL};
		ret = reply(c, 200, "{\"ok\":true}", h);
	} else if (strcmp(url, "/api/v2/xstyle") == 0) {
		char reset[64];
		(void)snprintf(reset, sizeof reset, "%.3f", gcu_wall() + 20);
		const char *h[] = {"X-RateLimit-Limit",
		                   "100",
		                   "X-RateLimit-Remaining",
		                   "9",
		                   "X-RateLimit-Reset",
		                   reset,
		                   NULL};
		ret = reply(c, 200, "{}", h);
	} else if (strcmp(url, "/api/v2/empty") == 0) {
		ret = reply(c, 204, "", NULL);
	} else if (strcmp(url, "/api/v2/bare") == 0) {
		ret = reply(c, 200, "{\"bare\":1}", NULL);
	} else if (strcmp(url, "/api/v2/limited") == 0) {
		const char *h[] = {
		    "Retry-After", "0.25", "inin-ratelimit-allowed", "300", "inin-ratelimit-count",
		    "300",         NULL};
		ret = reply(c, 429,
		            "{\"status\":429,\"code\":\"too.many.requests.retry.after\","
		            "\"message\":\"slow down\"}",
		            h);
	} else if (strcmp(url, "/api/v2/big") == 0) {
		char *big = malloc(BIG);
		if (big == NULL) {
			ret = MHD_NO;
		} else {
			memset(big, 'b', BIG);
			struct MHD_Response *r =
			    MHD_create_response_from_buffer(BIG, big, MHD_RESPMEM_MUST_FREE);
			ret = MHD_queue_response(c, 200, r);
			MHD_destroy_response(r);
		}
	} else if (strcmp(url, "/api/v2/bigchunked") == 0) {
		struct MHD_Response *r = MHD_create_response_from_callback(
		    MHD_SIZE_UNKNOWN, 1000, chunked_reader, NULL, NULL);
		ret = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
	} else if (strcmp(url, "/api/v2/reset") == 0) {
		ret = MHD_NO; /* drops the connection without an answer */
	} else if (strcmp(url, "/api/v2/cut") == 0) {
		struct MHD_Response *r =
		    MHD_create_response_from_callback(5000, 1000, cut_reader, NULL, NULL);
		ret = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
	} else if (strcmp(url, "/api/v2/slow") == 0) {
		for (int i = 0; i < 200 && !s->stopping; i++)
			msleep(10);
		ret = reply(c, 200, "{}", NULL);
	} else if (strcmp(url, "/api/v2/hugeheader") == 0) {
		char *v = malloc(HUGE + 1);
		if (v == NULL) {
			ret = MHD_NO;
		} else {
			memset(v, 'h', HUGE);
			v[HUGE] = '\0';
			const char *h[] = {"X-Big", v, "X-RateLimit-Remaining", "7", NULL};
			ret = reply(c, 200, "{}", h);
			free(v);
		}
	} else if (strcmp(url, "/api/v2/echo") == 0) {
		const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
		const char *ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
		const char *ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");
		const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "q");
		(void)snprintf(buf, sizeof buf, "%s|%s|%s|%s|%s|%s", method, auth ? auth : "-",
		               ctype ? ctype : "-", ua ? ua : "-", q ? q : "-", u->body);
		ret = reply(c, 200, buf, NULL);
	} else {
		ret = reply(c, 404, "{\"status\":404}", NULL);
	}

	pthread_mutex_lock(&s->mu);
	s->cur--;
	pthread_mutex_unlock(&s->mu);
	return ret;
}

static int server_start(struct server *s)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	memset(s, 0, sizeof *s);
	pthread_mutex_init(&s->mu, NULL);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = 0;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->d = MHD_start_daemon(
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler,
	    s, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_CONNECTION, on_conn, s,
	    MHD_OPTION_NOTIFY_COMPLETED, upload_done, s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)(1024 * 1024), MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (s->d == NULL)
		return -1;
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL)
		return -1;
	s->port = info->port;
	return 0;
}

static void server_stop(struct server *s)
{
	s->stopping = 1;
	if (s->d != NULL)
		MHD_stop_daemon(s->d);
	s->d = NULL;
	pthread_mutex_destroy(&s->mu);
}

/* --- client side ------------------------------------------------------------ */

struct result {
	int called;
	long status;
	int transport_error;
	char error[256];
	char body[8192];
	size_t body_len;
	int body_string; /* body was NUL-terminated at body_len, nothing stale */
	struct gcu_rate_obs rate;
	double sent_at, elapsed, done_at;
};

static void collect(struct gcu_http *h, void *user, const struct gcu_http_response *r)
{
	struct result *res = user;

	(void)h;
	res->called++;
	res->status = r->status;
	res->transport_error = r->transport_error;
	(void)snprintf(res->error, sizeof res->error, "%s", r->error);
	res->body_len = r->body_len;
	res->body_string =
	    r->body != NULL && r->body[r->body_len] == '\0' && strlen(r->body) == r->body_len;
	(void)snprintf(res->body, sizeof res->body, "%.*s", (int)r->body_len, r->body);
	res->rate = r->rate;
	res->sent_at = r->sent_at;
	res->elapsed = r->elapsed;
	res->done_at = gcu_now();
}

/* Runs h until nothing is in flight or limit seconds pass. */
static int drain(struct gcu_http *h, double limit)
{
	double end = gcu_now() + limit;

	while (gcu_http_inflight(h) > 0 && gcu_now() < end)
		if (gcu_http_run(h, 0.5) < 0)
			return -1;
	return gcu_http_inflight(h) == 0 ? 0 : -1;
}

static struct gcu_http *client(const struct server *s, long conns, double timeout,
                               size_t max_response)
{
	char base[64], err[256];
	struct gcu_http_options o = {base, 2, timeout, max_response, conns, NULL};

	(void)snprintf(base, sizeof base, "http://127.0.0.1:%d/", s->port);
	struct gcu_http *h = gcu_http_new(&o, err, sizeof err);
	if (h == NULL)
		printf("# gcu_http_new: %s\n", err);
	return h;
}

static struct result *one(struct gcu_http *h, const char *method, const char *path,
                          const char *body)
{
	static struct result r;

	memset(&r, 0, sizeof r);
	if (gcu_http_submit(h, method, path, body, body ? strlen(body) : 0, collect, &r) < 0) {
		printf("# submit %s failed\n", path);
		return &r;
	}
	if (drain(h, 10) < 0)
		printf("# %s did not complete\n", path);
	return &r;
}

#define NREQ 40

static void test_concurrency(struct server *s)
{
	struct gcu_http *h = client(s, 4, 10, 0);
	static struct result res[NREQ];
	int all = 1, headers = 1, timing = 1;
	double t0 = gcu_now();

	if (h == NULL)
		exit(1);
	for (int i = 0; i < NREQ; i++)
		if (gcu_http_submit(h, "GET", "/api/v2/ok?delay_ms=50", NULL, 0, collect, &res[i]) <
		    0)
			all = 0;
	ok(all, "40 requests submitted");
	is_long(gcu_http_inflight(h), NREQ, "all 40 count as in flight");
	ok(drain(h, 20) == 0, "all requests complete");
	double took = gcu_now() - t0;
	for (int i = 0; i < NREQ; i++) {
		if (res[i].called != 1 || res[i].status != 200 || res[i].transport_error)
			all = 0;
		if (!res[i].rate.has_limit || res[i].rate.limit != 300 ||
		    !res[i].rate.has_remaining || !res[i].rate.has_reset ||
		    fabs(res[i].rate.reset_in - 12.5) > 1e-9 || res[i].rate.has_retry_after)
			headers = 0;
		if (!(res[i].elapsed >= 0.045 && res[i].sent_at >= t0 &&
		      res[i].sent_at + res[i].elapsed <= res[i].done_at + 1e-6))
			timing = 0;
	}
	ok(all, "each callback ran once with 200");
	ok(headers, "inin headers parsed on every response (limit 300, reset 12.5)");
	ok(timing, "send time and elapsed recorded");
	printf("# peak %d concurrent, %ld connections, %.2f s\n", s->peak, s->connections, took);
	ok(s->peak <= 4, "server never saw more than 4 requests at once");
	ok(s->peak >= 3, "requests did run concurrently");
	ok(took >= NREQ / 4.0 * 0.05 * 0.9, "the bound held over time (took at least 0.45 s)");
	ok(s->connections <= 4, "keep-alive: at most 4 connections for 40 requests");
	ok(gcu_http_connections(h) <= 4 && gcu_http_connections(h) >= 1,
	   "client counted the same few connections");
	gcu_http_free(h);
}

static void test_headers(struct server *s)
{
	struct gcu_http *h = client(s, 2, 10, 0);
	struct result *r;

	r = one(h, "GET", "/api/v2/bare", NULL);
	ok(r->called == 1 && r->status == 200 && strcmp(r->body, "{\"bare\":1}") == 0,
	   "plain answer, body delivered");
	ok(!r->rate.has_limit && !r->rate.has_remaining && !r->rate.has_reset &&
	       !r->rate.has_retry_after,
	   "no rate headers: every has_* is 0");

	r = one(h, "GET", "/api/v2/xstyle", NULL);
	ok(r->rate.has_limit && r->rate.limit == 100 && r->rate.has_remaining &&
	       r->rate.remaining == 9,
	   "X-RateLimit limit and remaining parsed");
	ok(r->rate.has_reset && r->rate.reset_in > 18 && r->rate.reset_in <= 20.01,
	   "X-RateLimit-Reset epoch turned into about 20 s");

	r = one(h, "GET", "/api/v2/limited", NULL);
	is_long(r->status, 429, "429 delivered as a status");
	ok(r->rate.has_retry_after && fabs(r->rate.retry_after - 0.25) < 1e-9,
	   "Retry-After 0.25 parsed");
	ok(r->rate.has_remaining && r->rate.remaining == 0, "429 remaining 0 from inin count");
	ok(strstr(r->body, "too.many.requests") != NULL, "429 body delivered");

	r = one(h, "GET", "/api/v2/hugeheader", NULL);
	ok(r->called && r->status == 200 && !r->transport_error, "a 70 kB header is survived");
	ok(r->rate.has_remaining && r->rate.remaining == 7, "headers around it still parsed");

	r = one(h, "GET", "/api/v2/nothere", NULL);
	is_long(r->status, 404, "404 is a status, not a transport error");
	ok(!r->transport_error, "404 transport_error 0");
	gcu_http_free(h);
}

static void test_failures(struct server *s)
{
	struct gcu_http *h = client(s, 2, 10, (size_t)10 * 1024);
	struct result *r;

	r = one(h, "GET", "/api/v2/big", NULL);
	ok(r->called == 1 && r->transport_error && r->status == 0, "oversize body is an error");
	is_str(r->error, "response larger than 10240 bytes", "oversize message");
	r = one(h, "GET", "/api/v2/bigchunked", NULL);
	ok(r->transport_error && r->status == 0, "oversize chunked body is an error");
	is_str(r->error, "response larger than 10240 bytes", "oversize chunked message");

	r = one(h, "GET", "/api/v2/reset", NULL);
	ok(r->called == 1 && r->transport_error && r->status == 0,
	   "dropped connection is a transport error");
	ok(r->error[0] != '\0', "with curl's message");
	printf("# reset: %s\n", r->error);

	r = one(h, "GET", "/api/v2/cut", NULL);
	ok(r->called == 1 && r->transport_error && r->status == 0 && r->body_len == 0,
	   "answer cut short is a transport error, no partial body");
	printf("# cut: %s\n", r->error);

	r = one(h, "GET", "/api/v2/bare", NULL);
	ok(r->status == 200, "the loop still works after failures");
	gcu_http_free(h);

	h = client(s, 2, 0.3, 0);
	r = one(h, "GET", "/api/v2/slow", NULL);
	ok(r->transport_error && r->status == 0, "slow answer times out");
	ok(r->elapsed >= 0.25 && r->elapsed < 1.5, "after about the total timeout");
	ok(strstr(r->error, "imeout") != NULL || strstr(r->error, "timed out") != NULL,
	   "message says timeout");
	printf("# timeout: %s (%.3f s)\n", r->error, r->elapsed);
	gcu_http_free(h);
}

static void *wake_later(void *arg)
{
	msleep(100);
	gcu_http_wakeup(arg);
	return NULL;
}

static void test_requests(struct server *s)
{
	struct gcu_http *h = client(s, 2, 10, 0);
	struct result *r;
	char want[512];

	ok(gcu_http_set_bearer(h, "tok-1") == 0, "bearer set");
	r = one(h, "PATCH", "/api/v2/echo?q=1", "{\"a\":1}");
	is_str(r->body, "PATCH|Bearer tok-1|application/json|gcu/0.1.0|1|{\"a\":1}",
	       "PATCH sends bearer, JSON type, user agent, query and body");
	ok(gcu_http_set_bearer(h, "tok-2") == 0, "bearer changed");
	r = one(h, "PUT", "/api/v2/echo", "{\"status\":\"IDLE\"}");
	is_str(r->body, "PUT|Bearer tok-2|application/json|gcu/0.1.0|-|{\"status\":\"IDLE\"}",
	       "later requests use the new token");
	r = one(h, "DELETE", "/api/v2/echo", NULL);
	is_str(r->body, "DELETE|Bearer tok-2|-|gcu/0.1.0|-|", "DELETE without a body");
	r = one(h, "POST", "/api/v2/echo", "[]");
	is_str(r->body, "POST|Bearer tok-2|application/json|gcu/0.1.0|-|[]", "POST with a body");
	ok(gcu_http_set_bearer(h, NULL) == 0, "bearer cleared");
	r = one(h, "GET", "/api/v2/echo", NULL);
	(void)snprintf(want, sizeof want, "GET|-|-|gcu/0.1.0|-|");
	is_str(r->body, want, "no Authorization without a token");
	ok(gcu_http_set_bearer(h, "bad\r\nX-Evil: 1") < 0 && errno == EINVAL,
	   "a token with CR/LF is refused");

	/* one connection: the second request waits, and goes out with the newer token */
	struct gcu_http *one_conn = client(s, 1, 10, 0);
	static struct result first, second;
	(void)gcu_http_set_bearer(one_conn, "tok-A");
	ok(gcu_http_submit(one_conn, "GET", "/api/v2/echo", NULL, 0, collect, &first) == 0 &&
	       gcu_http_submit(one_conn, "GET", "/api/v2/echo", NULL, 0, collect, &second) == 0,
	   "two requests on one connection");
	(void)gcu_http_set_bearer(one_conn, "tok-B");
	ok(drain(one_conn, 10) == 0, "both complete");
	is_str(first.body, "GET|Bearer tok-A|-|gcu/0.1.0|-|", "the first went out with tok-A");
	is_str(second.body, "GET|Bearer tok-B|-|gcu/0.1.0|-|",
	       "the waiting one went out with the token current when it started");
	ok(second.sent_at >= first.sent_at + first.elapsed - 1e-6,
	   "the waiting one was sent after the first finished");
	gcu_http_free(one_conn);

	struct result dummy;
	errno = 0;
	ok(gcu_http_submit(h, "GET", "/api/v2/echo", "{}", 2, collect, &dummy) < 0 &&
	       errno == EINVAL,
	   "GET with a body refused");
	ok(gcu_http_submit(h, "GET", "/users", NULL, 0, collect, &dummy) < 0 && errno == EINVAL,
	   "path outside /api/v2/ refused");
	ok(gcu_http_submit(h, "GET", "/api/v2/a b", NULL, 0, collect, &dummy) < 0,
	   "path with a space refused");
	ok(gcu_http_submit(h, "GET", "/api/v2/a\r\nX: y", NULL, 0, collect, &dummy) < 0,
	   "path with CR/LF refused");
	ok(gcu_http_submit(h, "TRACE", "/api/v2/echo", NULL, 0, collect, &dummy) < 0,
	   "unknown method refused");
	ok(gcu_http_submit(h, "GET", "/api/v2/echo", NULL, 0, NULL, &dummy) < 0,
	   "NULL callback refused");
	is_long(gcu_http_inflight(h), 0, "refused requests are not in flight");

	double t0 = gcu_now();
	int n = gcu_http_run(h, 0.2);
	double waited = gcu_now() - t0;
	ok(n == 0 && waited >= 0.18 && waited < 1.0, "run with nothing to do waits max_wait");
	t0 = gcu_now();
	n = gcu_http_run(h, 0);
	ok(n == 0 && gcu_now() - t0 < 0.1, "run with 0 returns at once");

	pthread_t waker;
	t0 = gcu_now();
	if (pthread_create(&waker, NULL, wake_later, h) == 0) {
		n = gcu_http_run(h, 5);
		waited = gcu_now() - t0;
		pthread_join(waker, NULL);
		ok(n == 0 && waited >= 0.05 && waited < 1.0, "gcu_http_wakeup ends a long wait");
	}
	gcu_http_wakeup(h);
	t0 = gcu_now();
	(void)gcu_http_run(h, 5);
	ok(gcu_now() - t0 < 0.5, "a wakeup before the run is not lost");
	t0 = gcu_now();
	(void)gcu_http_run(h, 0.1);
	ok(gcu_now() - t0 >= 0.09, "and it is used up once");
	gcu_http_free(h);
}

/* Mixed answers at once: each callback gets its own request's outcome. */
static void test_mixed(struct server *s)
{
	static const char *const paths[] = {"/api/v2/ok",  "/api/v2/big",     "/api/v2/empty",
	                                    "/api/v2/cut", "/api/v2/limited", "/api/v2/bare"};
	static struct result res[36];
	struct gcu_http *h = client(s, 3, 10, (size_t)10 * 1024);
	int right = 1;

	for (int i = 0; i < 36; i++)
		(void)gcu_http_submit(h, "GET", paths[i % 6], NULL, 0, collect, &res[i]);
	ok(drain(h, 20) == 0, "36 mixed requests complete");
	for (int i = 0; i < 36; i++) {
		const struct result *r = &res[i];
		int good = r->called == 1 && r->body_string;
		switch (i % 6) {
		case 0:
			good = good && r->status == 200 && strcmp(r->body, "{\"ok\":true}") == 0;
			break;
		case 1:
		case 3:
			good = good && r->transport_error && r->body_len == 0 && r->body[0] == '\0';
			break;
		case 2:
			good = good && r->status == 204 && r->body_len == 0 && r->body[0] == '\0';
			break;
		case 4:
			good = good && r->status == 429 && r->rate.has_retry_after;
			break;
		case 5:
			good = good && r->status == 200 && strcmp(r->body, "{\"bare\":1}") == 0 &&
			       !r->rate.has_limit && !r->rate.has_retry_after;
			break;
		}
		if (!good) {
			printf("# request %d (%s): status %ld error '%s' body '%.40s'\n", i,
			       paths[i % 6], r->status, r->error, r->body);
			right = 0;
		}
	}
	ok(right, "reused handles carry nothing over: each result matches its request");
	gcu_http_free(h);

	h = client(s, 1, 10, 0);
	struct result *r = one(h, "GET", "/api/v2/ok", NULL);
	ok(r->status == 200 && r->body_len > 0, "a body first");
	r = one(h, "GET", "/api/v2/empty", NULL);
	ok(r->status == 204 && r->body_len == 0 && r->body_string,
	   "then an empty body on the reused handle is empty, not the old one");
	gcu_http_free(h);
}

/* A callback that submits the next request, as gcu-send does. */
struct chain {
	int left, done;
	long last_status;
};

static void chain_next(struct gcu_http *h, void *user, const struct gcu_http_response *r)
{
	struct chain *c = user;

	c->done++;
	c->last_status = r->status;
	if (--c->left > 0 && gcu_http_submit(h, "GET", "/api/v2/bare", NULL, 0, chain_next, c) < 0)
		c->left = -100;
}

static void test_chain_and_free(struct server *s)
{
	struct gcu_http *h = client(s, 3, 10, 0);
	struct chain c = {10, 0, 0};
	static struct result pending[5];

	ok(gcu_http_submit(h, "GET", "/api/v2/bare", NULL, 0, chain_next, &c) == 0,
	   "chain started");
	ok(drain(h, 10) == 0 && c.done == 10 && c.last_status == 200,
	   "callbacks can submit more requests");

	for (int i = 0; i < 5; i++)
		(void)gcu_http_submit(h, "GET", "/api/v2/ok?delay_ms=200", NULL, 0, collect,
		                      &pending[i]);
	(void)gcu_http_run(h, 0.05);
	gcu_http_free(h); /* abandons in-flight and queued requests without leaks */
	int none = 1;
	for (int i = 0; i < 5; i++)
		if (pending[i].called)
			none = 0;
	ok(none, "freeing with requests in flight calls no callback");
}

static void test_options(void)
{
	struct gcu_config c;
	struct gcu_http_options o;

	memset(&c, 0, sizeof c);
	c.connect_timeout = 1.5;
	c.request_timeout = 7;
	c.max_response = 4096;
	c.concurrency = 3;
	gcu_http_options_from_config(&o, &c, "https://api.mypurecloud.de");
	ok(o.connect_timeout == 1.5 && o.request_timeout == 7 && o.max_response == 4096 &&
	       o.max_connections == 3 && strcmp(o.api_base, "https://api.mypurecloud.de") == 0 &&
	       o.user_agent == NULL,
	   "options taken from the config");
}

static void test_refused(void)
{
	char err[256] = "";
	struct gcu_http_options o = {"http://10.0.0.1", 1, 1, 0, 1, NULL};

	ok(gcu_http_new(&o, err, sizeof err) == NULL && strstr(err, "loopback") != NULL,
	   "http to a non-loopback host refused");
	o.api_base = "ftp://127.0.0.1";
	ok(gcu_http_new(&o, err, sizeof err) == NULL, "other schemes refused");
	o.api_base = NULL;
	ok(gcu_http_new(&o, err, sizeof err) == NULL, "NULL base refused");
	o.api_base = "https://api.mypurecloud.com";
	struct gcu_http *h = gcu_http_new(&o, err, sizeof err);
	ok(h != NULL, "https base accepted");
	gcu_http_free(h);
	gcu_http_free(NULL);
}

/* A raw listener that reads one request and answers with a TCP reset. */
struct rst_server {
	int fd, port;
	pthread_t thread;
};

static void *rst_main(void *arg)
{
	struct rst_server *rs = arg;
	char buf[4096];
	int c = accept(rs->fd, NULL, NULL);

	if (c >= 0) {
		struct linger lg = {1, 0};
		(void)read(c, buf, sizeof buf);
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		close(c);
	}
	return NULL;
}

static void test_reset(void)
{
	struct rst_server rs;
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rs.fd = socket(AF_INET, SOCK_STREAM, 0);
	if (rs.fd < 0 || bind(rs.fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(rs.fd, 4) < 0 || getsockname(rs.fd, (struct sockaddr *)&sa, &len) < 0 ||
	    pthread_create(&rs.thread, NULL, rst_main, &rs) != 0) {
		printf("Bail out! cannot start the reset server\n");
		exit(1);
	}
	struct server fake = {.port = ntohs(sa.sin_port)};
	struct gcu_http *h = client(&fake, 1, 5, 0);
	(void)gcu_http_set_bearer(h, "secret-token-xyz");
	struct result *r = one(h, "GET", "/api/v2/users?id=1", NULL);
	ok(r->called == 1 && r->transport_error && r->status == 0,
	   "connection reset is a transport error");
	ok(strstr(r->error, "reset") != NULL, "with curl's message naming the reset");
	ok(strstr(r->error, "secret-token-xyz") == NULL, "the token is not in the message");
	printf("# reset by peer: %s\n", r->error);
	gcu_http_free(h);
	pthread_join(rs.thread, NULL);
	close(rs.fd);
}

static void test_connect_refused(void)
{
	struct server s;

	if (server_start(&s) < 0)
		exit(1);
	int port = s.port;
	server_stop(&s);
	s.port = port;
	struct gcu_http *h = client(&s, 1, 5, 0);
	struct result *r = one(h, "GET", "/api/v2/bare", NULL);
	ok(r->transport_error && r->status == 0 && r->error[0] != '\0',
	   "closed port is a transport error");
	printf("# refused: %s\n", r->error);
	gcu_http_free(h);
}

/* Timeouts as libcurl takes them: whole ms, rounded up, never 0 (none). */
static void test_timeout_ms(void)
{
	is_long(gcu_http_timeout_ms(10, 60), 10000, "timeout: 10 s is 10000 ms");
	is_long(gcu_http_timeout_ms(0.0004, 60), 1, "timeout: a fraction of a ms rounds up to 1");
	is_long(gcu_http_timeout_ms(0, 60), 60000, "timeout: 0 takes the default");
	is_long(gcu_http_timeout_ms(-1, 10), 10000, "timeout: below 0 takes the default");
	is_long(gcu_http_timeout_ms(1e9, 10), 86400000, "timeout: at most a day");
}

int main(void)
{
	struct server s;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (server_start(&s) < 0) {
		printf("Bail out! cannot start the test server\n");
		return 1;
	}
	test_timeout_ms();
	test_concurrency(&s);
	test_headers(&s);
	test_failures(&s);
	test_requests(&s);
	test_mixed(&s);
	test_chain_and_free(&s);
	server_stop(&s);
	test_options();
	test_refused();
	test_connect_refused();
	test_reset();
	curl_global_cleanup();
	return done_testing();
}
