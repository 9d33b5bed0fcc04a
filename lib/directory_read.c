/*
 * directory_read.c - reading the directory of directory.h from the
 * platform, the cheaper way (see gcu_directory_read).
 *
 * Each catalogue the change file names something of is listed whole; the
 * users are found by the user search, a hundred values a request, or by
 * paging the whole directory when that costs no more, as the first page
 * tells. What was read goes into the directory through its public
 * functions, and what reading cost is counted.
 */
#include "directory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_access.h"

#define USER_PAGE      500 /* the most GET /api/v2/users gives a page */
#define CATALOGUE_PAGE 100 /* the most a catalogue listing gives a page */
#define SEARCH_VALUES  100 /* values a search asks for */
#define SEARCH_PAGE    100 /* the most a search answers a page */
#define USERS_PATH     "/api/v2/users?state=any"
#define SEARCH_PATH    "/api/v2/users/search"

/* Where the platform lists each catalogue, and how it pages it. */
static const struct {
	enum gcu_ref_kind kind;
	const char *path;
	enum gcu_paging paging;
} catalogues[] = {
    {GCU_REF_SKILL, "/api/v2/routing/skills", GCU_PAGING_NUMBERED},
    {GCU_REF_LANGUAGE, "/api/v2/routing/languages", GCU_PAGING_NUMBERED},
    {GCU_REF_QUEUE, "/api/v2/routing/queues", GCU_PAGING_NUMBERED},
    {GCU_REF_TEAM, "/api/v2/teams", GCU_PAGING_CURSOR},
    {GCU_REF_DIVISION, "/api/v2/authorization/divisions", GCU_PAGING_NUMBERED},
};
#define NCATALOGUES (sizeof catalogues / sizeof *catalogues)

/* The user search's field for each key. */
static const char *const search_fields[GCU_NKEYS] = {NULL, "email", "username",
                                                     "employerInfo.employeeId"};

const char *gcu_dir_plan_name(enum gcu_dir_plan p)
{
	static const char *const names[] = {"none", "directory", "search", "capture"};
	return (unsigned)p < sizeof names / sizeof *names ? names[p] : "";
}

unsigned long gcu_dir_searches(const struct gcu_dir_needs *n)
{
	unsigned long s = 0;
	for (int k = GCU_KEY_ID + 1; k < GCU_NKEYS; k++)
		s += (n->nvalues[k] + SEARCH_VALUES - 1) / SEARCH_VALUES;
	return s;
}

enum gcu_dir_plan gcu_dir_choose(unsigned long searches, long pages)
{
	if (searches == 0)
		return GCU_PLAN_NONE;
	if (pages < 0) /* a single search costs no more than the first page */
		return searches <= 1 ? GCU_PLAN_SEARCH : GCU_PLAN_DIRECTORY;
	return (unsigned long)(pages > 0 ? pages - 1 : 0) <= searches ? GCU_PLAN_DIRECTORY
	                                                              : GCU_PLAN_SEARCH;
}

/* A read of the directory: its rounds of the page reader add to it. */
struct reading {
	struct gcu_directory *d;
	const struct gcu_dir_read_opts *o;
	struct gcu_dir_cost *cost;
	struct gcu_page_stats *st; /* summed over the rounds */
	struct gcu_listing *listings;
	unsigned long pages, sent; /* of the rounds before this one */
};

static int take_page(void *ctx, struct gcu_listing *l, json_object *entities, char *err,
                     size_t errlen)
{
	struct reading *rd = ctx;
	size_t n = json_object_array_length(entities);

	if (l->tag == GCU_REF_USER) {
		if (l->search)
			rd->cost->searches++;
		else
			rd->cost->user_pages++;
	} else {
		rd->cost->catalogue_pages++;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(entities, i);
		int rc =
		    l->tag == GCU_REF_USER
		        ? gcu_directory_add_user(rd->d, e)
		        : gcu_directory_add_entry(rd->d, (enum gcu_ref_kind)l->tag,
		                                  gcu_json_str(e, "id"), gcu_json_str(e, "name"));
		if (rc < 0) {
			snprintf(err, errlen, "%s: out of memory", l->what);
			return -1;
		}
	}
	return 0;
}

static void add_stats(struct gcu_page_stats *sum, const struct gcu_page_stats *one)
{
	sum->records += one->records;
	sum->sent += one->sent;
	sum->http_429 += one->http_429;
	sum->retries += one->retries;
	sum->refreshes += one->refreshes;
	sum->capped += one->capped;
	sum->unavailable += one->unavailable;
	sum->elapsed += one->elapsed;
	for (size_t i = 0; i < sizeof sum->blocked / sizeof *sum->blocked; i++)
		sum->blocked[i] += one->blocked[i];
	sum->limit = one->limit;
	sum->left = one->left;
	sum->blind = one->blind;
	sum->auth_failed = one->auth_failed;
	sum->gave_up = one->gave_up;
	sum->interrupted = one->interrupted;
	sum->pages += one->pages;
}

static void progress(void *ctx, unsigned long pages, unsigned long sent)
{
	struct reading *rd = ctx;
	rd->o->progress(rd->o->ctx, rd->pages + pages, rd->sent + sent);
}

/* One round: reads listings[from, to). */
static int read_listings(struct reading *rd, size_t from, size_t to, char *err, size_t errlen)
{
	struct gcu_page_opts po = {0};
	struct gcu_page_stats one;

	if (from == to)
		return 0;
	po.net = rd->o->net;
	po.listings = rd->listings + from;
	po.nlistings = to - from;
	po.page = take_page;
	po.progress = rd->o->progress ? progress : NULL;
	po.page_ctx = rd;
	int rc = gcu_page_run(&po, &one, err, errlen);
	add_stats(rd->st, &one);
	rd->pages = rd->st->pages;
	rd->sent = rd->st->sent;
	return rc;
}

/* The search listings for needs, from listings[*n] on: 100 values each,
 * active and inactive users only (deleted ones cannot be changed). */
static void add_searches(const struct gcu_dir_needs *needs, struct gcu_listing *listings, size_t *n,
                         char (*what)[48], size_t total)
{
	size_t nth = 0;

	for (int k = GCU_KEY_ID + 1; k < GCU_NKEYS; k++) {
		for (size_t i = 0; i < needs->nvalues[k]; i += SEARCH_VALUES) {
			json_object *body = json_object_new_object(),
			            *query = json_object_new_array();
			json_object *by = json_object_new_object(),
			            *fields = json_object_new_array();
			json_object *values = json_object_new_array();
			json_object *st = json_object_new_object(), *stf = json_object_new_array();
			json_object *stv = json_object_new_array();
			for (size_t v = i; v < needs->nvalues[k] && v < i + SEARCH_VALUES; v++)
				json_object_array_add(values,
				                      json_object_new_string(needs->values[k][v]));
			json_object_array_add(fields, json_object_new_string(search_fields[k]));
			json_object_object_add(by, "type", json_object_new_string("EXACT"));
			json_object_object_add(by, "fields", fields);
			json_object_object_add(by, "values", values);
			json_object_array_add(stf, json_object_new_string("state"));
			json_object_array_add(stv, json_object_new_string("active"));
			json_object_array_add(stv, json_object_new_string("inactive"));
			json_object_object_add(st, "type", json_object_new_string("EXACT"));
			json_object_object_add(st, "fields", stf);
			json_object_object_add(st, "values", stv);
			json_object_array_add(query, by);
			json_object_array_add(query, st);
			json_object_object_add(body, "query", query);
			struct gcu_listing *l = &listings[(*n)++];
			snprintf(what[nth], sizeof what[nth], "search %zu of %zu", nth + 1, total);
			*l = (struct gcu_listing){.what = what[nth],
			                          .path = SEARCH_PATH,
			                          .search = body,
			                          .page_size = SEARCH_PAGE,
			                          .paging = GCU_PAGING_NUMBERED,
			                          .first_page = 1,
			                          .tag = GCU_REF_USER};
			nth++;
		}
	}
}

/* Says what needs asks for, before anything is sent. */
static void tell_plan(const struct gcu_dir_read_opts *o, const struct gcu_dir_needs *needs,
                      unsigned long searches, enum gcu_dir_plan first, size_t ncat)
{
	char msg[512], who[160] = "", cats[160] = "";
	size_t wl = 0, cl = 0;
	unsigned long users = 0;

	if (o->notice == NULL || (first == GCU_PLAN_NONE && ncat == 0))
		return;
	for (int k = GCU_KEY_ID + 1; k < GCU_NKEYS; k++) {
		if (needs->nvalues[k] == 0)
			continue;
		users += needs->nvalues[k];
		int w = snprintf(who + wl, sizeof who - wl, "%s%zu by %s", wl ? ", " : "",
		                 needs->nvalues[k], gcu_key_name((enum gcu_key_kind)k));
		if (w > 0 && (size_t)w < sizeof who - wl)
			wl += (size_t)w;
	}
	for (int k = GCU_REF_USER + 1; k < GCU_NREFS; k++) {
		if (!needs->catalogue[k])
			continue;
		int w = snprintf(cats + cl, sizeof cats - cl, "%s%ss", cl ? ", " : "",
		                 gcu_ref_name((enum gcu_ref_kind)k));
		if (w > 0 && (size_t)w < sizeof cats - cl)
			cl += (size_t)w;
	}
	if (first == GCU_PLAN_NONE)
		snprintf(msg, sizeof msg,
		         "resolution: the catalogues of %s, %d entries a page: %zu request%s, more "
		         "for a catalogue of over %d",
		         cats, CATALOGUE_PAGE, ncat, ncat == 1 ? "" : "s", CATALOGUE_PAGE);
	else if (first == GCU_PLAN_SEARCH)
		snprintf(msg, sizeof msg,
		         "resolution: %lu user%s to find (%s): 1 search%s%s: %zu request%s", users,
		         users == 1 ? "" : "s", who, ncat ? "; the catalogues of " : "", cats,
		         1 + ncat, ncat ? "s" : "");
	else
		snprintf(
		    msg, sizeof msg,
		    "resolution: %lu users to find (%s): %lu searches of %d, or the directory "
		    "(%d users a page) if the rest of it costs no more, as its first page will "
		    "tell%s%s: %zu request%s or more",
		    users, who, searches, SEARCH_VALUES, USER_PAGE,
		    ncat ? "; the catalogues of " : "", cats, 1 + ncat, ncat ? "s" : "");
	o->notice(o->ctx, msg);
}

int gcu_directory_read(struct gcu_directory *d, const struct gcu_dir_read_opts *o,
                       struct gcu_dir_cost *cost, struct gcu_page_stats *st, char *err,
                       size_t errlen)
{
	const struct gcu_dir_needs *needs = o->needs;
	unsigned long searches = gcu_dir_searches(needs);
	size_t n = 0, ncat = 0, users = (size_t)-1, first_search;
	struct gcu_listing *listings = calloc(NCATALOGUES + 2 + searches, sizeof *listings);
	char(*what)[48] = calloc(searches ? searches : 1, sizeof *what);
	struct reading rd = {d, o, cost, st, listings, 0, 0};
	char msg[400];
	int rc = -1;

	memset(cost, 0, sizeof *cost);
	memset(st, 0, sizeof *st);
	cost->users = -1;
	st->limit = st->left = -1;
	if (listings == NULL || what == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < NCATALOGUES; i++) {
		if (!needs->catalogue[catalogues[i].kind])
			continue;
		listings[n++] = (struct gcu_listing){.what = gcu_ref_name(catalogues[i].kind),
		                                     .path = catalogues[i].path,
		                                     .page_size = CATALOGUE_PAGE,
		                                     .paging = catalogues[i].paging,
		                                     .first_page = 1,
		                                     .tag = (int)catalogues[i].kind};
		ncat++;
	}
	/* The first round: the catalogues, and the users' first page or the
	 * single search. */
	cost->plan = gcu_dir_choose(searches, -1);
	if (cost->plan == GCU_PLAN_DIRECTORY) {
		users = n;
		listings[n++] = (struct gcu_listing){.what = "users",
		                                     .path = USERS_PATH,
		                                     .page_size = USER_PAGE,
		                                     .paging = GCU_PAGING_NUMBERED,
		                                     .first_page = 1,
		                                     .last_page = 1,
		                                     .tag = GCU_REF_USER};
	}
	first_search = n;
	add_searches(needs, listings, &n, what, searches);
	tell_plan(o, needs, searches, cost->plan, ncat);
	cost->planned = ncat + (cost->plan == GCU_PLAN_NONE ? 0 : 1);
	rc = read_listings(&rd, 0, cost->plan == GCU_PLAN_SEARCH ? n : first_search, err, errlen);
	if (rc != 0)
		goto out;
	cost->planned = cost->catalogue_pages + cost->user_pages + cost->searches;
	for (size_t i = 0; i < NCATALOGUES; i++)
		if (needs->catalogue[catalogues[i].kind])
			gcu_directory_know_catalogue(d, catalogues[i].kind);
	if (users != (size_t)-1) {
		/* The first page says how big the directory is: the rest of it, or
		 * the searches, whichever costs less. */
		long pages = listings[users].page_count;
		cost->users = listings[users].total;
		cost->plan = gcu_dir_choose(searches, pages);
		if (cost->plan == GCU_PLAN_DIRECTORY) {
			listings[users].first_page = 2;
			listings[users].last_page = 0;
			cost->planned += pages > 1 ? (unsigned long)pages - 1 : 0;
		} else {
			cost->planned += searches;
		}
		if (o->notice) {
			snprintf(msg, sizeof msg,
			         "resolution: the directory holds %ld users (%ld pages): %s; %lu "
			         "requests in all",
			         cost->users, pages,
			         cost->plan == GCU_PLAN_DIRECTORY
			             ? "reading the rest of it costs no more than the searches"
			             : "the searches cost less than the rest of it",
			         cost->planned);
			o->notice(o->ctx, msg);
		}
		if (cost->plan == GCU_PLAN_DIRECTORY)
			rc = pages > 1 ? read_listings(&rd, users, users + 1, err, errlen) : 0;
		else
			rc = read_listings(&rd, first_search, n, err, errlen);
		if (rc != 0)
			goto out;
	}
	if (cost->plan == GCU_PLAN_DIRECTORY) {
		gcu_directory_know_all_users(d);
	} else {
		for (int k = GCU_KEY_ID + 1; k < GCU_NKEYS; k++)
			for (size_t i = 0; i < needs->nvalues[k]; i++)
				if (gcu_directory_know_value(d, (enum gcu_key_kind)k,
				                             needs->values[k][i]) < 0) {
					snprintf(err, errlen, "out of memory");
					rc = -1;
					goto out;
				}
	}
	if (cost->plan == GCU_PLAN_DIRECTORY && cost->users < 0)
		cost->users = (long)gcu_directory_users(d);
out:
	for (size_t i = 0; listings && i < n; i++)
		json_object_put(listings[i].search);
	free(listings);
	free(what);
	return rc;
}
