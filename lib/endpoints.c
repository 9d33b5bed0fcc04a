/*
 * endpoints.c - the table of requests gcu may send, the paths built from
 * it, and the check that a request fits its row.
 *
 * The check walks the row, never the request: every key, method, path
 * segment and value that gets through is one the table names, so that
 * what the table does not foresee is refused rather than passed on.
 */
#include "endpoints.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "json_access.h"
#include "fields.h"
#include "uuid.h"

#define UUID_LEN 36
/* Integers beyond 2^53 are where JSON parsers stop agreeing (json-c
 * itself clamps those beyond 64 bits without a word). */
#define SAFE_INT 9007199254740991LL

/* --- the table ------------------------------------------------------------ */

static const struct gcu_shape self = {GCU_SHAPE_SELF};
static const struct gcu_shape count = {GCU_SHAPE_COUNT};
static const struct gcu_shape uuid = {GCU_SHAPE_UUID};
static const struct gcu_shape number = {GCU_SHAPE_NUMBER};
static const struct gcu_shape no_body = {GCU_SHAPE_NONE};
/* A user field, checked as fields.h checks a change of it. */
static const struct gcu_shape user_field = {GCU_SHAPE_ANY, ""};

/*
 * PATCH /api/v2/users/{user}: the platform's UpdateUser, with the version
 * read and the id (which the path already names, so it may be left out). A change of state goes
 * alone (state_body); roles, division, routing skills and the like are not the user PATCH's to set,
 * whatever the configuration maps, so this list is kept here, apart from
 * the config's scopes and the field kinds of fields.c.
 */
static const struct gcu_shape_key user_keys[] = {
    {"id", &self, 0},
    {"version", &count, 1},
    {"name", &user_field, 0},
    {"email", &user_field, 0},
    {"title", &user_field, 0},
    {"department", &user_field, 0},
    {"addresses", &user_field, 0},
    {"primaryContactInfo", &user_field, 0},
    {"manager", &user_field, 0},
    {"username", &user_field, 0},
    {"preferredName", &user_field, 0},
    {"profileSkills", &user_field, 0},
    {"certifications", &user_field, 0},
    {"biography", &user_field, 0},
    {"employerInfo", &user_field, 0},
    {"locations", &user_field, 0},
    {"groups", &user_field, 0},
    {"acdAutoAnswer", &user_field, 0},
    {"chat", &user_field, 0},
    {NULL, NULL, 0},
};
static const struct gcu_shape user_body = {GCU_SHAPE_OBJECT, NULL, user_keys};

static const struct gcu_shape_key state_keys[] = {
    {"id", &self, 0},
    {"version", &count, 1},
    {"state", &user_field, 1},
    {NULL, NULL, 0},
};
static const struct gcu_shape state_body = {GCU_SHAPE_OBJECT, NULL, state_keys};

/* One entry of a bulk call. The list as a whole must also be a valid
 * change of its field, which bounds the proficiency (0 to 5). */
static const struct gcu_shape_key entry_keys[] = {
    {"id", &uuid, 1},
    {"proficiency", &number, 1},
    {NULL, NULL, 0},
};
static const struct gcu_shape entry = {GCU_SHAPE_OBJECT, NULL, entry_keys};
static const struct gcu_shape skills_body = {GCU_SHAPE_ARRAY, "routingSkills", NULL, &entry, 1,
                                             GCU_BULK_MAX};
static const struct gcu_shape languages_body = {
    GCU_SHAPE_ARRAY, "routingLanguages", NULL, &entry, 1, GCU_BULK_MAX};

static const struct gcu_shape status_value = {GCU_SHAPE_ANY, "routingStatus"};
static const struct gcu_shape_key status_keys[] = {
    {"status", &status_value, 1},
    {NULL, NULL, 0},
};
static const struct gcu_shape status_body = {GCU_SHAPE_OBJECT, NULL, status_keys};

/*
 * Group requests (records with "members"). Queue calls take [{"id"}…],
 * team calls {"memberIds":[…]} to join and the ids in the query to leave,
 * division calls a list of ids. Every id is one of the record's members.
 */
static const struct gcu_shape member = {GCU_SHAPE_MEMBER};
static const struct gcu_shape_key member_keys[] = {
    {"id", &member, 1},
    {NULL, NULL, 0},
};
static const struct gcu_shape member_entry = {GCU_SHAPE_OBJECT, NULL, member_keys};
static const struct gcu_shape queue_body = {GCU_SHAPE_ARRAY, NULL, NULL,
                                            &member_entry,   1,    GCU_QUEUE_MEMBERS_MAX};
static const struct gcu_shape team_ids = {GCU_SHAPE_ARRAY, NULL, NULL,
                                          &member,         1,    GCU_TEAM_MEMBERS_MAX};
static const struct gcu_shape_key team_keys[] = {
    {"memberIds", &team_ids, 1},
    {NULL, NULL, 0},
};
static const struct gcu_shape team_body = {GCU_SHAPE_OBJECT, NULL, team_keys};
static const struct gcu_shape division_body = {GCU_SHAPE_ARRAY, NULL, NULL,
                                               &member,         1,    GCU_DIVISION_MEMBERS_MAX};

static const struct gcu_endpoint table[] = {
    {"state", "PATCH", "/api/v2/users/{user}", &state_body, 0},
    {"user", "PATCH", "/api/v2/users/{user}", &user_body, 0},
    {"routingSkills", "PATCH", "/api/v2/users/{user}/routingskills/bulk", &skills_body, 0},
    {"routingSkillRemove", "DELETE", "/api/v2/users/{user}/routingskills/{id}", &no_body, 0},
    {"routingLanguages", "PATCH", "/api/v2/users/{user}/routinglanguages/bulk", &languages_body, 0},
    {"routingLanguageRemove", "DELETE", "/api/v2/users/{user}/routinglanguages/{id}", &no_body, 0},
    {"routingStatus", "PUT", "/api/v2/users/{user}/routingstatus", &status_body, 0},
    {"queueJoin", "POST", "/api/v2/routing/queues/{id}/members", &queue_body,
     GCU_QUEUE_MEMBERS_MAX},
    {"queueLeave", "POST", "/api/v2/routing/queues/{id}/members?delete=true", &queue_body,
     GCU_QUEUE_MEMBERS_MAX},
    {"teamLeave", "DELETE", "/api/v2/teams/{id}/members?id={members}", &no_body,
     GCU_TEAM_MEMBERS_MAX},
    {"teamJoin", "POST", "/api/v2/teams/{id}/members", &team_body, GCU_TEAM_MEMBERS_MAX},
    {"division", "POST", "/api/v2/authorization/divisions/{id}/objects/USER", &division_body,
     GCU_DIVISION_MEMBERS_MAX},
};

#define NROWS (sizeof table / sizeof *table)

static const struct gcu_endpoint *find_in(const struct gcu_endpoint *t, size_t n, const char *op)
{
	for (size_t i = 0; op && i < n; i++)
		if (strcmp(t[i].op, op) == 0)
			return &t[i];
	return NULL;
}

const struct gcu_endpoint *gcu_endpoint_find(const char *op)
{
	return find_in(table, NROWS, op);
}

/* --- paths ---------------------------------------------------------------- */

/* The placeholder at t ("{user}", …) and its length, or NULL. */
static const char *placeholder(const char *t, size_t *n)
{
	static const char *const names[] = {"{user}", "{id}", "{members}"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		*n = strlen(names[i]);
		if (strncmp(t, names[i], *n) == 0)
			return names[i];
	}
	return NULL;
}

int gcu_endpoint_path(const struct gcu_endpoint *ep, const char *user, const char *id, char *buf,
                      size_t len)
{
	size_t out = 0;

	for (const char *t = ep->path; *t;) {
		size_t n = 1;
		const char *ph = *t == '{' ? placeholder(t, &n) : NULL;
		const char *put = t;
		if (*t == '{') {
			if (ph == NULL || ph[1] == 'm')
				return -1;
			put = ph[1] == 'u' ? user : id;
			if (!gcu_uuid_valid(put))
				return -1;
			t += n;
			n = UUID_LEN;
		} else {
			t++;
		}
		if (out + n >= len)
			return -1;
		memcpy(buf + out, put, n);
		out += n;
	}
	if (out >= len)
		return -1;
	buf[out] = '\0';
	return 0;
}

/* --- group requests ------------------------------------------------------- */

static int uuid_at(const char *p);

/* Appends text (n bytes) to buf at *out; -1 when it does not fit. */
static int put(char *buf, size_t len, size_t *out, const char *text, size_t n)
{
	if (*out + n >= len)
		return -1;
	memcpy(buf + *out, text, n);
	*out += n;
	buf[*out] = '\0';
	return 0;
}

/* The path of a group request: {id} the group, {members} their ids. */
static int group_path(const struct gcu_endpoint *ep, const char *group, json_object *members,
                      char *buf, size_t len)
{
	size_t out = 0, n;

	for (const char *t = ep->path; *t;) {
		const char *ph = *t == '{' ? placeholder(t, &n) : NULL;
		if (ph == NULL) {
			if (put(buf, len, &out, t++, 1) < 0)
				return -1;
			continue;
		}
		t += n;
		if (ph[1] == 'i') {
			if (!gcu_uuid_valid(group) || put(buf, len, &out, group, UUID_LEN) < 0)
				return -1;
			continue;
		}
		if (ph[1] != 'm')
			return -1;
		for (size_t i = 0; i < json_object_array_length(members); i++) {
			const char *id = gcu_json_str(json_object_array_get_idx(members, i), "id");
			if (!gcu_uuid_valid(id) || (i > 0 && put(buf, len, &out, ",", 1) < 0) ||
			    put(buf, len, &out, id, UUID_LEN) < 0)
				return -1;
		}
	}
	return 0;
}

/* A value of shape s for the members: one member's id where the shape
 * wants one (one: that member), a list of them where it wants a list.
 * NULL for a shape that holds no member. */
static json_object *group_value(const struct gcu_shape *s, json_object *members, const char *one)
{
	json_object *v = NULL;

	switch (s->kind) {
	case GCU_SHAPE_MEMBER:
		return one ? json_object_new_string(one) : NULL;
	case GCU_SHAPE_ARRAY:
		v = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(members); i++)
			json_object_array_add(
			    v,
			    group_value(s->item, members,
			                gcu_json_str(json_object_array_get_idx(members, i), "id")));
		return v;
	case GCU_SHAPE_OBJECT:
		v = json_object_new_object();
		for (const struct gcu_shape_key *k = s->keys; k && k->name; k++)
			if (k->required)
				json_object_object_add(v, k->name,
				                       group_value(k->shape, members, one));
		return v;
	default:
		return NULL;
	}
}

json_object *gcu_endpoint_group(const char *op, const char *group, json_object *members, char *why,
                                size_t whylen)
{
	const struct gcu_endpoint *ep = gcu_endpoint_find(op);
	char path[GCU_PATH_MAX];
	size_t n =
	    json_object_is_type(members, json_type_array) ? json_object_array_length(members) : 0;

	if (ep == NULL || ep->members == 0) {
		snprintf(why, whylen, "'%.40s' is not a group request", op ? op : "");
		return NULL;
	}
	if (n < 1 || n > ep->members) {
		snprintf(why, whylen, "%s: %zu members, where the request takes 1 to %zu", op, n,
		         ep->members);
		return NULL;
	}
	if (group_path(ep, group, members, path, sizeof path) < 0) {
		snprintf(why, whylen, "%s: no request can be made for '%.40s' and its members", op,
		         group ? group : "");
		return NULL;
	}
	json_object *r = json_object_new_object();
	json_object_object_add(r, "op", json_object_new_string(op));
	json_object_object_add(r, "method", json_object_new_string(ep->method));
	json_object_object_add(r, "path", json_object_new_string(path));
	json_object_object_add(r, "body", group_value(ep->body, members, NULL));
	json_object_object_add(r, "members", json_object_get(members));
	return r;
}

int gcu_endpoint_group_of(const char *op, const char *path, char *buf, size_t len)
{
	const struct gcu_endpoint *ep = gcu_endpoint_find(op);
	const char *at = ep && ep->members ? strstr(ep->path, "{id}") : NULL;
	size_t off = at ? (size_t)(at - ep->path) : 0;

	/* Everything before {id} is literal text, so the id sits at the same
	 * offset in every path that fits the row. */
	if (at == NULL || path == NULL || strlen(path) < off + UUID_LEN ||
	    strncmp(path, ep->path, off) != 0 || !uuid_at(path + off) || len <= UUID_LEN)
		return -1;
	memcpy(buf, path + off, UUID_LEN);
	buf[UUID_LEN] = '\0';
	return 0;
}

/* --- the check ------------------------------------------------------------ */

struct check {
	const char *id;       /* the user of the request, or NULL (group requests) */
	json_object *members; /* the record's members, or NULL */
	char *why;
	size_t whylen;
};

static int refuse(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int refuse(struct check *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->why, c->whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* s as it may appear in a message: at most 40 bytes, anything outside
 * printable ASCII shown as '?', so that a hostile line cannot write to the
 * terminal of whoever reads the messages. */
static const char *shown(const char *s, char *buf, size_t len)
{
	size_t i = 0;
	for (; s && s[i] && i + 1 < len && i < 40; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* v as a C string when it is a string without a NUL inside, else NULL. */
static const char *plain_string(json_object *v)
{
	if (!json_object_is_type(v, json_type_string))
		return NULL;
	const char *s = json_object_get_string(v);
	return strlen(s) == (size_t)json_object_get_string_len(v) ? s : NULL;
}

/* Do the UUID_LEN bytes at p form a UUID? */
static int uuid_at(const char *p)
{
	char buf[UUID_LEN + 1];
	if (strnlen(p, UUID_LEN) < UUID_LEN)
		return 0;
	memcpy(buf, p, UUID_LEN);
	buf[UUID_LEN] = '\0';
	return gcu_uuid_valid(buf);
}

/* Is the UUID at p (UUID_LEN bytes) one of the record's members? */
static int member_at(const struct check *c, const char *p)
{
	size_t n = c->members ? json_object_array_length(c->members) : 0;
	for (size_t i = 0; i < n; i++) {
		const char *m = gcu_json_str(json_object_array_get_idx(c->members, i), "id");
		if (m && strncasecmp(m, p, UUID_LEN) == 0)
			return 1;
	}
	return 0;
}

/* Does path fit the template t byte for byte? */
static int fits(const struct check *c, const char *t, const char *path, size_t max_members)
{
	const char *p = path;

	while (*t) {
		size_t n;
		const char *ph = *t == '{' ? placeholder(t, &n) : NULL;
		if (*t != '{') {
			if (*p++ != *t++)
				return 0;
			continue;
		}
		if (ph == NULL)
			return 0; /* a template gcu does not understand fits nothing */
		t += n;
		if (ph[1] == 'u') {
			if (c->id == NULL || !uuid_at(p) || strncasecmp(p, c->id, UUID_LEN) != 0)
				return 0;
			p += UUID_LEN;
		} else if (ph[1] == 'i') {
			if (!uuid_at(p))
				return 0;
			p += UUID_LEN;
		} else {
			size_t k = 0;
			for (;;) {
				if (!uuid_at(p) || !member_at(c, p) || ++k > max_members)
					return 0;
				p += UUID_LEN;
				if (*p != ',')
					break;
				p++;
			}
		}
	}
	return *p == '\0';
}

/* Why a path that does not fit is refused, in the words of its first
 * fault. */
static int refuse_path(struct check *c, const struct gcu_endpoint *ep, const char *path)
{
	char prefix[64];

	if (strncmp(path, "/api/v2/", 8) != 0)
		return refuse(c, "path is not on the platform's API (/api/v2/…)");
	if (strchr(path, '%'))
		return refuse(c, "path holds percent-encoding");
	if (strstr(path, "/../") || strstr(path, "/./") ||
	    strcmp(path + strlen(path) - 3, "/..") == 0 ||
	    strcmp(path + strlen(path) - 2, "/.") == 0)
		return refuse(c, "path holds a dot segment");
	if (strchr(path, '?') && !strchr(ep->path, '?'))
		return refuse(c, "path holds a query string");
	if (c->id && strstr(ep->path, "{user}")) {
		snprintf(prefix, sizeof prefix, "/api/v2/users/%s", c->id);
		if (strncasecmp(path, prefix, strlen(prefix)) != 0)
			return refuse(c, "path is not under /api/v2/users/<id> of the record's id");
	}
	return refuse(c, "path does not fit %s %s", ep->method, ep->path);
}

/* Every number in v is finite and within ±2^53. */
static int numbers_sane(struct check *c, json_object *v, const char *key)
{
	char b[48];

	switch (json_object_get_type(v)) {
	case json_type_double:
		if (!isfinite(json_object_get_double(v)))
			return refuse(c, "%s: a number that is not finite (1e999, NaN, Infinity)",
			              shown(key, b, sizeof b));
		return 0;
	case json_type_int: {
		int64_t i = json_object_get_int64(v);
		if (i > SAFE_INT || i < -SAFE_INT)
			return refuse(c, "%s: an integer beyond 2^53", shown(key, b, sizeof b));
		return 0;
	}
	case json_type_object: {
		json_object_object_foreach(v, k, val)
		{
			if (numbers_sane(c, val, k) < 0)
				return -1;
		}
		return 0;
	}
	case json_type_array: {
		size_t n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++)
			if (numbers_sane(c, json_object_array_get_idx(v, i), key) < 0)
				return -1;
		return 0;
	}
	default:
		return 0;
	}
}

static const struct gcu_shape_key *find_key(const struct gcu_shape_key *keys, const char *name)
{
	for (; keys && keys->name; keys++)
		if (strcmp(keys->name, name) == 0)
			return keys;
	return NULL;
}

static int check_shape(struct check *c, const struct gcu_shape *s, json_object *v, const char *key);

static int check_object(struct check *c, const struct gcu_shape *s, json_object *v,
                        const char *where)
{
	char b[48];

	if (!json_object_is_type(v, json_type_object))
		return refuse(c, "%s: expected an object", where);
	json_object_object_foreach(v, k, val)
	{
		const struct gcu_shape_key *sk = find_key(s->keys, k);
		if (sk == NULL)
			return refuse(c, "%s: '%s' is not a field this endpoint takes", where,
			              shown(k, b, sizeof b));
		if (val == NULL && !sk->required)
			continue;
		if (check_shape(c, sk->shape, val, k) < 0)
			return -1;
	}
	for (const struct gcu_shape_key *sk = s->keys; sk && sk->name; sk++)
		if (sk->required && gcu_json_get(v, sk->name) == NULL)
			return refuse(c, "%s: '%s' is missing", where, sk->name);
	return 0;
}

static int check_shape(struct check *c, const struct gcu_shape *s, json_object *v, const char *key)
{
	const char *where = key ? key : "body";
	const char *str;
	char b[48];

	switch (s->kind) {
	case GCU_SHAPE_NONE:
		return v == NULL ? 0 : refuse(c, "this request takes no body");
	case GCU_SHAPE_ANY:
		break;
	case GCU_SHAPE_OBJECT:
		if (check_object(c, s, v, where) < 0)
			return -1;
		break;
	case GCU_SHAPE_ARRAY: {
		if (!json_object_is_type(v, json_type_array))
			return refuse(c, "%s: expected a list", where);
		size_t n = json_object_array_length(v);
		if (n < s->min || n > s->max)
			return refuse(c, "%s: %zu entries, where the endpoint takes %zu to %zu",
			              where, n, s->min, s->max);
		for (size_t i = 0; i < n; i++)
			if (check_shape(c, s->item, json_object_array_get_idx(v, i), key) < 0)
				return -1;
		break;
	}
	case GCU_SHAPE_UUID:
		if (!gcu_uuid_valid(plain_string(v)))
			return refuse(c, "%s: expected a UUID", where);
		break;
	case GCU_SHAPE_SELF:
		str = plain_string(v);
		if (c->id == NULL || !gcu_uuid_valid(str) || strcasecmp(str, c->id) != 0)
			return refuse(c, "%s: not the id of the user in the path", where);
		break;
	case GCU_SHAPE_MEMBER:
		str = plain_string(v);
		if (!gcu_uuid_valid(str) || !member_at(c, str))
			return refuse(c, "%s: '%s' is not one of the request's members", where,
			              shown(str, b, sizeof b));
		break;
	case GCU_SHAPE_COUNT:
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
			return refuse(c, "%s: expected an integer, 0 or more", where);
		break;
	case GCU_SHAPE_NUMBER:
		if (!json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double))
			return refuse(c, "%s: expected a number", where);
		break;
	}
	if (s->field != NULL) {
		char err[256];
		const char *field = *s->field ? s->field : where;
		json_object *norm = gcu_field_normalize(field, v, err, sizeof err);
		json_object_put(norm);
		if (err[0])
			return refuse(c, "%s", err);
	}
	return 0;
}

/* The record's members, for a group request of at most max users. */
static int check_members(struct check *c, json_object *req, size_t max)
{
	json_object *m = gcu_json_get(req, "members");

	if (!json_object_is_type(m, json_type_array) || json_object_array_length(m) == 0 ||
	    json_object_array_length(m) > max)
		return refuse(c, "a group request lists 1 to %zu members", max);
	for (size_t i = 0; i < json_object_array_length(m); i++) {
		json_object *e = json_object_array_get_idx(m, i);
		const char *id = plain_string(gcu_json_get(e, "id"));
		if (!gcu_uuid_valid(id))
			return refuse(c, "members[%zu]: missing or non-UUID id", i);
		for (size_t j = 0; j < i; j++)
			if (strcasecmp(id, gcu_json_str(json_object_array_get_idx(m, j), "id")) ==
			    0)
				return refuse(c, "members[%zu]: listed twice", i);
	}
	c->members = m;
	return 0;
}

/* A group request's path and body are the ones its row makes for its
 * members: each member is named, none twice, in the order listed (a
 * member the body left out would be reported done without being sent). */
static int check_group(struct check *c, const struct gcu_endpoint *ep, const char *path,
                       json_object *body)
{
	char group[GCU_PATH_MAX], want[GCU_PATH_MAX];
	const char *at = strstr(ep->path, "{id}");
	size_t off = at ? (size_t)(at - ep->path) : 0;

	snprintf(group, sizeof group, "%.*s", UUID_LEN, path + (at ? off : strlen(path)));
	if (at != NULL && group_path(ep, group, c->members, want, sizeof want) == 0 &&
	    strcmp(want, path) != 0)
		return refuse(c, "path does not name exactly the request's members");
	json_object *made = group_value(ep->body, c->members, NULL);
	int same = gcu_json_same(made, body);
	json_object_put(made);
	return same ? 0 : refuse(c, "body does not list exactly the request's members");
}

int gcu_request_check_in(const struct gcu_endpoint *t, size_t n, json_object *req, const char *id,
                         char *why, size_t whylen)
{
	struct check c = {.why = why, .whylen = whylen};
	const char *op = plain_string(gcu_json_get(req, "op"));
	const char *method = plain_string(gcu_json_get(req, "method"));
	const char *path = plain_string(gcu_json_get(req, "path"));
	json_object *body = gcu_json_get(req, "body");
	const struct gcu_endpoint *ep;
	char b[48];

	if (op == NULL || method == NULL || path == NULL)
		return refuse(&c, "not a request record (needs op, method and path)");
	ep = find_in(t, n, op);
	if (ep == NULL)
		return refuse(&c, "op '%s' is not one gcu sends", shown(op, b, sizeof b));
	if (strcmp(method, ep->method) != 0)
		return refuse(&c, "method '%s' does not fit op '%s', which is %s",
		              shown(method, b, sizeof b), ep->op, ep->method);
	if (ep->members > 0) {
		if (check_members(&c, req, ep->members) < 0)
			return -1;
	} else {
		c.id = id ? id : plain_string(gcu_json_get(req, "id"));
		if (!gcu_uuid_valid(c.id))
			return refuse(&c, "missing or non-UUID id");
	}
	if (strlen(path) >= GCU_PATH_MAX)
		return refuse(&c, "path longer than %d bytes", GCU_PATH_MAX - 1);
	if (!fits(&c, ep->path, path, ep->members))
		return refuse_path(&c, ep, path);
	if (numbers_sane(&c, body, "body") < 0)
		return -1;
	if (check_shape(&c, ep->body, body, NULL) < 0)
		return -1;
	return ep->members > 0 ? check_group(&c, ep, path, body) : 0;
}

int gcu_request_check(json_object *req, const char *id, char *why, size_t whylen)
{
	return gcu_request_check_in(table, NROWS, req, id, why, whylen);
}
