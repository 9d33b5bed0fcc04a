/*
 * test_directory.c - reading the directory from gcu-sim (the program in
 * $GCU_SIM, an org of 3,000 generated users): which requests each plan
 * sends, counted by the simulator, and that what was read is the org.
 *
 * The rules: a file that needs one search sends that search and no page
 * of the directory; one that needs more reads the directory's first page
 * (500 users) to size it, then the searches when they cost less than the
 * rest of the directory, else the rest; every catalogue named is listed
 * whole, numbered pages or a cursor (teams); what was read holds every
 * user (none deleted, the inactive ones marked) and every entry; a page
 * that keeps failing fails the whole read, which says which page.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "auth.h"
#include "directory.h"
#include "http.h"
#include "json_access.h"
#include "sim_proc.h"
#include "stage.h"
#include "tap.h"

#define ORG "3000"

struct body {
	char *text;
	size_t len;
};

static size_t gather(char *p, size_t size, size_t n, void *ud)
{
	struct body *b = ud;
	char *grown = realloc(b->text, b->len + size * n + 1);
	if (grown == NULL)
		return 0;
	memcpy(grown + b->len, p, size * n);
	b->len += size * n;
	grown[b->len] = '\0';
	b->text = grown;
	return size * n;
}

/* The simulator's answer to a plain request on path (a test route, not
 * the platform's), or "" ; caller frees. */
static char *sim_get(const char *base, const char *path, int post)
{
	struct body b = {calloc(1, 1), 0};
	char url[512];
	CURL *c = curl_easy_init();

	snprintf(url, sizeof url, "%s%s", base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, gather);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (post)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	curl_easy_perform(c);
	curl_easy_cleanup(c);
	return b.text;
}

/* How many requests of route the simulator has answered since its last
 * reset. */
static long route_count(const char *base, const char *route)
{
	char *text = sim_get(base, "/__sim/stats", 0);
	json_object *stats = json_tokener_parse(text);
	json_object *n =
	    gcu_json_get(gcu_json_get(gcu_json_get(stats, "requests"), "by_route"), route);
	long v = n ? (long)json_object_get_int64(n) : 0;

	json_object_put(stats);
	free(text);
	return v;
}

/* The org as the simulator holds it. */
struct org {
	char emails[3000][64];
	size_t users, inactive, entries[GCU_NREFS];
};

static void read_org(const char *base, struct org *o)
{
	char *text = sim_get(base, "/__sim/state?catalog=1", 0);

	memset(o, 0, sizeof *o);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		json_object *u = json_tokener_parse(line);
		const char *kind = gcu_json_str(u, "kind");
		if (kind) {
			for (int k = GCU_REF_USER + 1; k < GCU_NREFS; k++)
				if (strcmp(kind, gcu_ref_name((enum gcu_ref_kind)k)) == 0)
					o->entries[k]++;
		} else if (o->users < 3000) {
			snprintf(o->emails[o->users++], sizeof o->emails[0], "%s",
			         gcu_json_str(u, "email"));
			const char *st = gcu_json_str(u, "state");
			o->inactive += st && strcmp(st, "inactive") == 0;
		}
		json_object_put(u);
	}
	free(text);
}

struct reading {
	struct gcu_config cfg;
	struct gcu_auth auth;
	struct gcu_dir_read_opts o;
	struct gcu_dir_needs needs;
	struct gcu_dir_cost cost;
	struct gcu_page_stats st;
	struct gcu_directory *d;
	char err[600];
	int rc;
};

static void notice(void *ctx, const char *msg)
{
	(void)ctx;
	printf("# %s\n", msg);
}

/* Reads what needs asks for: emails[0..n) and the catalogues marked. */
static void read_dir(struct reading *r, const struct org *o, size_t n, const int *cats)
{
	static const char *values[3000];

	memset(r, 0, sizeof *r);
	gcu_stage_config(&r->cfg, NULL, NULL, NULL, r->err, sizeof r->err);
	r->cfg.platform_limit = 100000;
	r->cfg.platform_window = 1;
	r->cfg.retry_server.base = 0.01;
	r->cfg.retry_server.max = 0.02;
	r->cfg.retry_server.attempts = 2;
	r->cfg.circuit_pause = 0.01;
	for (size_t i = 0; i < n; i++)
		values[i] = o->emails[i];
	r->needs.values[GCU_KEY_EMAIL] = values;
	r->needs.nvalues[GCU_KEY_EMAIL] = n;
	for (int k = 0; cats && cats[k]; k++)
		r->needs.catalogue[cats[k]] = 1;
	r->d = gcu_directory_new();
	if (gcu_platform_open(&r->cfg, &r->auth, &r->o.http, r->err, sizeof r->err) != 0) {
		r->rc = -2;
		printf("# %s\n", r->err);
		return;
	}
	r->o.cfg = &r->cfg;
	r->o.auth = &r->auth;
	r->o.seed = 7;
	r->o.notice = notice;
	r->o.needs = &r->needs;
	r->rc = gcu_directory_read(r->d, &r->o, &r->cost, &r->st, r->err, sizeof r->err);
	if (r->rc != 0)
		printf("# read: %d %s\n", r->rc, r->err);
}

static void done_dir(struct reading *r)
{
	gcu_http_free(r->o.http);
	gcu_auth_free(&r->auth);
	gcu_directory_free(r->d);
	gcu_config_free(&r->cfg);
}

/* How many of emails[0..n) the directory finds exactly once. */
static size_t found_once(const struct reading *r, const struct org *o, size_t n)
{
	const struct gcu_dir_item *m[2];
	size_t once = 0;
	for (size_t i = 0; i < n; i++)
		once += gcu_directory_find_users(r->d, GCU_KEY_EMAIL, o->emails[i], m, 2) == 1;
	return once;
}

static void test_plans(const char *base, const struct org *o)
{
	static const int skills[] = {GCU_REF_SKILL, 0};
	static const int all[] = {GCU_REF_SKILL,    GCU_REF_LANGUAGE, GCU_REF_QUEUE,
	                          GCU_REF_DIVISION, GCU_REF_TEAM,     0};
	const struct gcu_dir_item *m[2];
	struct reading r;

	free(sim_get(base, "/__sim/reset-stats", 1));
	read_dir(&r, o, 60, skills);
	is_long(r.rc, 0, "60 emails: read");
	is_long(r.cost.plan, GCU_PLAN_SEARCH, "60 emails: one search");
	is_long(route_count(base, "POST /api/v2/users/search"), 1, "60 emails: 1 search sent");
	is_long(route_count(base, "GET /api/v2/users"), 0, "60 emails: no directory page");
	is_long(route_count(base, "GET /api/v2/routing/skills"), 1, "the skills: one page");
	is_long(found_once(&r, o, 60), 60, "60 emails: each found once");
	is_long(gcu_directory_find_users(r.d, GCU_KEY_EMAIL, o->emails[100], m, 2), -1,
	        "60 emails: nothing said of a user not searched for");
	is_long(gcu_directory_find_entries(r.d, GCU_REF_SKILL, "Technical", m, 2), 1,
	        "the skills are all there");
	is_long(r.cost.planned, 2, "60 emails: 2 requests planned");
	is_long(r.st.sent, 2, "and 2 sent");
	done_dir(&r);

	free(sim_get(base, "/__sim/reset-stats", 1));
	read_dir(&r, o, 250, NULL);
	is_long(r.cost.plan, GCU_PLAN_SEARCH,
	        "250 emails of 3,000 users: 3 searches cost less than 5 more pages");
	is_long(route_count(base, "GET /api/v2/users"), 1, "250 emails: the first page, to size");
	is_long(route_count(base, "POST /api/v2/users/search"), 3, "250 emails: 3 searches");
	is_long(r.cost.users, 3000, "the directory's size, from its first page");
	is_long(found_once(&r, o, 250), 250, "250 emails: each found once");
	is_long(r.cost.planned, 4, "250 emails: 4 requests planned");
	done_dir(&r);

	free(sim_get(base, "/__sim/reset-stats", 1));
	read_dir(&r, o, 1200, all);
	is_long(r.cost.plan, GCU_PLAN_DIRECTORY,
	        "1,200 emails: the rest of the directory (5 pages) costs less than 12 searches");
	is_long(route_count(base, "GET /api/v2/users"), 6, "1,200 emails: 6 pages of 500");
	is_long(route_count(base, "POST /api/v2/users/search"), 0, "and no search");
	is_long(gcu_directory_users(r.d), (long)o->users, "every user read");
	is_long(found_once(&r, o, 3000), (long)o->users, "each found once, by any email");
	size_t n, inactive = 0, entries[GCU_NREFS] = {0};
	const struct gcu_dir_item *items = gcu_directory_items(r.d, &n);
	for (size_t i = 0; i < n; i++) {
		inactive += items[i].inactive;
		entries[items[i].kind]++;
	}
	is_long(inactive, (long)o->inactive, "the inactive users marked");
	for (int k = GCU_REF_SKILL; k < GCU_NREFS; k++) {
		char name[80];
		snprintf(name, sizeof name, "every %s read", gcu_ref_name((enum gcu_ref_kind)k));
		is_long(entries[k], (long)o->entries[k], name);
	}
	ok(o->entries[GCU_REF_TEAM] > 100 && route_count(base, "GET /api/v2/teams") ==
	                                         (long)(o->entries[GCU_REF_TEAM] + 99) / 100,
	   "teams: one cursor page per 100");
	is_long(r.st.sent, r.cost.planned, "as many requests as planned");
	done_dir(&r);
}

static void test_failing_page(const struct org *o)
{
	static const char *const args[] = {"--generate",
	                                   "600",
	                                   "--seed",
	                                   "1",
	                                   "--limit",
	                                   "100000",
	                                   "--window",
	                                   "1",
	                                   "--fail-route",
	                                   "GET /api/v2/users:2-99:503",
	                                   NULL};
	struct sim_proc s;
	struct reading r;

	if (sim_proc_start(&s, args) < 0) {
		ok(1, "# SKIP gcu-sim did not start");
		return;
	}
	read_dir(&r, o, 300, NULL);
	is_long(r.rc, EX_UNAVAILABLE, "a page that keeps failing fails the read");
	ok(strstr(r.err, "users, page 2: HTTP 503") != NULL, "naming the page and the answer");
	done_dir(&r);
	sim_proc_stop(&s);
}

int main(void)
{
	static const char *const args[] = {"--generate", ORG,        "--seed", "1", "--limit",
	                                   "100000",     "--window", "1",      NULL};
	static struct org o;
	struct sim_proc s;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	unsetenv("GCU_CONFIG");
	unsetenv("GCU_ACCESS_TOKEN");
	unsetenv("GCU_REGION");
	setenv("GCU_SIM_CLIENT_ID", "directory-test", 1);
	setenv("GCU_SIM_CLIENT_SECRET", "directory-test-secret-0123456789", 1);
	setenv("GCU_CLIENT_ID", getenv("GCU_SIM_CLIENT_ID"), 1);
	setenv("GCU_CLIENT_SECRET", getenv("GCU_SIM_CLIENT_SECRET"), 1);
	if (sim_proc_start(&s, args) < 0) {
		ok(1, "# SKIP gcu-sim not found ($GCU_SIM)");
		return done_testing();
	}
	read_org(s.base, &o);
	is_long(o.users, 3000, "the simulator's org");
	test_plans(s.base, &o);
	sim_proc_stop(&s);
	test_failing_page(&o);
	curl_global_cleanup();
	return done_testing();
}
