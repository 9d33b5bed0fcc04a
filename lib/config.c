/*
 * config.c - loading gcu.yaml with libyaml, environment overrides, and the
 * built-in defaults.
 *
 * The scalar settings live in one table so that the loader, the
 * environment, the dump and the defaults can never disagree about a name
 * or a type. Lists (scopes, csv.columns) are walked by hand.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

/* T_DELIMITER: the one byte between CSV cells, given as itself or "tab". */
enum setting_type { T_LONG, T_DOUBLE, T_STRING, T_DELIMITER };

struct setting {
	const char *key;
	enum setting_type type;
	size_t offset;
	double min, max; /* numeric bounds, inclusive */
	const char *env; /* explicit variable name, or NULL for GCU_<KEY> */
	int secret;      /* never printed */
	const char *deflt;
};

#define OFF(f) offsetof(struct gcu_config, f)
static const struct setting settings[] = {
    {"concurrency", T_LONG, OFF(concurrency), 1, 256, NULL, 0, "6"},
    {"max_line", T_LONG, OFF(max_line), 64, 1 << 30, NULL, 0, "1048576"},
    {"http.connect_timeout", T_DOUBLE, OFF(connect_timeout), 0.01, 600, NULL, 0, "10"},
    {"http.request_timeout", T_DOUBLE, OFF(request_timeout), 0.01, 3600, NULL, 0, "60"},
    {"http.max_response", T_LONG, OFF(max_response), 1024, 1 << 30, NULL, 0, "8388608"},
    {"fetch.batch", T_LONG, OFF(fetch_batch), 1, 100, NULL, 0, "100"},
    {"throttle.reserve", T_LONG, OFF(throttle_reserve), 0, 100000, NULL, 0, "10"},
    {"throttle.floor", T_LONG, OFF(throttle_floor), 0, 100000, NULL, 0, "2"},
    {"throttle.pause_below", T_LONG, OFF(throttle_pause_below), 0, 100000, NULL, 0, "20"},
    {"retry.rate_limit.base", T_DOUBLE, OFF(retry_rate_limit.base), 0, 3600, NULL, 0, "2"},
    {"retry.rate_limit.max", T_DOUBLE, OFF(retry_rate_limit.max), 0, 86400, NULL, 0, "30"},
    {"retry.rate_limit.attempts", T_LONG, OFF(retry_rate_limit.attempts), 1, 1000, NULL, 0, "8"},
    {"retry.server.base", T_DOUBLE, OFF(retry_server.base), 0, 3600, NULL, 0, "10"},
    {"retry.server.max", T_DOUBLE, OFF(retry_server.max), 0, 86400, NULL, 0, "120"},
    {"retry.server.attempts", T_LONG, OFF(retry_server.attempts), 1, 1000, NULL, 0, "5"},
    {"retry.max_wait", T_DOUBLE, OFF(retry_max_wait), 0, 86400, NULL, 0, "120"},
    {"retry.conflicts_to_park", T_LONG, OFF(retry_conflicts_to_park), 1, 100, NULL, 0, "3"},
    {"retry.conflict_cooldown", T_DOUBLE, OFF(retry_conflict_cooldown), 0, 86400, NULL, 0, "60"},
    {"circuit.failures", T_LONG, OFF(circuit_failures), 1, 10000, NULL, 0, "5"},
    {"circuit.pause", T_DOUBLE, OFF(circuit_pause), 0, 86400, NULL, 0, "30"},
    {"schedule.gap", T_DOUBLE, OFF(schedule_gap), 0, 86400, NULL, 0, "900"},
    {"platform.limit", T_LONG, OFF(platform_limit), 1, 1000000, NULL, 0, "300"},
    {"platform.window", T_DOUBLE, OFF(platform_window), 0.001, 86400, NULL, 0, "60"},
    {"auth.client_id", T_STRING, OFF(auth_client_id), 0, 0, "GCU_CLIENT_ID", 0, ""},
    {"auth.client_secret", T_STRING, OFF(auth_client_secret), 0, 0, "GCU_CLIENT_SECRET", 1, ""},
    {"auth.region", T_STRING, OFF(auth_region), 0, 0, "GCU_REGION", 0, ""},
    {"auth.api_base", T_STRING, OFF(auth_api_base), 0, 0, "GCU_API_BASE", 0, ""},
    {"csv.key", T_STRING, OFF(csv_key), 0, 0, NULL, 0, ""},
    {"csv.id_column", T_STRING, OFF(csv_id_column), 0, 0, NULL, 0, "id"},
    {"csv.null", T_STRING, OFF(csv_null), 0, 0, NULL, 0, "\\N"},
    {"csv.separator", T_STRING, OFF(csv_separator), 0, 0, NULL, 0, ";"},
    {"csv.delimiter", T_DELIMITER, OFF(csv_delimiter), 0, 0, NULL, 0, ","},
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

static const char *const default_routing[] = {"routingSkills", "routingLanguages", "routingStatus",
                                              "queues", "team"};
static const char *const default_non_routing[] = {
    "name",          "email",          "title",
    "department",    "addresses",      "primaryContactInfo",
    "manager",       "username",       "preferredName",
    "profileSkills", "certifications", "biography",
    "employerInfo",  "locations",      "groups",
    "acdAutoAnswer", "chat",           "state",
    "division"};

/* The built-in CSV columns: aliases an export commonly has. */
static const struct gcu_column default_columns[] = {
    {"workPhone", "addresses", GCU_COL_CONTACT, "PHONE", "WORK"},
    {"mobilePhone", "addresses", GCU_COL_CONTACT, "PHONE", "MOBILE"},
    {"homePhone", "addresses", GCU_COL_CONTACT, "PHONE", "HOME"},
    {"skills", "routingSkills", GCU_COL_SKILLS, NULL, NULL},
    {"languages", "routingLanguages", GCU_COL_SKILLS, NULL, NULL},
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static const struct setting *find_setting(const char *key)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].key, key) == 0)
			return &settings[i];
	return NULL;
}

/* Parses text into the setting's slot; returns 0 or -1 with why in err. */
static int set_value(struct gcu_config *c, const struct setting *s, const char *text, char *err,
                     size_t errlen)
{
	char *slot = (char *)c + s->offset;
	char *end = NULL;

	switch (s->type) {
	case T_LONG: {
		errno = 0;
		long v = strtol(text, &end, 10);
		if (errno || end == text || *end != '\0')
			return fail(err, errlen, "%s: expected a whole number, got '%s'", s->key,
			            text);
		if (v < s->min || v > s->max)
			return fail(err, errlen, "%s: %ld is out of range (%g to %g)", s->key, v,
			            s->min, s->max);
		memcpy(slot, &v, sizeof v);
		return 0;
	}
	case T_DOUBLE: {
		errno = 0;
		double v = strtod(text, &end);
		if (errno || end == text || *end != '\0' || !isfinite(v))
			return fail(err, errlen, "%s: expected a number of seconds, got '%s'",
			            s->key, text);
		if (v < s->min || v > s->max)
			return fail(err, errlen, "%s: %g is out of range (%g to %g)", s->key, v,
			            s->min, s->max);
		memcpy(slot, &v, sizeof v);
		return 0;
	}
	case T_STRING: {
		char *copy = strdup(text);
		char *old;
		if (copy == NULL)
			return fail(err, errlen, "out of memory");
		memcpy(&old, slot, sizeof old);
		free(old);
		memcpy(slot, &copy, sizeof copy);
		return 0;
	}
	case T_DELIMITER:
		/* Punctuation only: a letter, a digit or a space would split
		 * ordinary text, a quote is CSV's own. */
		if (strcmp(text, "tab") == 0 || strcmp(text, "\\t") == 0 || strcmp(text, "\t") == 0)
			*slot = '\t';
		else if (strlen(text) == 1 && ispunct((unsigned char)text[0]) && text[0] != '"')
			*slot = text[0];
		else
			return fail(err, errlen,
			            "%s: one punctuation character (, ; | and the like) or tab, "
			            "not '%s'",
			            s->key, text);
		return 0;
	}
	return fail(err, errlen, "%s: unknown setting type", s->key);
}

int gcu_config_set(struct gcu_config *c, const char *key, const char *value, char *err,
                   size_t errlen)
{
	const struct setting *s = find_setting(key);
	if (s == NULL)
		return fail(err, errlen, "unknown setting '%s'", key);
	return set_value(c, s, value, err, errlen);
}

static void free_scopes(struct gcu_config *c)
{
	for (size_t i = 0; i < c->nscopes; i++)
		free(c->scopes[i].field);
	free(c->scopes);
	c->scopes = NULL;
	c->nscopes = 0;
}

static void free_columns(struct gcu_config *c)
{
	for (size_t i = 0; i < c->ncolumns; i++) {
		free(c->columns[i].column);
		free(c->columns[i].field);
		free(c->columns[i].media);
		free(c->columns[i].kind);
	}
	free(c->columns);
	c->columns = NULL;
	c->ncolumns = 0;
}

static int add_scope(struct gcu_config *c, const char *field, enum gcu_scope scope)
{
	struct gcu_scope_field *grown = realloc(c->scopes, (c->nscopes + 1) * sizeof *grown);
	if (grown == NULL)
		return -1;
	c->scopes = grown;
	c->scopes[c->nscopes].field = strdup(field);
	if (c->scopes[c->nscopes].field == NULL)
		return -1;
	c->scopes[c->nscopes++].scope = scope;
	return 0;
}

int gcu_config_defaults(struct gcu_config *c)
{
	char err[256];

	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < NSETTINGS; i++)
		if (set_value(c, &settings[i], settings[i].deflt, err, sizeof err) < 0)
			return -1;
	for (size_t i = 0; i < sizeof default_non_routing / sizeof *default_non_routing; i++)
		if (add_scope(c, default_non_routing[i], GCU_SCOPE_NON_ROUTING) < 0)
			return -1;
	for (size_t i = 0; i < sizeof default_routing / sizeof *default_routing; i++)
		if (add_scope(c, default_routing[i], GCU_SCOPE_ROUTING) < 0)
			return -1;
	c->columns = calloc(sizeof default_columns / sizeof *default_columns, sizeof *c->columns);
	if (c->columns == NULL)
		return -1;
	for (size_t i = 0; i < sizeof default_columns / sizeof *default_columns; i++) {
		const struct gcu_column *d = &default_columns[i];
		struct gcu_column *col = &c->columns[c->ncolumns++];
		col->column = strdup(d->column);
		col->field = strdup(d->field);
		col->type = d->type;
		col->media = d->media ? strdup(d->media) : NULL;
		col->kind = d->kind ? strdup(d->kind) : NULL;
		if (col->column == NULL || col->field == NULL)
			return -1;
	}
	return 0;
}

void gcu_config_free(struct gcu_config *c)
{
	for (size_t i = 0; i < NSETTINGS; i++) {
		if (settings[i].type == T_STRING) {
			char *p;
			memcpy(&p, (char *)c + settings[i].offset, sizeof p);
			free(p);
		}
	}
	free_scopes(c);
	free_columns(c);
	memset(c, 0, sizeof *c);
}

const char *gcu_config_csv_key(const struct gcu_config *c)
{
	if (c->csv_key && *c->csv_key)
		return c->csv_key;
	/* Configs from before csv.key: "id" was the default, and every
	 * copied gcu.yaml says it. */
	if (c->csv_id_column && *c->csv_id_column && strcmp(c->csv_id_column, "id") != 0)
		return c->csv_id_column;
	return NULL;
}

const char *gcu_scope_name(enum gcu_scope s)
{
	switch (s) {
	case GCU_SCOPE_NON_ROUTING:
		return "non-routing";
	case GCU_SCOPE_ROUTING:
		return "routing";
	default:
		return "none";
	}
}

enum gcu_scope gcu_scope_parse(const char *name)
{
	if (name == NULL)
		return GCU_SCOPE_NONE;
	if (strcmp(name, "non-routing") == 0)
		return GCU_SCOPE_NON_ROUTING;
	if (strcmp(name, "routing") == 0)
		return GCU_SCOPE_ROUTING;
	return GCU_SCOPE_NONE;
}

enum gcu_scope gcu_config_scope_of(const struct gcu_config *c, const char *field)
{
	for (size_t i = 0; i < c->nscopes; i++)
		if (strcmp(c->scopes[i].field, field) == 0)
			return c->scopes[i].scope;
	return GCU_SCOPE_NONE;
}

const struct gcu_column *gcu_config_column(const struct gcu_config *c, const char *name)
{
	for (size_t i = 0; i < c->ncolumns; i++)
		if (strcmp(c->columns[i].column, name) == 0)
			return &c->columns[i];
	return NULL;
}

/* --- YAML walking --------------------------------------------------------- */

struct loader {
	struct gcu_config *c;
	yaml_document_t *doc;
	const char *path;
	char *err;
	size_t errlen;
	int holds_secret;
};

static unsigned long line_of(const yaml_node_t *n)
{
	return (unsigned long)n->start_mark.line + 1;
}

static int node_fail(struct loader *l, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int node_fail(struct loader *l, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(l->err, l->errlen, "%s:%lu: %s", l->path, line_of(n), msg);
	return -1;
}

static const char *scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int load_scope_list(struct loader *l, yaml_node_t *list, enum gcu_scope scope)
{
	if (list->type != YAML_SEQUENCE_NODE)
		return node_fail(l, list, "scopes.%s: expected a list of field names",
		                 gcu_scope_name(scope));
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(l->doc, *it);
		const char *field = scalar(item);
		if (field == NULL || *field == '\0')
			return node_fail(l, item, "scopes.%s: expected a field name",
			                 gcu_scope_name(scope));
		enum gcu_scope already = gcu_config_scope_of(l->c, field);
		if (already != GCU_SCOPE_NONE)
			return node_fail(l, item, "field '%s' is listed in scope '%s' already",
			                 field, gcu_scope_name(already));
		if (add_scope(l->c, field, scope) < 0)
			return node_fail(l, item, "out of memory");
	}
	return 0;
}

static int load_scopes(struct loader *l, yaml_node_t *map)
{
	if (map->type != YAML_MAPPING_NODE)
		return node_fail(l, map, "scopes: expected a mapping of scope to field list");
	free_scopes(l->c);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(l->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(l->doc, p->value);
		enum gcu_scope scope = gcu_scope_parse(scalar(k));
		if (scope == GCU_SCOPE_NONE)
			return node_fail(l, k,
			                 "scopes: unknown scope '%s' (non-routing or routing)",
			                 scalar(k) ? scalar(k) : "?");
		if (load_scope_list(l, v, scope) < 0)
			return -1;
	}
	return 0;
}

static int parse_column_type(const char *s, enum gcu_column_type *t)
{
	static const struct {
		const char *name;
		enum gcu_column_type type;
	} types[] = {{"string", GCU_COL_STRING},   {"number", GCU_COL_NUMBER},
	             {"boolean", GCU_COL_BOOLEAN}, {"list", GCU_COL_LIST},
	             {"skills", GCU_COL_SKILLS},   {"contact", GCU_COL_CONTACT}};
	for (size_t i = 0; s && i < sizeof types / sizeof *types; i++) {
		if (strcmp(s, types[i].name) == 0) {
			*t = types[i].type;
			return 0;
		}
	}
	return -1;
}

static int load_column(struct loader *l, const char *name, yaml_node_t *spec)
{
	struct gcu_column col = {0};
	int rc = -1;

	if (spec->type != YAML_MAPPING_NODE) {
		node_fail(l, spec, "csv.columns.%s: expected {field: …, type: …}", name);
		goto out;
	}
	col.column = strdup(name);
	for (yaml_node_pair_t *p = spec->data.mapping.pairs.start; p < spec->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(l->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(l->doc, p->value);
		const char *key = scalar(k), *val = scalar(v);
		if (key == NULL || val == NULL) {
			node_fail(l, k, "csv.columns.%s: expected text keys and values", name);
			goto out;
		}
		char **dst = NULL;
		if (strcmp(key, "field") == 0)
			dst = &col.field;
		else if (strcmp(key, "media") == 0)
			dst = &col.media;
		else if (strcmp(key, "kind") == 0)
			dst = &col.kind;
		else if (strcmp(key, "type") == 0) {
			if (parse_column_type(val, &col.type) < 0) {
				node_fail(l, v,
				          "csv.columns.%s.type: '%s' is not one of string, number, "
				          "boolean, list, skills, contact",
				          name, val);
				goto out;
			}
			continue;
		} else {
			node_fail(l, k, "csv.columns.%s: unknown key '%s'", name, key);
			goto out;
		}
		free(*dst);
		*dst = strdup(val);
	}
	if (col.field == NULL) {
		node_fail(l, spec, "csv.columns.%s: 'field' is required", name);
		goto out;
	}
	if (col.type == GCU_COL_CONTACT && (col.media == NULL || col.kind == NULL)) {
		node_fail(l, spec, "csv.columns.%s: a contact column needs 'media' and 'kind'",
		          name);
		goto out;
	}
	struct gcu_column *grown = realloc(l->c->columns, (l->c->ncolumns + 1) * sizeof *grown);
	if (grown == NULL) {
		node_fail(l, spec, "out of memory");
		goto out;
	}
	l->c->columns = grown;
	l->c->columns[l->c->ncolumns++] = col;
	memset(&col, 0, sizeof col);
	rc = 0;
out:
	free(col.column);
	free(col.field);
	free(col.media);
	free(col.kind);
	return rc;
}

static int load_columns(struct loader *l, yaml_node_t *map)
{
	if (map->type != YAML_MAPPING_NODE)
		return node_fail(l, map, "csv.columns: expected a mapping of column to spec");
	free_columns(l->c);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(l->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(l->doc, p->value);
		if (scalar(k) == NULL)
			return node_fail(l, k, "csv.columns: expected a column name");
		if (load_column(l, scalar(k), v) < 0)
			return -1;
	}
	return 0;
}

static int load_mapping(struct loader *l, yaml_node_t *map, const char *prefix)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(l->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(l->doc, p->value);
		char key[128];
		int n;

		if (scalar(k) == NULL)
			return node_fail(l, k, "expected a key");
		n = snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", scalar(k));
		if (n < 0 || (size_t)n >= sizeof key)
			return node_fail(l, k, "key too long");
		if (strcmp(key, "scopes") == 0) {
			if (load_scopes(l, v) < 0)
				return -1;
			continue;
		}
		if (strcmp(key, "csv.columns") == 0) {
			if (load_columns(l, v) < 0)
				return -1;
			continue;
		}
		if (v->type == YAML_MAPPING_NODE) {
			if (load_mapping(l, v, key) < 0)
				return -1;
			continue;
		}
		const struct setting *s = find_setting(key);
		if (s == NULL)
			return node_fail(l, k, "unknown key '%s'", key);
		if (v->type != YAML_SCALAR_NODE)
			return node_fail(l, v, "%s: expected a single value", key);
		char msg[256];
		if (set_value(l->c, s, scalar(v), msg, sizeof msg) < 0)
			return node_fail(l, v, "%s", msg);
		if (s->secret && *scalar(v))
			l->holds_secret = 1;
	}
	return 0;
}

int gcu_config_load(struct gcu_config *c, const char *path, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct loader l = {c, &doc, path, err, errlen, 0};
	struct stat st;
	FILE *fp = fopen(path, "re");
	int rc = -1;

	if (fp == NULL)
		return fail(err, errlen, "%s: %s", path, strerror(errno));
	if (!yaml_parser_initialize(&parser)) {
		fclose(fp);
		return fail(err, errlen, "%s: out of memory", path);
	}
	yaml_parser_set_input_file(&parser, fp);
	if (!yaml_parser_load(&parser, &doc)) {
		fail(err, errlen, "%s:%lu: %s", path, (unsigned long)parser.problem_mark.line + 1,
		     parser.problem ? parser.problem : "invalid YAML");
		goto out_parser;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root != NULL && root->type != YAML_MAPPING_NODE)
		node_fail(&l, root, "expected a mapping of settings");
	else /* an empty file changes nothing */
		rc = root == NULL ? 0 : load_mapping(&l, root, "");
	if (rc == 0 && l.holds_secret && fstat(fileno(fp), &st) == 0 &&
	    (st.st_mode & (S_IRWXG | S_IRWXO))) {
		fail(err, errlen,
		     "%s: holds auth.client_secret but others can read it; run: chmod 600 %s", path,
		     path);
		rc = -1;
	}
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	fclose(fp);
	return rc;
}

static void env_name(const struct setting *s, char *buf, size_t len)
{
	if (s->env) {
		snprintf(buf, len, "%s", s->env);
		return;
	}
	size_t j = (size_t)snprintf(buf, len, "GCU_");
	for (const char *p = s->key; *p && j + 1 < len; p++)
		buf[j++] = (*p == '.' || *p == '-') ? '_' : (char)toupper((unsigned char)*p);
	buf[j] = '\0';
}

int gcu_config_env(struct gcu_config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < NSETTINGS; i++) {
		char name[96], msg[256];
		env_name(&settings[i], name, sizeof name);
		const char *v = getenv(name);
		if (v == NULL || *v == '\0')
			continue;
		if (set_value(c, &settings[i], v, msg, sizeof msg) < 0)
			return fail(err, errlen, "environment %s: %s", name, msg);
	}
	return 0;
}

int gcu_config_init(struct gcu_config *c, const char *path, char *err, size_t errlen)
{
	if (gcu_config_defaults(c) < 0)
		return fail(err, errlen, "out of memory");
	if (path == NULL) {
		path = getenv("GCU_CONFIG");
		if (path != NULL && *path == '\0')
			path = NULL;
	}
	if (path != NULL && gcu_config_load(c, path, err, errlen) < 0)
		return -1;
	if (gcu_config_env(c, err, errlen) < 0)
		return -1;
	/*
	 * The floor is part of the reserve: at most all of it. Cut here, once,
	 * so that the pacer, gcu-config and the report all see the same value.
	 */
	if (c->throttle_floor > c->throttle_reserve)
		c->throttle_floor = c->throttle_reserve;
	return 0;
}

/* The value of setting s in c, on fp, without a newline. */
static void print_value(const struct gcu_config *c, const struct setting *s, FILE *fp)
{
	const char *slot = (const char *)c + s->offset;

	switch (s->type) {
	case T_LONG: {
		long v;
		memcpy(&v, slot, sizeof v);
		fprintf(fp, "%ld", v);
		break;
	}
	case T_DOUBLE: {
		double v;
		memcpy(&v, slot, sizeof v);
		/* 15 digits: every value a file or flag gave reads back the same. */
		fprintf(fp, "%.15g", v);
		break;
	}
	case T_STRING: {
		const char *v;
		memcpy(&v, slot, sizeof v);
		fputs(s->secret ? (v && *v ? "(set)" : "") : (v ? v : ""), fp);
		break;
	}
	case T_DELIMITER:
		if (*slot == '\t')
			fputs("tab", fp);
		else
			putc(*slot, fp);
		break;
	}
}

int gcu_config_print(const struct gcu_config *c, const char *key, FILE *fp)
{
	const struct setting *s = find_setting(key);

	if (s == NULL)
		return -1;
	if (fp != NULL) {
		print_value(c, s, fp);
		putc('\n', fp);
	}
	return 0;
}

void gcu_config_dump(const struct gcu_config *c, FILE *fp)
{
	for (size_t i = 0; i < NSETTINGS; i++) {
		fprintf(fp, "%s = ", settings[i].key);
		print_value(c, &settings[i], fp);
		putc('\n', fp);
	}
	for (size_t i = 0; i < c->nscopes; i++)
		fprintf(fp, "scopes.%s += %s\n", gcu_scope_name(c->scopes[i].scope),
		        c->scopes[i].field);
	for (size_t i = 0; i < c->ncolumns; i++)
		fprintf(fp, "csv.columns.%s = %s\n", c->columns[i].column, c->columns[i].field);
}
