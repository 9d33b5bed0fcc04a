/*
 * http.h - the one event loop gcu-fetch, gcu-send and gcu-verify talk to
 * the platform through.
 *
 * Requests are submitted with a completion callback and run concurrently
 * on a single libcurl multi handle: no thread per request, no busy
 * waiting. At most max_connections transfers are on the wire at once
 * (requests submitted beyond that wait in order inside the loop), and
 * connections are kept alive and reused. Every response's headers go
 * through the rate-limit parser, and each response records the monotonic
 * time its request went out, so that the caller can order observations.
 * The bearer token is read when a request starts, so a refresh applies to
 * every later request.
 */
#ifndef GCU_HTTP_H
#define GCU_HTTP_H

#include <stddef.h>

#include "config.h"
#include "ratehdr.h"
#include "version.h"

#define GCU_USER_AGENT "gcu/" GCU_VERSION
/* Header lines longer than this are ignored. */
#define GCU_HTTP_MAX_HEADER ((size_t)64 * 1024)

struct gcu_http;

struct gcu_http_options {
	const char *api_base;   /* "https://api.mypurecloud.com"; copied */
	double connect_timeout; /* seconds; <= 0 means 10 */
	double request_timeout; /* seconds for a whole transfer; <= 0 means 60 */
	size_t max_response;    /* body bytes; 0 means 8 MiB */
	long max_connections;   /* transfers at once; < 1 means 6 */
	const char *user_agent; /* NULL means GCU_USER_AGENT */
};

struct gcu_http_response {
	long status;      /* HTTP status, 0 on a transport error */
	const char *body; /* NUL-terminated; valid only during the callback */
	size_t body_len;
	struct gcu_rate_obs rate; /* finished: remaining derived */
	int transport_error;      /* no usable answer: see error */
	char error[256];          /* the transport error, never a secret */
	double sent_at;           /* monotonic time the request went out */
	double elapsed;           /* seconds from sent_at to completion */
};

/*
 * Called once per submitted request when it completes (or fails). r and
 * the body it points to are valid only during the call. The callback may
 * submit further requests and may change the bearer; it must not free h.
 */
typedef void (*gcu_http_done_fn)(struct gcu_http *h, void *user, const struct gcu_http_response *r);

/*
 * A timeout for libcurl, in whole milliseconds rounded up: s seconds, dflt
 * when s is not above 0, at most a day, at least 1 ms (0 would mean none).
 */
long gcu_http_timeout_ms(double s, double dflt);

/*
 * Fills o from the settings in c (timeouts, max_response, concurrency as
 * max_connections) for api_base, which is not copied: it must outlive the
 * gcu_http_new call. o and c must not be NULL.
 */
void gcu_http_options_from_config(struct gcu_http_options *o, const struct gcu_config *c,
                                  const char *api_base);

/*
 * Creates a loop for o->api_base, which must pass gcu_url_allowed (https,
 * or http to a loopback host). curl_global_init must have been called.
 * Returns NULL with a message in err (bad or refused base, out of
 * memory). Free with gcu_http_free.
 */
struct gcu_http *gcu_http_new(const struct gcu_http_options *o, char *err, size_t errlen);

/*
 * Sets the bearer token sent by requests that start from now on (NULL or
 * "" sends none). The token is copied; the previous copy is wiped.
 * Returns 0, or -1 when token holds a control character or is too long
 * (over 16 KiB) or memory runs out; the old token stays then.
 */
int gcu_http_set_bearer(struct gcu_http *h, const char *token);

/*
 * Queues method ("GET", "POST", "PUT", "PATCH", "DELETE") on
 * path_and_query, which must start with "/api/v2/" and hold only
 * printable ASCII without spaces. body (body_len bytes, may be NULL; not
 * with GET) is copied and sent as application/json. The request goes out
 * at once, or, when max_connections are busy, in submission order as
 * transfers finish; its Authorization header carries the bearer current
 * when it goes out. done is called from gcu_http_run
 * exactly once, also for transport errors. Returns 0, or -1 with errno
 * EINVAL (bad method or path) or ENOMEM; done is not called then.
 */
int gcu_http_submit(struct gcu_http *h, const char *method, const char *path_and_query,
                    const char *body, size_t body_len, gcu_http_done_fn done, void *user);

/*
 * Drives the transfers: waits at most max_wait seconds (0 = just look)
 * for at least one to complete, calling done for each completed one.
 * With nothing in flight it simply waits max_wait (the caller's pacing
 * sleep). A signal does not end the wait early; gcu_http_wakeup does.
 * Must not be called from a done callback. Returns the number completed,
 * or -1 on an internal libcurl error.
 */
int gcu_http_run(struct gcu_http *h, double max_wait);

/* Submitted requests whose callback has not run yet (waiting ones too). */
int gcu_http_inflight(const struct gcu_http *h);

/*
 * Makes the current (or, if none is running, the next) gcu_http_run return
 * at once. Callable from another thread, and from a signal handler: it
 * only sets a flag and writes a byte to libcurl's wakeup socket pair (the
 * handler should save and restore errno around it).
 */
void gcu_http_wakeup(struct gcu_http *h);

/* Connections libcurl opened so far (for -v and the tests). */
long gcu_http_connections(const struct gcu_http *h);

/*
 * Frees h. Requests still in flight are abandoned without their callback;
 * drain with gcu_http_run first to keep them. NULL is a no-op.
 */
void gcu_http_free(struct gcu_http *h);

/*
 * Describes a failed answer for a result or a message: the transport error,
 * or "HTTP <status>: <the platform's message>" from a JSON error body, or
 * "HTTP <status>". Writes into buf (always NUL-terminated).
 */
void gcu_http_error_message(const struct gcu_http_response *r, char *buf, size_t len);

#endif
