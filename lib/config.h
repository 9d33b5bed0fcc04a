/*
 * config.h - gcu's settings: built-in defaults, config/gcu.yaml, the
 * environment and flags, in that order of increasing precedence.
 *
 * Scalar settings are described once in a table (config.c) that drives the
 * YAML loader, the environment overrides (GCU_ plus the dotted key in upper
 * case with dots and dashes as underscores, e.g. GCU_THROTTLE_RESERVE) and
 * gcu-*(1) --help. The field-to-scope map and the CSV column map are lists
 * and are loaded by hand. Every error names file:line.
 */
#ifndef GCU_CONFIG_H
#define GCU_CONFIG_H

#include <stddef.h>
#include <stdio.h>

enum gcu_scope { GCU_SCOPE_NONE = -1, GCU_SCOPE_NON_ROUTING = 0, GCU_SCOPE_ROUTING = 1 };
#define GCU_NSCOPES 2

enum gcu_column_type {
	GCU_COL_STRING,
	GCU_COL_NUMBER,
	GCU_COL_BOOLEAN,
	GCU_COL_LIST,   /* a;b;c -> ["a","b","c"] */
	GCU_COL_SKILLS, /* id:4;id2:2 -> {"id":4,"id2":2} */
	GCU_COL_CONTACT /* one address of a contact list, keyed by media/kind */
};

struct gcu_column {
	char *column; /* header name in the CSV */
	char *field;  /* platform field it fills */
	enum gcu_column_type type;
	char *media; /* GCU_COL_CONTACT: mediaType, e.g. PHONE */
	char *kind;  /* GCU_COL_CONTACT: type, e.g. WORK */
};

struct gcu_scope_field {
	char *field;
	enum gcu_scope scope;
};

struct gcu_retry_policy {
	double base;   /* first backoff, seconds */
	double max;    /* backoff ceiling, seconds */
	long attempts; /* attempts in all, the first included */
};

struct gcu_config {
	long concurrency;
	long max_line;
	double connect_timeout;
	double request_timeout;
	long max_response;
	long fetch_batch;
	long throttle_reserve;
	long throttle_floor;
	long throttle_pause_below;
	struct gcu_retry_policy retry_rate_limit;
	struct gcu_retry_policy retry_server;
	double retry_max_wait;
	long retry_conflicts_to_park;
	double retry_conflict_cooldown;
	long circuit_failures;
	double circuit_pause;
	double schedule_gap;
	long platform_limit;
	double platform_window;
	char *auth_client_id;
	char *auth_client_secret;
	char *auth_region;
	char *auth_api_base;
	char *csv_key;       /* use gcu_config_csv_key */
	char *csv_id_column; /* csv.key's old name, still read */
	char *csv_null;
	char *csv_separator;
	char csv_delimiter; /* between cells: ',' unless told (a .tsv file: tab) */
	struct gcu_scope_field *scopes;
	size_t nscopes;
	struct gcu_column *columns;
	size_t ncolumns;
};

/* Fills c with the built-in defaults (the same as config/gcu.yaml). */
int gcu_config_defaults(struct gcu_config *c);

/*
 * Loads path over c. Keys not given keep their value; a key under `scopes`
 * or `csv.columns` replaces that whole list. Returns 0, or -1 with a
 * message "path:line: what is wrong" in err (unknown key, wrong type,
 * unreadable file, a file holding a secret that others can read).
 */
int gcu_config_load(struct gcu_config *c, const char *path, char *err, size_t errlen);

/*
 * Applies GCU_* environment overrides. Returns 0, or -1 with a message
 * naming the variable in err.
 */
int gcu_config_env(struct gcu_config *c, char *err, size_t errlen);

/*
 * The usual sequence for a stage: defaults, then path (or $GCU_CONFIG when
 * path is NULL; no file at all when both are unset), then the environment;
 * last, throttle.floor is cut to throttle.reserve (the floor is part of
 * the reserve), so that every reader sees the value the pacer keeps.
 */
int gcu_config_init(struct gcu_config *c, const char *path, char *err, size_t errlen);

/* Sets one scalar by dotted key from text, as a flag would. */
int gcu_config_set(struct gcu_config *c, const char *key, const char *value, char *err,
                   size_t errlen);

/* The scope a field belongs to, or GCU_SCOPE_NONE when it is not mapped. */
enum gcu_scope gcu_config_scope_of(const struct gcu_config *c, const char *field);

/* The CSV column spec for a header name, or NULL. */
const struct gcu_column *gcu_config_column(const struct gcu_config *c, const char *name);

/*
 * The CSV column that names the user, as csv.key says ("email",
 * "user_id", "Work Email:email"), or NULL when the header decides
 * (change_reader.h). csv.id_column, csv.key's old name, still counts
 * when csv.key is empty: its old default "id" means the header decides.
 */
const char *gcu_config_csv_key(const struct gcu_config *c);

const char *gcu_scope_name(enum gcu_scope s);
enum gcu_scope gcu_scope_parse(const char *name);

/*
 * Prints the value of the scalar setting key on fp, then a newline, as
 * gcu_config_dump shows it (a secret as "(set)" or nothing, never its
 * value). fp may be NULL, to only check the key. Returns 0, or -1 when
 * key names no scalar setting.
 */
int gcu_config_print(const struct gcu_config *c, const char *key, FILE *fp);

/*
 * Prints every setting on fp: "key = value" for each scalar (secrets
 * as above), then "scopes.<scope> += field" and "csv.columns.<name> =
 * field" lines for the lists. Numbers print as they would be read back.
 */
void gcu_config_dump(const struct gcu_config *c, FILE *fp);

void gcu_config_free(struct gcu_config *c);

#endif
