/*
 * test_config.c - settings: built-in defaults, gcu.yaml, the environment.
 *
 * Covers that the built-in defaults are exactly what config/gcu.yaml says
 * (every setting, the scope map and the column map), that mistakes in a
 * file are errors naming file:line (unknown key, wrong type, out of range,
 * invalid YAML, a field in two scopes, a bad column spec), that GCU_*
 * variables win over the file and bad ones are named, that a file holding
 * auth.client_secret is refused unless chmod 600, that scopes and
 * csv.columns in a file replace the built-in lists, and that the dump
 * never shows the secret.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

static char dir[] = "/tmp/test_config.XXXXXX";

static const char *write_yaml(const char *name, const char *text, mode_t mode)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *fp = fopen(path, "w");
	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) != 0)
		exit(2);
	chmod(path, mode);
	return path;
}

/* The dump of c as a string (caller frees). */
static char *dump(const struct gcu_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	gcu_config_dump(c, fp);
	fclose(fp);
	return buf;
}

/* Loads text over the defaults; returns the load status, err filled. */
static int load(struct gcu_config *c, const char *text, mode_t mode, char *err, size_t errlen)
{
	gcu_config_defaults(c);
	err[0] = '\0';
	return gcu_config_load(c, write_yaml("t.yaml", text, mode), err, errlen);
}

static int contains(const char *s, const char *part)
{
	if (s != NULL && strstr(s, part) != NULL)
		return 1;
	printf("#   '%s'\n#   does not contain '%s'\n", s ? s : "(null)", part);
	return 0;
}

static void test_defaults_match_file(void)
{
	static const char *const candidates[] = {"config/gcu.yaml", "../../config/gcu.yaml"};
	const char *path = NULL;
	struct gcu_config def, file;
	char err[512];

	for (size_t i = 0; i < 2 && path == NULL; i++)
		if (access(candidates[i], R_OK) == 0)
			path = candidates[i];
	if (path == NULL) {
		printf("# config/gcu.yaml not found; skipping the comparison\n");
		ok(1, "# SKIP no config/gcu.yaml");
		return;
	}
	gcu_config_defaults(&def);
	/* Load the file over an empty config: every setting must be in it. */
	memset(&file, 0, sizeof file);
	if (!ok(gcu_config_load(&file, path, err, sizeof err) == 0, "config/gcu.yaml loads"))
		printf("#   %s\n", err);
	char *a = dump(&def), *b = dump(&file);
	if (!is_str(b, a, "config/gcu.yaml states every built-in default, scope and column"))
		printf("# (first is the file, second the built-in defaults)\n");
	free(a);
	free(b);
	gcu_config_free(&def);
	gcu_config_free(&file);
}

static void test_defaults(void)
{
	struct gcu_config c;

	ok(gcu_config_defaults(&c) == 0, "defaults");
	is_long(c.concurrency, 6, "concurrency 6");
	is_long(c.max_line, 1048576, "max_line 1 MiB");
	is_long(c.throttle_reserve, 10, "throttle.reserve 10");
	ok(c.retry_rate_limit.base == 2 && c.retry_rate_limit.max == 30,
	   "429 backoff base 2 s, max 30 s");
	ok(c.retry_server.base == 10 && c.retry_server.max == 120,
	   "5xx backoff base 10 s, max 120 s");
	is_long(c.fetch_batch, 100, "fetch.batch 100");
	is_str(c.csv_null, "\\N", "csv.null \\N");
	is_long(gcu_config_scope_of(&c, "title"), GCU_SCOPE_NON_ROUTING, "title is non-routing");
	is_long(gcu_config_scope_of(&c, "state"), GCU_SCOPE_NON_ROUTING, "state is non-routing");
	is_long(gcu_config_scope_of(&c, "routingSkills"), GCU_SCOPE_ROUTING,
	        "routingSkills is routing");
	is_long(gcu_config_scope_of(&c, "routingStatus"), GCU_SCOPE_ROUTING,
	        "routingStatus is routing");
	is_long(gcu_config_scope_of(&c, "division"), GCU_SCOPE_NON_ROUTING,
	        "division is non-routing");
	is_long(gcu_config_scope_of(&c, "queues"), GCU_SCOPE_ROUTING, "queues are routing");
	is_long(gcu_config_scope_of(&c, "team"), GCU_SCOPE_ROUTING, "team is routing");
	is_long(gcu_config_scope_of(&c, "roles"), GCU_SCOPE_NONE, "roles are not mapped");
	const struct gcu_column *col = gcu_config_column(&c, "workPhone");
	ok(col && col->type == GCU_COL_CONTACT && strcmp(col->field, "addresses") == 0 &&
	       strcmp(col->media, "PHONE") == 0 && strcmp(col->kind, "WORK") == 0,
	   "workPhone is the WORK PHONE contact of addresses");
	gcu_config_free(&c);
}

static void test_file_errors(void)
{
	struct gcu_config c;
	char err[512], want[600];

	ok(load(&c, "concurrency: 4\nthrottle:\n  reserve: 5\n", 0644, err, sizeof err) == 0,
	   "a good file loads");
	ok(c.concurrency == 4 && c.throttle_reserve == 5 && c.throttle_pause_below == 20,
	   "given keys set, others keep their default");
	gcu_config_free(&c);

	ok(load(&c, "# nothing\n", 0644, err, sizeof err) == 0 && c.concurrency == 6,
	   "an empty file changes nothing");
	gcu_config_free(&c);

	snprintf(want, sizeof want, "%s/t.yaml:3: unknown key 'throttle.reserv'", dir);
	ok(load(&c, "concurrency: 4\nthrottle:\n  reserv: 5\n", 0644, err, sizeof err) < 0 &&
	       contains(err, want),
	   "unknown key: error names file:line and the key");
	gcu_config_free(&c);

	snprintf(want, sizeof want, "%s/t.yaml:2: unknown key 'colour'", dir);
	ok(load(&c, "concurrency: 4\ncolour: blue\n", 0644, err, sizeof err) < 0 &&
	       contains(err, want),
	   "unknown top-level key");
	gcu_config_free(&c);

	snprintf(want, sizeof want, "%s/t.yaml:2: concurrency: expected a whole number, got 'many'",
	         dir);
	ok(load(&c, "# comment\nconcurrency: many\n", 0644, err, sizeof err) < 0 &&
	       contains(err, want),
	   "wrong type: error names file:line and the key");
	gcu_config_free(&c);

	snprintf(want, sizeof want, "%s/t.yaml:2: http.connect_timeout: expected a number", dir);
	ok(load(&c, "http:\n  connect_timeout: soon\n", 0644, err, sizeof err) < 0 &&
	       contains(err, want),
	   "wrong type in a nested key");
	gcu_config_free(&c);

	ok(load(&c, "concurrency: [1, 2]\n", 0644, err, sizeof err) < 0 &&
	       contains(err, "t.yaml:1: concurrency: expected a single value"),
	   "a list where a value belongs");
	gcu_config_free(&c);

	ok(load(&c, "concurrency: 0\n", 0644, err, sizeof err) < 0 &&
	       contains(err, "t.yaml:1: concurrency: 0 is out of range"),
	   "out of range (too small)");
	gcu_config_free(&c);
	ok(load(&c, "fetch:\n  batch: 101\n", 0644, err, sizeof err) < 0 &&
	       contains(err, "t.yaml:2: fetch.batch: 101 is out of range"),
	   "out of range (fetch.batch above the platform's 100)");
	gcu_config_free(&c);
	ok(load(&c, "platform:\n  window: 0.5\n", 0644, err, sizeof err) == 0 &&
	       c.platform_window == 0.5,
	   "fractions of seconds accepted");
	gcu_config_free(&c);

	ok(load(&c, "concurrency: 4\n  bad: [\n", 0644, err, sizeof err) < 0 &&
	       contains(err, "t.yaml:"),
	   "invalid YAML names the file and line");
	gcu_config_free(&c);

	ok(load(&c, "- a\n- b\n", 0644, err, sizeof err) < 0 && contains(err, "expected a mapping"),
	   "a list at the top is refused");
	gcu_config_free(&c);

	gcu_config_defaults(&c);
	snprintf(want, sizeof want, "%s/none.yaml", dir);
	ok(gcu_config_load(&c, want, err, sizeof err) < 0 &&
	       contains(err, "none.yaml: No such file"),
	   "missing file named");
	gcu_config_free(&c);
}

static void test_lists(void)
{
	struct gcu_config c;
	char err[512];

	ok(load(&c, "scopes:\n  non-routing: [title, division]\n  routing: [routingStatus]\n", 0644,
	        err, sizeof err) == 0,
	   "scopes from a file load");
	is_long(gcu_config_scope_of(&c, "division"), GCU_SCOPE_NON_ROUTING,
	        "a field the file adds is mapped");
	is_long(gcu_config_scope_of(&c, "email"), GCU_SCOPE_NONE,
	        "scopes replaced: a built-in field the file omits is not");
	is_long(gcu_config_scope_of(&c, "routingSkills"), GCU_SCOPE_NONE,
	        "scopes replaced: routing list too");
	ok(gcu_config_column(&c, "workPhone") != NULL, "csv.columns untouched by scopes");
	gcu_config_free(&c);

	ok(load(&c, "scopes:\n  non-routing: [title]\n  routing: [title]\n", 0644, err,
	        sizeof err) < 0 &&
	       contains(err, "t.yaml:3: field 'title' is listed in scope 'non-routing' already"),
	   "a field in two scopes refused with file:line");
	gcu_config_free(&c);
	ok(load(&c, "scopes:\n  sometimes: [title]\n", 0644, err, sizeof err) < 0 &&
	       contains(err, "t.yaml:2: scopes: unknown scope 'sometimes'"),
	   "unknown scope refused");
	gcu_config_free(&c);

	ok(load(&c,
	        "csv:\n  columns:\n    phone: {field: addresses, type: contact, media: PHONE, "
	        "kind: WORK}\n    lvl: {field: title, type: number}\n",
	        0644, err, sizeof err) == 0,
	   "csv.columns from a file load");
	ok(gcu_config_column(&c, "phone") && gcu_config_column(&c, "lvl") &&
	       gcu_config_column(&c, "lvl")->type == GCU_COL_NUMBER,
	   "file's columns present with their types");
	ok(gcu_config_column(&c, "workPhone") == NULL && gcu_config_column(&c, "skills") == NULL,
	   "csv.columns replaced: built-in aliases gone");
	is_long(gcu_config_scope_of(&c, "email"), GCU_SCOPE_NON_ROUTING, "scopes untouched");
	gcu_config_free(&c);

	ok(load(&c, "csv:\n  columns:\n    x: {field: title, type: colour}\n", 0644, err,
	        sizeof err) < 0 &&
	       contains(err, "t.yaml:3: csv.columns.x.type: 'colour' is not one of"),
	   "bad column type refused with file:line");
	gcu_config_free(&c);
	ok(load(&c, "csv:\n  columns:\n    x: {field: addresses, type: contact}\n", 0644, err,
	        sizeof err) < 0 &&
	       contains(err, "needs 'media' and 'kind'"),
	   "contact column without media/kind refused");
	gcu_config_free(&c);
	ok(load(&c, "csv:\n  columns:\n    x: {type: string}\n", 0644, err, sizeof err) < 0 &&
	       contains(err, "'field' is required"),
	   "column without a field refused");
	gcu_config_free(&c);
}

static void test_env(void)
{
	struct gcu_config c;
	char err[512];
	const char *p = write_yaml("env.yaml", "throttle:\n  reserve: 7\nconcurrency: 3\n", 0644);

	setenv("GCU_THROTTLE_RESERVE", "3", 1);
	ok(gcu_config_init(&c, p, err, sizeof err) == 0, "init with a file and the environment");
	is_long(c.throttle_reserve, 3, "GCU_THROTTLE_RESERVE wins over the file");
	is_long(c.concurrency, 3, "the file wins over the default");
	gcu_config_free(&c);

	setenv("GCU_CONFIG", p, 1);
	unsetenv("GCU_THROTTLE_RESERVE");
	ok(gcu_config_init(&c, NULL, err, sizeof err) == 0 && c.throttle_reserve == 7,
	   "GCU_CONFIG names the file when no path is given");
	gcu_config_free(&c);
	unsetenv("GCU_CONFIG");

	/* The floor is part of the reserve: one above it is cut, after the
	   environment has had its say. */
	setenv("GCU_THROTTLE_FLOOR", "9", 1);
	ok(gcu_config_init(&c, p, err, sizeof err) == 0, "init with a floor above the reserve");
	is_long(c.throttle_floor, 7, "throttle.floor: cut to throttle.reserve");
	gcu_config_free(&c);
	unsetenv("GCU_THROTTLE_FLOOR");

	setenv("GCU_RETRY_RATE_LIMIT_BASE", "0.25", 1);
	setenv("GCU_CLIENT_ID", "client-x", 1);
	ok(gcu_config_init(&c, NULL, err, sizeof err) == 0, "init without a file");
	ok(c.retry_rate_limit.base == 0.25, "GCU_RETRY_RATE_LIMIT_BASE sets retry.rate_limit.base");
	is_str(c.auth_client_id, "client-x", "GCU_CLIENT_ID sets auth.client_id");
	gcu_config_free(&c);
	unsetenv("GCU_RETRY_RATE_LIMIT_BASE");
	unsetenv("GCU_CLIENT_ID");

	setenv("GCU_CONCURRENCY", "lots", 1);
	ok(gcu_config_init(&c, NULL, err, sizeof err) < 0 && contains(err, "GCU_CONCURRENCY"),
	   "a bad variable is an error naming it");
	gcu_config_free(&c);
	setenv("GCU_CONCURRENCY", "100000", 1);
	ok(gcu_config_init(&c, NULL, err, sizeof err) < 0 && contains(err, "out of range"),
	   "an out-of-range variable is an error");
	gcu_config_free(&c);
	unsetenv("GCU_CONCURRENCY");

	gcu_config_defaults(&c);
	ok(gcu_config_set(&c, "max_line", "abc", err, sizeof err) < 0, "set: bad number refused");
	ok(gcu_config_set(&c, "max_line", "4096", err, sizeof err) == 0 && c.max_line == 4096,
	   "set: as a flag would");
	ok(gcu_config_set(&c, "nope", "1", err, sizeof err) < 0 && contains(err, "nope"),
	   "set: unknown key refused");
	gcu_config_free(&c);
}

static void test_secret(void)
{
	struct gcu_config c;
	char err[512], want[600];
	static const char text[] = "auth:\n  client_id: abc\n  client_secret: s3cr3t-value\n";

	snprintf(want, sizeof want, "chmod 600 %s/t.yaml", dir);
	ok(load(&c, text, 0644, err, sizeof err) < 0 && contains(err, want),
	   "secret in a world-readable file refused with a chmod 600 hint");
	ok(strstr(err, "s3cr3t") == NULL, "the message does not show the secret");
	gcu_config_free(&c);
	ok(load(&c, text, 0640, err, sizeof err) < 0 && contains(err, "chmod 600"),
	   "secret in a group-readable file refused");
	gcu_config_free(&c);
	ok(load(&c, text, 0600, err, sizeof err) == 0, "secret in a chmod 600 file accepted");
	is_str(c.auth_client_secret, "s3cr3t-value", "and read");
	char *d = dump(&c);
	ok(d && strstr(d, "s3cr3t") == NULL && strstr(d, "auth.client_secret = (set)"),
	   "dump shows (set), never the secret");
	free(d);
	gcu_config_free(&c);
	ok(load(&c, "auth:\n  client_id: abc\n", 0644, err, sizeof err) == 0,
	   "a readable file without a secret is fine");
	gcu_config_free(&c);
}

/* The value of key in c as gcu_config_print shows it (static buffer). */
static const char *printed(const struct gcu_config *c, const char *key)
{
	static char buf[256];
	FILE *fp = fmemopen(buf, sizeof buf, "w");

	if (fp == NULL)
		exit(2);
	buf[0] = '\0';
	if (gcu_config_print(c, key, fp) < 0)
		snprintf(buf, sizeof buf, "(unknown)");
	fclose(fp);
	return buf;
}

static void test_print(void)
{
	struct gcu_config c;
	char err[512];

	ok(load(&c, "platform: {limit: 600, window: 0.1}\nschedule:\n  gap: 86399.125\n", 0600, err,
	        sizeof err) == 0,
	   "flow-style mappings load like block ones");
	is_str(printed(&c, "platform.limit"), "600\n", "a whole number, as given");
	is_str(printed(&c, "platform.window"), "0.1\n", "a fraction reads back as given");
	is_str(printed(&c, "schedule.gap"), "86399.125\n", "all its digits, no exponent");
	is_str(printed(&c, "csv.null"), "\\N\n", "a string as it is");
	is_long(gcu_config_print(&c, "platform", NULL), -1, "a section is not a setting");
	is_long(gcu_config_print(&c, "scopes.routing", NULL), -1, "nor is a list");
	is_long(gcu_config_print(&c, "platform.limit", NULL), 0, "NULL only checks the key");
	gcu_config_free(&c);
	ok(load(&c, "auth:\n  client_secret: s3cr3t-value\n", 0600, err, sizeof err) == 0,
	   "a secret");
	is_str(printed(&c, "auth.client_secret"), "(set)\n", "is printed as (set)");
	gcu_config_free(&c);
	gcu_config_defaults(&c);
	is_str(printed(&c, "auth.client_secret"), "\n", "an unset secret as nothing");
	gcu_config_free(&c);
}

static void test_delimiter(void)
{
	struct gcu_config c;
	char err[512];
	static const char *const refused[] = {"x", "7", " ", "\"", ";;", ""};

	gcu_config_defaults(&c);
	is_long(c.csv_delimiter, ',', "csv.delimiter: ',' by default");
	ok(gcu_config_set(&c, "csv.delimiter", ";", err, sizeof err) == 0 && c.csv_delimiter == ';',
	   "csv.delimiter ';'");
	ok(gcu_config_set(&c, "csv.delimiter", "tab", err, sizeof err) == 0 &&
	       c.csv_delimiter == '\t',
	   "csv.delimiter tab");
	is_str(printed(&c, "csv.delimiter"), "tab\n", "a tab is printed as the word");
	ok(gcu_config_set(&c, "csv.delimiter", "\\t", err, sizeof err) == 0 &&
	       c.csv_delimiter == '\t',
	   "csv.delimiter \\t, as a YAML file in single quotes gives it");
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		char name[64];
		snprintf(name, sizeof name, "csv.delimiter '%s' refused", refused[i]);
		ok(gcu_config_set(&c, "csv.delimiter", refused[i], err, sizeof err) < 0 &&
		       contains(err, "csv.delimiter: one punctuation character"),
		   name);
	}
	is_long(c.csv_delimiter, '\t', "a refused value leaves the setting as it was");
	gcu_config_free(&c);

	ok(load(&c, "csv: {delimiter: '|'}\n", 0600, err, sizeof err) == 0 &&
	       c.csv_delimiter == '|',
	   "csv.delimiter from a file");
	gcu_config_free(&c);
	setenv("GCU_CSV_DELIMITER", "tab", 1);
	ok(gcu_config_init(&c, NULL, err, sizeof err) == 0 && c.csv_delimiter == '\t',
	   "GCU_CSV_DELIMITER sets it");
	gcu_config_free(&c);
	unsetenv("GCU_CSV_DELIMITER");
}

int main(void)
{
	static const char *const vars[] = {"GCU_CONFIG",       "GCU_THROTTLE_RESERVE",
	                                   "GCU_CONCURRENCY",  "GCU_RETRY_RATE_LIMIT_BASE",
	                                   "GCU_CLIENT_ID",    "GCU_CLIENT_SECRET",
	                                   "GCU_CSV_DELIMITER"};
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
		unsetenv(vars[i]);
	if (mkdtemp(dir) == NULL)
		return 2;
	test_defaults_match_file();
	test_defaults();
	test_file_errors();
	test_lists();
	test_env();
	test_secret();
	test_print();
	test_delimiter();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return done_testing();
}
