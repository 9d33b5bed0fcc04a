/*
 * sim_server.c - the HTTP side of gcu-sim: libmicrohttpd glue, the ready
 * file, the competing writer thread and the signal-driven shutdown.
 *
 * Without injected latency the daemon runs a small pool of epoll threads
 * (--threads), which is what serves tens of thousands of requests a
 * second; with latency every connection gets its own thread, so a slow
 * answer never holds up the others. Request bodies are collected here
 * (up to 1 MiB; more is drained and answered 413) and everything else is
 * left to sim_handle(). One writer thread plays the other integrations
 * (--writer stamps users, --queue-writer removes queue members).
 */
#include "sim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "grow.h"
#include "sim_api.h"
#include "sim_groups.h"

struct conn {
	struct sbuf body;
	int too_large;
	struct sim_query *query;
	size_t nquery, capquery;
};

struct writer {
	struct sim *sim;
	atomic_int stop;
	pthread_t thread;
	int started;
};

void sim_options_defaults(struct sim_options *o)
{
	memset(o, 0, sizeof *o);
	o->listen = "127.0.0.1";
	o->generate = 200;
	o->seed = 1;
	o->limit = 300;
	o->window = 60;
	o->count_rejected = 1;
	o->headers = SIM_HDR_BOTH;
	o->retry_after = SIM_RETRY_SECONDS;
	o->token_ttl = 86400;
	o->threads = 2;
	o->verbosity = 1;
	o->client_id = "gcu-sim";
	o->client_secret = "gcu-sim-secret";
}

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
	struct conn *c = cls;

	(void)kind;
	if (gcu_grow(&c->query, &c->capquery, c->nquery, sizeof *c->query, 8) < 0)
		return MHD_NO;
	c->query[c->nquery].key = key;
	c->query[c->nquery].value = value;
	c->nquery++;
	return MHD_YES;
}

static enum MHD_Result respond(struct MHD_Connection *mc, struct sim_reply *rep)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len = rep->body.len;
	char *body = sbuf_take(&rep->body);

	if (body == NULL)
		return MHD_NO;
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	if (len > 0 || rep->status != 204)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rep->content_type);
	for (int i = 0; i < rep->nhdr; i++)
		MHD_add_response_header(r, rep->hdr[i].name, rep->hdr[i].value);
	if (rep->big_header.len > 0)
		MHD_add_response_header(r, "X-Hostile-Padding", rep->big_header.p);
	ret = MHD_queue_response(mc, (unsigned)rep->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct sim *sim = cls;
	struct conn *c = *con_cls;
	struct sim_request req;
	struct sim_reply rep;
	enum MHD_Result ret;

	(void)version;
	if (c == NULL) {
		c = calloc(1, sizeof *c);
		if (c == NULL)
			return MHD_NO;
		*con_cls = c;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!c->too_large && c->body.len + *upload_data_size > SIM_MAX_BODY) {
			c->too_large = 1;
			sbuf_free(&c->body);
		}
		if (!c->too_large && sbuf_add(&c->body, upload_data, *upload_data_size) < 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	MHD_get_connection_values(mc, MHD_GET_ARGUMENT_KIND, collect_query, c);
	memset(&req, 0, sizeof req);
	memset(&rep, 0, sizeof rep);
	req.method = method;
	req.path = url;
	req.authorization =
	    MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	req.query = c->query;
	req.nquery = c->nquery;
	req.body = c->body.p;
	req.body_len = c->body.len;
	req.body_too_large = c->too_large;
	sim_handle(sim, &req, &rep);
	ret = rep.drop ? MHD_NO : respond(mc, &rep);
	sim_reply_free(&rep);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct conn *c = *con_cls;

	(void)cls;
	(void)mc;
	(void)toe;
	if (c == NULL)
		return;
	sbuf_free(&c->body);
	free(c->query);
	free(c);
	*con_cls = NULL;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint64_t rng = w->sim->opt.seed ^ 0x3217e3217e3217eull;
	uint64_t qrng = w->sim->opt.seed ^ 0x9e3e9e3e9e3e9e3eull;
	double rate = w->sim->opt.writer, qrate = w->sim->opt.queue_writer;
	double next = sim_now(), qnext = next;

	while (!atomic_load(&w->stop)) {
		double now = sim_now();
		if (rate > 0 && now >= next) {
			char stamp[40];
			if (sim_fmt_iso(sim_wall(now), stamp, sizeof stamp) == 0 &&
			    sim_org_touch(&w->sim->org, &rng, stamp) == 0)
				sim_stats_add(&w->sim->stats, SIM_C_WRITER_WRITES, 1);
			next += 1.0 / rate;
			continue;
		}
		if (qrate > 0 && now >= qnext) {
			if (sim_groups_drop_random(&w->sim->org, &qrng) == 0)
				sim_stats_add(&w->sim->stats, SIM_C_QUEUE_WRITER_WRITES, 1);
			qnext += 1.0 / qrate;
			continue;
		}
		double wait = 0.05;
		if (rate > 0 && next - now < wait)
			wait = next - now;
		if (qrate > 0 && qnext - now < wait)
			wait = qnext - now;
		struct timespec ts = {(time_t)wait, (long)((wait - floor(wait)) * 1e9)};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static int write_ready(const char *path, const char *url, char *err, size_t errlen)
{
	char tmp[4096];
	FILE *fp;
	int n = snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());

	if (n < 0 || (size_t)n >= sizeof tmp) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	fp = fopen(tmp, "w");
	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	fprintf(fp, "%s\n", url);
	if (fclose(fp) != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int is_loopback(struct in_addr a)
{
	return (ntohl(a.s_addr) >> 24) == 127;
}

int sim_run(const struct sim_options *o, char *err, size_t errlen)
{
	struct sim sim;
	struct writer w;
	struct MHD_Daemon *d = NULL;
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	sigset_t set;
	char url[128];
	unsigned flags;
	int rc, sig = 0, inited = 0;
	/* libmicrohttpd builds the response header in the connection's pool
	 * (32 KiB by default): room for the hostile 200 KB header. */
	size_t pool =
	    (o->hostile & SIM_HOSTILE_HUGE_HEADERS) ? (size_t)1024 * 1024 : (size_t)32 * 1024;

	memset(&w, 0, sizeof w);
	/* A shell starts background jobs with SIGINT ignored, and an ignored
	 * signal is discarded rather than left pending for sigwait(). */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sim_log_level(o->verbosity);
	sim_clock_start();

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)o->port);
	if (inet_pton(AF_INET, strcmp(o->listen, "localhost") == 0 ? "127.0.0.1" : o->listen,
	              &sa.sin_addr) != 1) {
		snprintf(err, errlen, "%s: not an IPv4 address", o->listen);
		rc = EX_USAGE;
		goto out;
	}
	if (!is_loopback(sa.sin_addr)) {
		if (!o->listen_explicit) {
			snprintf(err, errlen, "refusing to listen on %s", o->listen);
			rc = EX_USAGE;
			goto out;
		}
		sim_log(0,
		        "warning: listening on non-loopback address %s; anyone who can reach it "
		        "can use the simulated org",
		        o->listen);
	}
	rc = sim_init(&sim, o, err, errlen);
	inited = 1;
	if (rc)
		goto out;
	sim_log(2, "org ready: %zu users", sim.org.n);

	flags = MHD_USE_INTERNAL_POLLING_THREAD;
	if (o->latency_ms > 0 || o->jitter_ms > 0)
		flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
	else
		flags |= MHD_USE_EPOLL | MHD_USE_TURBO;
	if (o->verbosity >= 3)
		flags |= MHD_USE_ERROR_LOG;
	if (flags & MHD_USE_THREAD_PER_CONNECTION)
		d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &sim, MHD_OPTION_SOCK_ADDR,
		                     &sa, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		                     MHD_OPTION_CONNECTION_TIMEOUT, 60u,
		                     MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,
		                     MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_END);
	else
		d = MHD_start_daemon(
		    flags, 0, NULL, NULL, on_request, &sim, MHD_OPTION_SOCK_ADDR, &sa,
		    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_THREAD_POOL_SIZE,
		    (unsigned)(o->threads > 0 ? o->threads : 1), MHD_OPTION_CONNECTION_TIMEOUT, 60u,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
		    MHD_OPTION_END);
	if (d == NULL) {
		snprintf(err, errlen, "cannot listen on %s:%u", o->listen, o->port);
		rc = EX_UNAVAILABLE;
		goto out;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	rc = snprintf(url, sizeof url, "http://%s:%u", inet_ntoa(sa.sin_addr),
	              info ? (unsigned)info->port : o->port);
	if (rc < 0 || (size_t)rc >= sizeof url) {
		snprintf(err, errlen, "address too long");
		rc = EX_SOFTWARE;
		goto out;
	}
	if (o->writer > 0 || o->queue_writer > 0) {
		w.sim = &sim;
		if (pthread_create(&w.thread, NULL, writer_main, &w) != 0) {
			snprintf(err, errlen, "cannot start the writer: %s", strerror(errno));
			rc = EX_OSERR;
			goto out;
		}
		w.started = 1;
	}
	if (o->ready_file && write_ready(o->ready_file, url, err, errlen) < 0) {
		rc = EX_CANTCREAT;
		goto out;
	}
	sim_log(2, "%s", url);
	sigwait(&set, &sig);
	sim_log(2, "signal %d: stopping", sig);
	rc = 0;
out:
	if (d)
		MHD_stop_daemon(d);
	if (w.started) {
		atomic_store(&w.stop, 1);
		pthread_join(w.thread, NULL);
	}
	if (rc == 0 && o->dump_file && sim_org_dump(&sim.org, o->dump_file, err, errlen) < 0)
		rc = EX_CANTCREAT;
	if (inited)
		sim_free(&sim);
	return rc;
}
