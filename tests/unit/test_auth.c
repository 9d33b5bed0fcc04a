/*
 * test_auth.c - endpoints from the region or the API base, and the
 * client-credentials grant against an in-process login server.
 *
 * The server checks the Basic header byte for byte, the form body and
 * its content type, and answers by mode: a token with a chosen lifetime,
 * a refusal, a server error, an answer without a token, a slow answer.
 * Every error message the tests see is checked for the secret.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth.h"
#include "clock.h"
#include "http.h"
#include "tap.h"
#include "test_server.h"

extern char **environ;

#define ID     "gcu-test"
#define SECRET "s3cr3t-value"
#define BASIC  "Basic Z2N1LXRlc3Q6czNjcjN0LXZhbHVl" /* base64 of ID:SECRET */

enum mode { M_TOKEN, M_SERVER_ERROR, M_NO_TOKEN, M_BAD_TOKEN, M_SLOW };

struct login {
	struct MHD_Daemon *d;
	int port;
	pthread_mutex_t mu;
	enum mode mode;
	double expires_in;
	int grants, bad_requests, requests;
	char last_auth[256];
	volatile int stopping;
};

static int secret_leaked;

/* Checks a message for the secret; counts a leak. */
static void no_secret(const char *msg)
{
	if (strstr(msg, SECRET) != NULL || strstr(msg, "Z2N1LXRlc3Q6") != NULL)
		secret_leaked++;
}

static const char *const json_type[] = {"Content-Type", "application/json", NULL};

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_size, void **con_cls)
{
	struct login *l = cls;
	char buf[512];
	enum MHD_Result ret;

	(void)version;
	if (upload_gather(con_cls, upload_data, upload_size, &ret))
		return ret;
	const struct upload *u = *con_cls;
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	const char *ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");

	pthread_mutex_lock(&l->mu);
	l->requests++;
	(void)snprintf(l->last_auth, sizeof l->last_auth, "%s", auth ? auth : "");
	enum mode mode = l->mode;
	double expires = l->expires_in;
	pthread_mutex_unlock(&l->mu);

	if (strcmp(url, "/oauth/token") != 0 || strcmp(method, "POST") != 0 || ctype == NULL ||
	    strcmp(ctype, "application/x-www-form-urlencoded") != 0 ||
	    strcmp(u->body, "grant_type=client_credentials") != 0) {
		pthread_mutex_lock(&l->mu);
		l->bad_requests++;
		pthread_mutex_unlock(&l->mu);
		return reply(c, 400, "{\"error\":\"invalid_request\"}", json_type);
	}
	if (auth == NULL || strcmp(auth, BASIC) != 0)
		return reply(c, 401,
		             "{\"error\":\"invalid_client\",\"description\":\"client not found\"}",
		             json_type);
	switch (mode) {
	case M_SERVER_ERROR:
		return reply(c, 503, "{\"message\":\"down\"}", json_type);
	case M_NO_TOKEN:
		return reply(c, 200, "{\"token_type\":\"bearer\"}", json_type);
	case M_BAD_TOKEN:
		return reply(c, 200, "{\"access_token\":\"a b\\r\\nX-Evil: 1\",\"expires_in\":60}",
		             json_type);
	case M_SLOW:
		for (int i = 0; i < 200 && !l->stopping; i++) {
			struct timespec ts = {0, 10000000L};
			nanosleep(&ts, NULL);
		}
		return reply(c, 503, "{}", json_type);
	case M_TOKEN:
		break;
	}
	pthread_mutex_lock(&l->mu);
	int n = ++l->grants;
	pthread_mutex_unlock(&l->mu);
	(void)snprintf(buf, sizeof buf,
	               "{\"access_token\":\"tok-%d\",\"token_type\":\"bearer\",\"expires_in\":%g}",
	               n, expires);
	return reply(c, 200, buf, json_type);
}

static int login_start(struct login *l)
{
	struct sockaddr_in sa;

	memset(l, 0, sizeof *l);
	pthread_mutex_init(&l->mu, NULL);
	l->expires_in = 3600;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
	                        NULL, NULL, handler, l, MHD_OPTION_SOCK_ADDR, &sa,
	                        MHD_OPTION_NOTIFY_COMPLETED, upload_done, l, MHD_OPTION_END);
	if (l->d == NULL)
		return -1;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL)
		return -1;
	l->port = info->port;
	return 0;
}

static void login_stop(struct login *l)
{
	l->stopping = 1;
	MHD_stop_daemon(l->d);
	pthread_mutex_destroy(&l->mu);
}

static void set_mode(struct login *l, enum mode m, double expires)
{
	pthread_mutex_lock(&l->mu);
	l->mode = m;
	l->expires_in = expires;
	pthread_mutex_unlock(&l->mu);
}

static struct gcu_config conf(char *base, const char *id, const char *secret, const char *region)
{
	struct gcu_config c;

	memset(&c, 0, sizeof c);
	c.connect_timeout = 2;
	c.request_timeout = 5;
	c.auth_api_base = base;
	c.auth_client_id = (char *)id;
	c.auth_client_secret = (char *)secret;
	c.auth_region = (char *)region;
	return c;
}

static void test_endpoints(void)
{
	struct gcu_auth a;
	struct gcu_config c;
	char err[512];

	unsetenv("GCU_LOGIN_BASE");
	unsetenv("GCU_ACCESS_TOKEN");
	c = conf("", ID, SECRET, "eu-west-1");
	is_long(gcu_auth_init(&a, &c, err, sizeof err), GCU_AUTH_OK, "region eu-west-1 resolves");
	is_str(a.api_base, "https://api.mypurecloud.ie", "API base from region");
	is_str(a.token_url, "https://login.mypurecloud.ie/oauth/token", "login URL from region");
	ok(gcu_auth_bearer(&a) == NULL, "no token before the first grant");
	gcu_auth_free(&a);

	c = conf("", ID, SECRET, "mypurecloud.com.au");
	gcu_auth_init(&a, &c, err, sizeof err);
	is_str(a.token_url, "https://login.mypurecloud.com.au/oauth/token", "bare domain works");
	gcu_auth_free(&a);

	setenv("GCU_LOGIN_BASE", "http://127.0.0.1:9/", 1);
	c = conf("", ID, SECRET, "us-west-2");
	gcu_auth_init(&a, &c, err, sizeof err);
	is_str(a.api_base, "https://api.usw2.pure.cloud", "us-west-2 API base");
	is_str(a.token_url, "http://127.0.0.1:9/oauth/token", "GCU_LOGIN_BASE overrides login URL");
	gcu_auth_free(&a);
	unsetenv("GCU_LOGIN_BASE");

	c = conf("http://127.0.0.1:9/", ID, SECRET, "eu-west-1");
	gcu_auth_init(&a, &c, err, sizeof err);
	is_str(a.api_base, "http://127.0.0.1:9", "GCU_API_BASE wins, trailing slash dropped");
	is_str(a.token_url, "http://127.0.0.1:9/oauth/token", "login URL under the API base");
	gcu_auth_free(&a);

	c = conf("", ID, SECRET, "");
	is_long(gcu_auth_init(&a, &c, err, sizeof err), GCU_AUTH_USAGE, "no region: usage");
	ok(strstr(err, "GCU_REGION") != NULL, "message names GCU_REGION");
	no_secret(err);
	c = conf("", ID, SECRET, "mars-1");
	is_long(gcu_auth_init(&a, &c, err, sizeof err), GCU_AUTH_USAGE, "unknown region: usage");
	no_secret(err);
	c = conf("", "", "", "eu-west-1");
	is_long(gcu_auth_init(&a, &c, err, sizeof err), GCU_AUTH_USAGE, "no credentials: usage");
	ok(strstr(err, "GCU_CLIENT_ID") != NULL, "message names the variables");
	c = conf("", ID, "", "eu-west-1");
	is_long(gcu_auth_init(&a, &c, err, sizeof err), GCU_AUTH_USAGE, "id without secret: usage");
	c = conf("", "", SECRET, "eu-west-1");
	is_long(gcu_auth_init(&a, &c, err, sizeof err), GCU_AUTH_USAGE, "secret without id: usage");
	no_secret(err);

	c = conf("http://10.0.0.1", ID, SECRET, "");
	is_long(gcu_auth_init(&a, &c, err, sizeof err), GCU_AUTH_USAGE,
	        "http to a non-loopback API base refused");
	ok(strstr(err, "loopback") != NULL, "message explains the loopback rule");
	no_secret(err);
	setenv("GCU_LOGIN_BASE", "http://login.example.com", 1);
	c = conf("", ID, SECRET, "eu-west-1");
	is_long(gcu_auth_init(&a, &c, err, sizeof err), GCU_AUTH_USAGE,
	        "http to a non-loopback login host refused");
	unsetenv("GCU_LOGIN_BASE");
	c = conf("https://user:" SECRET "@api.example.com", ID, SECRET, "");
	is_long(gcu_auth_init(&a, &c, err, sizeof err), GCU_AUTH_USAGE,
	        "credentials inside the URL refused");
	no_secret(err);
	gcu_auth_free(&a); /* safe after a failed init */
}

static void test_grant(struct login *l)
{
	struct gcu_auth a;
	struct gcu_config c;
	char base[64], err[512] = "";

	(void)snprintf(base, sizeof base, "http://127.0.0.1:%d", l->port);
	c = conf(base, ID, SECRET, "");
	is_long(gcu_auth_init(&a, &c, err, sizeof err), GCU_AUTH_OK, "init against the test login");
	double t0 = gcu_now();
	is_long(gcu_auth_token(&a, err, sizeof err), GCU_AUTH_OK, "client credentials grant");
	is_str(gcu_auth_bearer(&a), "tok-1", "token taken from the answer");
	is_str(l->last_auth, BASIC, "Basic header is base64(id:secret)");
	is_long(l->bad_requests, 0, "form body and content type as the platform wants");
	ok(fabs(gcu_auth_expires_in(&a, t0) - 3600) < 2, "expiry tracked from expires_in");

	is_long(gcu_auth_token(&a, err, sizeof err), GCU_AUTH_OK, "token again");
	is_long(l->grants, 1, "a fresh token is reused, no second grant");

	a.expires_at = gcu_now() + 30; /* within 60 s of expiry */
	is_long(gcu_auth_token(&a, err, sizeof err), GCU_AUTH_OK, "near expiry");
	is_str(gcu_auth_bearer(&a), "tok-2", "renewed within 60 s of expiry");

	is_long(gcu_auth_refresh(&a, err, sizeof err), GCU_AUTH_OK, "forced refresh");
	is_str(gcu_auth_bearer(&a), "tok-3", "refresh gets a new token");
	is_long(a.grants, 3, "three grants counted");

	/* a short-lived token: renewed at a tenth of its life before expiry */
	set_mode(l, M_TOKEN, 1);
	gcu_auth_refresh(&a, err, sizeof err);
	is_str(gcu_auth_bearer(&a), "tok-4", "one-second token");
	gcu_auth_token(&a, err, sizeof err);
	is_str(gcu_auth_bearer(&a), "tok-4", "not renewed while fresh (margin is 0.1 s)");
	gcu_sleep(0.95);
	gcu_auth_token(&a, err, sizeof err);
	is_str(gcu_auth_bearer(&a), "tok-5", "renewed in its last tenth");
	set_mode(l, M_TOKEN, 3600);

	set_mode(l, M_SERVER_ERROR, 3600);
	is_long(gcu_auth_refresh(&a, err, sizeof err), GCU_AUTH_UNAVAILABLE, "503: unavailable");
	ok(strstr(err, "503") != NULL, "message has the status");
	no_secret(err);
	is_str(gcu_auth_bearer(&a), "tok-5", "a failed refresh keeps the old token");
	set_mode(l, M_NO_TOKEN, 3600);
	is_long(gcu_auth_refresh(&a, err, sizeof err), GCU_AUTH_UNAVAILABLE,
	        "answer without a token: unavailable");
	set_mode(l, M_BAD_TOKEN, 3600);
	is_long(gcu_auth_refresh(&a, err, sizeof err), GCU_AUTH_UNAVAILABLE,
	        "token with CR/LF refused");
	no_secret(err);
	set_mode(l, M_TOKEN, 3600);
	gcu_auth_free(&a);

	c = conf(base, ID, "wrong-secret", "");
	gcu_auth_init(&a, &c, err, sizeof err);
	is_long(gcu_auth_token(&a, err, sizeof err), GCU_AUTH_DENIED, "bad credentials: denied");
	ok(strstr(err, "401") != NULL && strstr(err, "invalid_client") != NULL,
	   "message has the status and the OAuth error");
	ok(strstr(err, "wrong-secret") == NULL, "the wrong secret is not in the message");
	printf("# denied: %s\n", err);
	gcu_auth_free(&a);

	a.expires_at = 0;
	c = conf(base, ID, SECRET, "");
	c.request_timeout = 0.3;
	gcu_auth_init(&a, &c, err, sizeof err);
	set_mode(l, M_SLOW, 3600);
	double t1 = gcu_now();
	is_long(gcu_auth_token(&a, err, sizeof err), GCU_AUTH_UNAVAILABLE, "slow login times out");
	ok(gcu_now() - t1 < 1.5, "within the request timeout");
	no_secret(err);
	set_mode(l, M_TOKEN, 3600);
	gcu_auth_free(&a);
}

static void test_env_token(struct login *l)
{
	struct gcu_auth a;
	struct gcu_config c;
	char base[64], err[512];
	int before = l->grants;

	(void)snprintf(base, sizeof base, "http://127.0.0.1:%d", l->port);
	setenv("GCU_ACCESS_TOKEN", "env-token-1", 1);
	c = conf(base, "", "", "");
	is_long(gcu_auth_init(&a, &c, err, sizeof err), GCU_AUTH_OK,
	        "GCU_ACCESS_TOKEN alone is enough");
	is_long(gcu_auth_token(&a, err, sizeof err), GCU_AUTH_OK, "token from the environment");
	is_str(gcu_auth_bearer(&a), "env-token-1", "it is used as is");
	ok(isinf(gcu_auth_expires_in(&a, gcu_now())), "its expiry is unknown");
	is_long(gcu_auth_refresh(&a, err, sizeof err), GCU_AUTH_DENIED,
	        "refresh without client credentials: denied");
	ok(strstr(err, "cannot be renewed") != NULL, "message says why");
	ok(strstr(err, "env-token-1") == NULL, "the token is not in the message");
	is_long(l->grants, before, "no grant was attempted");
	gcu_auth_free(&a);

	c = conf(base, ID, SECRET, "");
	gcu_auth_init(&a, &c, err, sizeof err);
	gcu_auth_token(&a, err, sizeof err);
	is_str(gcu_auth_bearer(&a), "env-token-1",
	       "with credentials too, the given token goes first");
	is_long(gcu_auth_refresh(&a, err, sizeof err), GCU_AUTH_OK,
	        "after a 401 credentials renew it");
	ok(strncmp(gcu_auth_bearer(&a), "tok-", 4) == 0, "a granted token replaced it");
	gcu_auth_free(&a);

	setenv("GCU_ACCESS_TOKEN", "bad token", 1);
	c = conf(base, "", "", "");
	is_long(gcu_auth_init(&a, &c, err, sizeof err), GCU_AUTH_USAGE,
	        "a token with a space is refused");
	ok(strstr(err, "bad token") == NULL, "without repeating it");
	unsetenv("GCU_ACCESS_TOKEN");
}

/* gcu_auth_configured and gcu_auth_renew, what gcu-config --platform and
 * --token are made of. */
static void test_renew(struct login *l)
{
	struct gcu_auth a;
	struct gcu_config c;
	char base[64], err[512];
	int before;

	(void)snprintf(base, sizeof base, "http://127.0.0.1:%d", l->port);
	c = conf("", "", "", "");
	ok(!gcu_auth_configured(&c),
	   "nothing set: nothing configured (run.sh picks the simulator)");
	c = conf("", "", "", "eu-west-1");
	ok(gcu_auth_configured(&c), "a region alone is configured (init says what is missing)");
	c = conf("", "", SECRET, "");
	ok(gcu_auth_configured(&c), "a secret alone is configured");
	setenv("GCU_ACCESS_TOKEN", "env-token-2", 1);
	c = conf("", "", "", "");
	ok(gcu_auth_configured(&c), "GCU_ACCESS_TOKEN alone is configured");

	/* An environment token with credentials: renew grants a new one (the
	 * caller hands out a fresh token, not the one it was given). */
	c = conf(base, ID, SECRET, "");
	gcu_auth_init(&a, &c, err, sizeof err);
	before = l->grants;
	is_long(gcu_auth_renew(&a, 3, err, sizeof err), GCU_AUTH_OK, "renew with credentials");
	ok(strncmp(gcu_auth_bearer(&a), "tok-", 4) == 0, "a granted token, not the given one");
	is_long(l->grants, before + 1, "one grant");
	set_mode(l, M_SERVER_ERROR, 3600);
	before = l->requests;
	is_long(gcu_auth_renew(&a, 2, err, sizeof err), GCU_AUTH_UNAVAILABLE,
	        "a login service that stays down: unavailable");
	is_long(l->requests, before + 2, "tried as many times as asked");
	no_secret(err);
	set_mode(l, M_TOKEN, 3600);
	gcu_auth_free(&a);

	c = conf(base, ID, "wrong-secret", "");
	gcu_auth_init(&a, &c, err, sizeof err);
	before = l->requests;
	is_long(gcu_auth_renew(&a, 3, err, sizeof err), GCU_AUTH_DENIED, "refused: denied");
	is_long(l->requests, before + 1, "a refusal is not tried again");
	gcu_auth_free(&a);

	c = conf(base, "", "", "");
	gcu_auth_init(&a, &c, err, sizeof err);
	before = l->requests;
	is_long(gcu_auth_renew(&a, 3, err, sizeof err), GCU_AUTH_OK,
	        "without credentials: the given token");
	is_str(gcu_auth_bearer(&a), "env-token-2", "kept as it is");
	is_long(l->requests, before, "no login attempted");
	gcu_auth_free(&a);
	unsetenv("GCU_ACCESS_TOKEN");
}

static void test_unreachable(void)
{
	struct login l;
	struct gcu_auth a;
	struct gcu_config c;
	char base[64], err[512];

	if (login_start(&l) < 0)
		exit(1);
	(void)snprintf(base, sizeof base, "http://127.0.0.1:%d", l.port);
	login_stop(&l);
	c = conf(base, ID, SECRET, "");
	gcu_auth_init(&a, &c, err, sizeof err);
	is_long(gcu_auth_token(&a, err, sizeof err), GCU_AUTH_UNAVAILABLE,
	        "login service down: unavailable");
	ok(strstr(err, "cannot reach") != NULL, "message says it cannot reach it");
	no_secret(err);
	printf("# unreachable: %s\n", err);
	gcu_auth_free(&a);
}

/* --- against gcu-sim, when it is built ---------------------------------------- */

struct sim_run {
	int ok200, n429, other, limit_seen, retry_ok, stale;
	double newest;         /* send time of the request behind limit and remaining */
	long limit, remaining; /* the window as that request's answer left it */
};

static void sim_done(struct gcu_http *h, void *user, const struct gcu_http_response *r)
{
	struct sim_run *s = user;

	(void)h;
	if (r->status == 200 && r->rate.has_limit && r->rate.limit == 5 && r->rate.has_remaining)
		s->limit_seen++;
	if (r->status == 200)
		s->ok200++;
	else if (r->status == 429) {
		s->n429++;
		if (r->rate.has_retry_after && r->rate.retry_after > 0 &&
		    r->rate.retry_after <= 1.01)
			s->retry_ok++;
	} else {
		s->other++;
		printf("# sim answered %ld %s\n", r->status, r->error);
	}
	/* Answers come back out of order: an older request's says less. */
	if (r->rate.has_remaining && r->sent_at >= s->newest) {
		s->newest = r->sent_at;
		s->remaining = r->rate.remaining;
		if (r->rate.has_limit)
			s->limit = r->rate.limit;
	} else {
		s->stale++;
	}
}

static const char *find_sim(void)
{
	static const char *const where[] = {"../../bin/gcu-sim", "bin/gcu-sim"};
	const char *env = getenv("GCU_SIM");

	if (env != NULL && access(env, X_OK) == 0)
		return env;
	for (size_t i = 0; i < sizeof where / sizeof where[0]; i++)
		if (access(where[i], X_OK) == 0)
			return where[i];
	return NULL;
}

static void test_sim(void)
{
	const char *sim = find_sim();
	char dir[] = "/tmp/gcu-test-auth-XXXXXX", ready[64], base[128] = "", err[512];
	pid_t pid;

	if (sim == NULL) {
		ok(1, "gcu-sim # SKIP bin/gcu-sim is not built (make bin/gcu-sim)");
		return;
	}
	if (mkdtemp(dir) == NULL) {
		ok(0, "temporary directory");
		return;
	}
	(void)snprintf(ready, sizeof ready, "%s/ready", dir);
	setenv("GCU_SIM_CLIENT_ID", ID, 1);
	setenv("GCU_SIM_CLIENT_SECRET", SECRET, 1);
	char *argv[] = {(char *)sim, "-q",         "--port",    "0",       "--ready-file",
	                ready,       "--generate", "50",        "--limit", "5",
	                "--window",  "1",          "--headers", "both",    NULL};
	if (posix_spawn(&pid, sim, NULL, NULL, argv, environ) != 0) {
		ok(0, "gcu-sim started");
		return;
	}
	for (int i = 0; i < 500 && base[0] == '\0'; i++) {
		FILE *f = fopen(ready, "r");
		if (f != NULL) {
			if (fgets(base, sizeof base, f) == NULL)
				base[0] = '\0';
			fclose(f);
			base[strcspn(base, "\r\n")] = '\0';
		}
		if (base[0] == '\0')
			gcu_sleep(0.01);
	}
	ok(strncmp(base, "http://127.0.0.1:", 17) == 0, "gcu-sim is listening");
	printf("# gcu-sim at %s\n", base);

	struct gcu_auth a;
	struct gcu_config c = conf(base, ID, SECRET, "");
	is_long(gcu_auth_init(&a, &c, err, sizeof err), GCU_AUTH_OK, "sim: init");
	is_long(gcu_auth_token(&a, err, sizeof err), GCU_AUTH_OK,
	        "sim: token by client credentials");
	ok(gcu_auth_bearer(&a) != NULL && a.expires_at > gcu_now() + 60, "sim: token and expiry");

	struct gcu_http_options o = {a.api_base, 2, 5, 0, 2, NULL};
	struct gcu_http *h = gcu_http_new(&o, err, sizeof err);
	struct sim_run run;
	memset(&run, 0, sizeof run);
	if (h != NULL && gcu_http_set_bearer(h, gcu_auth_bearer(&a)) == 0) {
		for (int i = 0; i < 9; i++)
			(void)gcu_http_submit(h, "GET", "/api/v2/users?pageSize=1&state=any", NULL,
			                      0, sim_done, &run);
		double end = gcu_now() + 10;
		while (gcu_http_inflight(h) > 0 && gcu_now() < end)
			(void)gcu_http_run(h, 0.5);
	}
	printf("# sim: %d ok, %d 429, %d other, %d stale\n", run.ok200, run.n429, run.other,
	       run.stale);
	ok(run.ok200 >= 1 && run.ok200 + run.n429 == 9, "sim: 9 answers, 200s and 429s");
	ok(run.n429 >= 1, "sim: a burst over the limit of 5 meets 429");
	is_long(run.limit_seen, run.ok200, "sim: every 200 carried limit 5 and remaining");
	is_long(run.retry_ok, run.n429, "sim: every 429 carried a Retry-After within the window");
	ok(run.newest > 0 && run.limit == 5 && run.remaining == 0,
	   "sim: the newest answer says the window is spent");
	gcu_http_free(h);

	is_long(gcu_auth_refresh(&a, err, sizeof err), GCU_AUTH_OK, "sim: refresh");
	gcu_auth_free(&a);
	c = conf(base, ID, "not-the-secret", "");
	gcu_auth_init(&a, &c, err, sizeof err);
	is_long(gcu_auth_token(&a, err, sizeof err), GCU_AUTH_DENIED, "sim: bad secret is denied");
	ok(strstr(err, "not-the-secret") == NULL, "sim: the secret is not in the message");
	gcu_auth_free(&a);

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	unlink(ready);
	rmdir(dir);
}

int main(void)
{
	struct login l;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	unsetenv("GCU_ACCESS_TOKEN");
	unsetenv("GCU_LOGIN_BASE");
	test_endpoints();
	if (login_start(&l) < 0) {
		printf("Bail out! cannot start the test login server\n");
		return 1;
	}
	test_grant(&l);
	test_env_token(&l);
	test_renew(&l);
	login_stop(&l);
	test_unreachable();
	test_sim();
	is_long(secret_leaked, 0, "the secret appeared in no error message");
	curl_global_cleanup();
	return done_testing();
}
