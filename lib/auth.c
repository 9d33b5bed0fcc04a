/*
 * auth.c - endpoints from the region, and the OAuth client-credentials
 * grant over a blocking libcurl easy handle.
 *
 * The Basic credentials header is built here, in memory that is wiped
 * after the request, rather than through CURLOPT_USERPWD, so that the
 * secret's lifetime is under our control. The login answer (which holds
 * the token) is wiped as well. A failed login is reported with its HTTP
 * status and the OAuth error code, never with the request or the answer.
 */
#include "auth.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "clock.h"
#include "http.h"
#include "region.h"

#define MAX_ANSWER     ((size_t)64 * 1024)
#define MAX_TOKEN      ((size_t)16 * 1024)
#define DEFAULT_EXPIRY 3600.0

struct answer {
	char *buf;
	size_t len, cap;
	int too_big;
};

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static void wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static char *dup_nonempty(const char *s)
{
	if (s == NULL || *s == '\0')
		return NULL;
	return strdup(s);
}

/*
 * prefix + base + suffix, with trailing slashes of base dropped, in new
 * memory; NULL when out of memory.
 */
static char *join(const char *prefix, const char *base, const char *suffix)
{
	size_t n = strlen(base);
	char *s;

	while (n > 0 && base[n - 1] == '/')
		n--;
	size_t total = strlen(prefix) + n + strlen(suffix) + 1;
	s = malloc(total);
	if (s == NULL)
		return NULL;
	int w = snprintf(s, total, "%s%.*s%s", prefix, (int)n, base, suffix);
	if (w < 0 || (size_t)w >= total) {
		free(s);
		return NULL;
	}
	return s;
}

/* A URL gcu may use: allowed scheme and host, no user info. */
static int check_url(const char *what, const char *url, char *err, size_t errlen)
{
	char why[160];
	const char *auth = strstr(url, "://");

	if (!gcu_url_allowed(url, why, sizeof why))
		return fail(err, errlen, GCU_AUTH_USAGE, "%s: %s", what, why);
	if (auth != NULL) {
		auth += 3;
		size_t n = strcspn(auth, "/?#");
		if (memchr(auth, '@', n) != NULL)
			return fail(err, errlen, GCU_AUTH_USAGE,
			            "%s: credentials in the URL are not accepted", what);
	}
	return GCU_AUTH_OK;
}

static int given(const char *s)
{
	return s != NULL && *s != '\0';
}

int gcu_auth_configured(const struct gcu_config *c)
{
	return given(c->auth_api_base) || given(c->auth_region) || given(c->auth_client_id) ||
	       given(c->auth_client_secret) || given(getenv("GCU_ACCESS_TOKEN"));
}

int gcu_auth_init(struct gcu_auth *a, const struct gcu_config *c, char *err, size_t errlen)
{
	const char *domain = NULL;
	const char *login = getenv("GCU_LOGIN_BASE");
	const char *env_token = getenv("GCU_ACCESS_TOKEN");
	const char *region = c->auth_region;
	int rc;

	memset(a, 0, sizeof *a);
	a->expires_at = a->lifetime = INFINITY;
	a->connect_timeout = c->connect_timeout;
	a->request_timeout = c->request_timeout;
	if (c->auth_api_base != NULL && *c->auth_api_base != '\0') {
		a->api_base = join("", c->auth_api_base, "");
		if (a->api_base == NULL)
			goto nomem;
	} else if (region != NULL && *region != '\0') {
		if (gcu_region_domain(region, &domain) < 0) {
			rc = fail(err, errlen, GCU_AUTH_USAGE,
			          "unknown region \"%.64s\" (GCU_REGION): give a region such as "
			          "us-east-1 or a domain such as mypurecloud.ie",
			          region);
			goto out;
		}
		a->api_base = join("https://api.", domain, "");
		if (a->api_base == NULL)
			goto nomem;
	} else {
		rc = fail(err, errlen, GCU_AUTH_USAGE,
		          "no platform: set GCU_REGION (or auth.region) or GCU_API_BASE");
		goto out;
	}
	if (login != NULL && *login != '\0')
		a->token_url = join("", login, "/oauth/token");
	else if (domain == NULL)
		a->token_url = join("", a->api_base, "/oauth/token");
	else
		a->token_url = join("https://login.", domain, "/oauth/token");
	if (a->token_url == NULL)
		goto nomem;
	rc = check_url("API base", a->api_base, err, errlen);
	if (rc == GCU_AUTH_OK)
		rc = check_url("login URL", a->token_url, err, errlen);
	if (rc != GCU_AUTH_OK)
		goto out;

	int has_id = c->auth_client_id != NULL && *c->auth_client_id != '\0';
	int has_secret = c->auth_client_secret != NULL && *c->auth_client_secret != '\0';
	if (has_id != has_secret) {
		rc = fail(err, errlen, GCU_AUTH_USAGE, "%s",
		          has_id ? "GCU_CLIENT_ID is set but GCU_CLIENT_SECRET is not"
		                 : "GCU_CLIENT_SECRET is set but GCU_CLIENT_ID is not");
		goto out;
	}
	if (has_id) {
		a->client_id = dup_nonempty(c->auth_client_id);
		a->client_secret = dup_nonempty(c->auth_client_secret);
		if (a->client_id == NULL || a->client_secret == NULL)
			goto nomem;
		if (strchr(a->client_id, ':') != NULL) {
			rc = fail(err, errlen, GCU_AUTH_USAGE,
			          "GCU_CLIENT_ID must not contain a colon");
			goto out;
		}
	}
	if (env_token != NULL && *env_token != '\0') {
		size_t n = strnlen(env_token, MAX_TOKEN + 1);
		int bad = n > MAX_TOKEN;
		for (size_t i = 0; !bad && i < n; i++)
			bad = (unsigned char)env_token[i] < 0x21 ||
			      (unsigned char)env_token[i] > 0x7e;
		if (bad) {
			rc = fail(err, errlen, GCU_AUTH_USAGE,
			          "GCU_ACCESS_TOKEN is not a usable token (too long or not "
			          "printable)");
			goto out;
		}
		a->token = strdup(env_token);
		if (a->token == NULL)
			goto nomem;
		a->token_from_env = 1;
		a->obtained_at = gcu_now();
	}
	if (a->token == NULL && a->client_id == NULL) {
		rc = fail(err, errlen, GCU_AUTH_USAGE,
		          "no credentials: set GCU_CLIENT_ID and GCU_CLIENT_SECRET, or "
		          "GCU_ACCESS_TOKEN");
		goto out;
	}
	return GCU_AUTH_OK;
nomem:
	rc = fail(err, errlen, GCU_AUTH_SOFTWARE, "out of memory");
out:
	gcu_auth_free(a);
	return rc;
}

static size_t on_answer(char *data, size_t size, size_t nmemb, void *userp)
{
	struct answer *ans = userp;
	size_t len = size * nmemb;

	if (len > MAX_ANSWER - ans->len) {
		ans->too_big = 1;
		return 0;
	}
	if (ans->len + len + 1 > ans->cap) {
		char *grown = malloc(MAX_ANSWER + 1);
		if (grown == NULL)
			return 0;
		if (ans->buf != NULL) {
			memcpy(grown, ans->buf, ans->len);
			explicit_bzero(ans->buf, ans->cap);
			free(ans->buf);
		}
		ans->buf = grown;
		ans->cap = MAX_ANSWER + 1;
	}
	memcpy(ans->buf + ans->len, data, len);
	ans->len += len;
	ans->buf[ans->len] = '\0';
	return len;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* "Authorization: Basic base64(id:secret)" in fresh memory; NULL on ENOMEM. */
static char *basic_header(const char *id, const char *secret)
{
	static const char prefix[] = "Authorization: Basic ";
	size_t inlen = strlen(id) + 1 + strlen(secret);
	size_t outlen = sizeof prefix - 1 + 4 * ((inlen + 2) / 3) + 1;
	unsigned char *in = malloc(inlen + 1);
	char *out = malloc(outlen), *o;

	if (in == NULL || out == NULL ||
	    snprintf((char *)in, inlen + 1, "%s:%s", id, secret) != (int)inlen) {
		if (in != NULL)
			explicit_bzero(in, inlen + 1);
		free(in);
		free(out);
		return NULL;
	}
	memcpy(out, prefix, sizeof prefix - 1);
	o = out + sizeof prefix - 1;
	for (size_t i = 0; i < inlen; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < inlen)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < inlen)
			v |= in[i + 2];
		*o++ = b64[(v >> 18) & 63];
		*o++ = b64[(v >> 12) & 63];
		*o++ = i + 1 < inlen ? b64[(v >> 6) & 63] : '=';
		*o++ = i + 2 < inlen ? b64[v & 63] : '=';
	}
	*o = '\0';
	explicit_bzero(in, inlen + 1);
	free(in);
	return out;
}

static void free_headers(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p != NULL; p = p->next)
		if (p->data != NULL)
			explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

/* The OAuth "error" code of a refusal, if it is a plain token; else "". */
static void oauth_error(const struct answer *ans, char *out, size_t outlen)
{
	struct json_object *root, *e;
	const char *s;

	out[0] = '\0';
	if (ans->buf == NULL)
		return;
	root = json_tokener_parse(ans->buf);
	if (root == NULL)
		return;
	if (json_object_object_get_ex(root, "error", &e) &&
	    json_object_is_type(e, json_type_string)) {
		s = json_object_get_string(e);
		size_t n =
		    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");
		if (s[n] == '\0' && n > 0 && n < outlen)
			(void)snprintf(out, outlen, "%s", s);
	}
	json_object_put(root);
}

/* Takes access_token and expires_in from a 200 answer. */
static int take_token(struct gcu_auth *a, const struct answer *ans, char *err, size_t errlen)
{
	struct json_object *root = NULL, *t, *exp;
	const char *tok;
	double life = DEFAULT_EXPIRY;
	char *copy;
	int rc;

	if (ans->buf != NULL)
		root = json_tokener_parse(ans->buf);
	if (root == NULL || !json_object_object_get_ex(root, "access_token", &t) ||
	    !json_object_is_type(t, json_type_string)) {
		rc = fail(err, errlen, GCU_AUTH_UNAVAILABLE,
		          "login service answered without an access token");
		goto out;
	}
	tok = json_object_get_string(t);
	size_t n = strnlen(tok, MAX_TOKEN + 1);
	int bad = n == 0 || n > MAX_TOKEN;
	for (size_t i = 0; !bad && i < n; i++)
		bad = (unsigned char)tok[i] < 0x21 || (unsigned char)tok[i] > 0x7e;
	if (bad) {
		rc = fail(err, errlen, GCU_AUTH_UNAVAILABLE,
		          "login service answered with an unusable access token");
		goto out;
	}
	if (json_object_object_get_ex(root, "expires_in", &exp) &&
	    (json_object_is_type(exp, json_type_int) ||
	     json_object_is_type(exp, json_type_double))) {
		double v = json_object_get_double(exp);
		if (v > 0 && isfinite(v))
			life = v > 1e9 ? 1e9 : v;
	}
	copy = strdup(tok);
	if (copy == NULL) {
		rc = fail(err, errlen, GCU_AUTH_SOFTWARE, "out of memory");
		goto out;
	}
	wipe_free(a->token);
	a->token = copy;
	a->token_from_env = 0;
	a->obtained_at = gcu_now();
	a->lifetime = life;
	a->expires_at = a->obtained_at + life;
	a->grants++;
	rc = GCU_AUTH_OK;
out:
	if (root != NULL)
		json_object_put(root);
	return rc;
}

/* One client-credentials grant. */
static int grant(struct gcu_auth *a, char *err, size_t errlen)
{
	struct answer ans = {NULL, 0, 0, 0};
	struct curl_slist *hdrs = NULL, *n;
	char *basic = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	char code[64];
	CURL *e = NULL;
	CURLcode cc = CURLE_OK;
	long status = 0;
	int rc;

	e = curl_easy_init();
	basic = basic_header(a->client_id, a->client_secret);
	if (e == NULL || basic == NULL)
		goto nomem;
	static const char *const fixed[] = {"Content-Type: application/x-www-form-urlencoded",
	                                    "Accept: application/json", "Expect:"};
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		if ((n = curl_slist_append(hdrs, fixed[i])) == NULL)
			goto nomem;
		hdrs = n;
	}
	if ((n = curl_slist_append(hdrs, basic)) == NULL)
		goto nomem;
	hdrs = n;
	cc |= curl_easy_setopt(e, CURLOPT_URL, a->token_url);
	cc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	cc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	cc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	cc |= curl_easy_setopt(e, CURLOPT_USERAGENT, GCU_USER_AGENT);
	cc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	cc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, "grant_type=client_credentials");
	cc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	                       gcu_http_timeout_ms(a->connect_timeout, 10));
	cc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, gcu_http_timeout_ms(a->request_timeout, 60));
	cc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_answer);
	cc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, &ans);
	cc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	if (cc != CURLE_OK)
		goto nomem;
	cc = curl_easy_perform(e);
	if (cc != CURLE_OK) {
		rc = fail(err, errlen, GCU_AUTH_UNAVAILABLE,
		          "cannot reach the login service at %s: %s", a->token_url,
		          ans.too_big ? "answer too large"
		                      : (errbuf[0] ? errbuf : curl_easy_strerror(cc)));
		goto out;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	if (status == 200) {
		rc = take_token(a, &ans, err, errlen);
	} else if (status == 400 || status == 401 || status == 403) {
		oauth_error(&ans, code, sizeof code);
		rc = fail(err, errlen, GCU_AUTH_DENIED,
		          "login refused (HTTP %ld%s%s): check GCU_CLIENT_ID and GCU_CLIENT_SECRET",
		          status, code[0] ? " " : "", code);
	} else {
		rc = fail(err, errlen, GCU_AUTH_UNAVAILABLE,
		          "login service at %s answered HTTP %ld", a->token_url, status);
	}
	goto out;
nomem:
	rc = fail(err, errlen, GCU_AUTH_SOFTWARE, "out of memory");
out:
	if (e != NULL)
		curl_easy_cleanup(e);
	free_headers(hdrs);
	wipe_free(basic);
	if (ans.buf != NULL) {
		explicit_bzero(ans.buf, ans.cap);
		free(ans.buf);
	}
	return rc;
}

static int expiring(const struct gcu_auth *a, double now)
{
	double margin = a->lifetime * 0.1;

	if (margin > GCU_AUTH_MARGIN)
		margin = GCU_AUTH_MARGIN;
	return now >= a->expires_at - margin;
}

int gcu_auth_token(struct gcu_auth *a, char *err, size_t errlen)
{
	if (a->token != NULL && (a->client_id == NULL || !expiring(a, gcu_now())))
		return GCU_AUTH_OK;
	if (a->client_id == NULL)
		return fail(err, errlen, GCU_AUTH_USAGE,
		            "no credentials: set GCU_CLIENT_ID and GCU_CLIENT_SECRET, or "
		            "GCU_ACCESS_TOKEN");
	return grant(a, err, errlen);
}

int gcu_auth_refresh(struct gcu_auth *a, char *err, size_t errlen)
{
	if (a->client_id == NULL)
		return fail(err, errlen, GCU_AUTH_DENIED,
		            "the access token was refused and cannot be renewed: set "
		            "GCU_CLIENT_ID and GCU_CLIENT_SECRET, or a fresh GCU_ACCESS_TOKEN");
	return grant(a, err, errlen);
}

int gcu_auth_renew(struct gcu_auth *a, int attempts, char *err, size_t errlen)
{
	int rc;

	if (a->client_id == NULL)
		return gcu_auth_token(a, err, errlen);
	for (int i = 1;; i++) {
		rc = grant(a, err, errlen);
		if (rc != GCU_AUTH_UNAVAILABLE || i >= attempts)
			return rc;
		gcu_sleep(2.0 * i);
	}
}

const char *gcu_auth_bearer(const struct gcu_auth *a)
{
	return a->token;
}

double gcu_auth_expires_in(const struct gcu_auth *a, double now)
{
	if (a->token == NULL)
		return 0;
	if (isinf(a->expires_at))
		return INFINITY;
	return a->expires_at > now ? a->expires_at - now : 0;
}

void gcu_auth_free(struct gcu_auth *a)
{
	if (a == NULL)
		return;
	free(a->api_base);
	free(a->token_url);
	free(a->client_id);
	wipe_free(a->client_secret);
	wipe_free(a->token);
	a->api_base = a->token_url = a->client_id = a->client_secret = a->token = NULL;
	a->token_from_env = 0;
	a->expires_at = a->lifetime = INFINITY;
}
