/*
 * test_summary.c - the summary a stage leaves with --summary FILE: written
 * at exit(3) with the exit status, whatever that status, one JSON object
 * with the program, version, elapsed time, error and the counts set, the
 * rejected lines listed up to their bound, mode 0600 whatever the umask,
 * no temporary file left beside it; nothing at all without a path.
 */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "summary.h"
#include "tap.h"
#include "version.h"

static char dir[256], path[512];
static struct gcu_summary sum;

/* Runs body in a child that exits with code; returns what it wrote. */
static json_object *child(void (*body)(void), int code)
{
	int status = 0;

	fflush(stdout); /* or the child prints the TAP lines so far again */
	pid_t pid = fork();

	if (pid == 0) {
		umask(022);
		if (gcu_summary_open(&sum, "gcu-test", path, warnx) < 0)
			_exit(99);
		body();
		exit(code);
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != code)
		return NULL;
	return json_object_from_file(path);
}

static long num(json_object *o, const char *section, const char *key)
{
	json_object *v = NULL;
	if (section && !json_object_object_get_ex(o, section, &o))
		return -1;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return -1;
	return (long)json_object_get_int64(v);
}

static const char *str(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

static void counts(void)
{
	gcu_summary_count(&sum, NULL, "records", 0);
	gcu_summary_count(&sum, NULL, "records", 12);
	gcu_summary_count(&sum, "results", "ok", 7);
	gcu_summary_add(&sum, "by_op", "user", 1);
	gcu_summary_add(&sum, "by_op", "user", 2);
	gcu_summary_add(&sum, "by_op", "routingStatus", 1);
	gcu_summary_number(&sum, NULL, "rate", 1.49999999);
	gcu_summary_number(&sum, NULL, "nan", NAN);
	gcu_summary_flag(&sum, NULL, "blind", 1);
	gcu_summary_null(&sum, NULL, "limit");
	errno = ENOENT;
	gcu_summary_error(&sum, "unknown column '%s'", "tittle");
	gcu_summary_flag(&sum, NULL, "errno_kept", errno == ENOENT);
	gcu_summary_error(&sum, "what followed");
	for (unsigned long i = 1; i <= GCU_SUMMARY_MAX_REJECTS + 5; i++)
		gcu_summary_reject(&sum, "changes.csv", i, "id 'x' is not a UUID");
}

static void nothing(void)
{
}

static int leftovers(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	if (d)
		closedir(d);
	return n;
}

static void at_exit_with_counts(void)
{
	struct stat st;
	json_object *o = child(counts, 75), *v = NULL;

	ok(o != NULL, "exit(75): the summary is written at exit, and is one JSON object");
	if (o == NULL)
		return;
	is_str(str(o, "program"), "gcu-test", "program: as given");
	is_str(str(o, "version"), GCU_VERSION, "version: the programs' version");
	is_long(num(o, NULL, "exit"), 75, "exit: the status the process exited with");
	ok(json_object_object_get_ex(o, "elapsed", &v) &&
	       json_object_is_type(v, json_type_double) && json_object_get_double(v) >= 0,
	   "elapsed: seconds since it was opened");
	is_long(num(o, NULL, "records"), 12, "count: a later value replaces the zero set first");
	is_long(num(o, "results", "ok"), 7, "count: in a section");
	is_long(num(o, "by_op", "user"), 3, "add: sums");
	is_long(num(o, "by_op", "routingStatus"), 1, "add: starts from zero");
	is_str(json_object_to_json_string_ext(json_object_object_get(o, "rate"), 0), "1.500",
	       "number: three decimals");
	ok(json_object_object_get_ex(o, "nan", &v) && v == NULL, "number: NaN is null");
	ok(json_object_object_get_ex(o, "limit", &v) && v == NULL, "null: a null");
	ok(json_object_get_boolean(json_object_object_get(o, "blind")), "flag: true");
	is_str(str(o, "error"), "unknown column 'tittle'", "error: the first reason stays");
	ok(json_object_get_boolean(json_object_object_get(o, "errno_kept")),
	   "error: errno is kept for err(3)");
	v = json_object_object_get(o, "rejects");
	is_long(json_object_array_length(v), GCU_SUMMARY_MAX_REJECTS,
	        "rejects: listed up to the bound");
	is_str(str(json_object_array_get_idx(v, 0), "src"), "changes.csv:1",
	       "rejects: each names file:line");
	is_str(str(json_object_array_get_idx(v, 0), "why"), "id 'x' is not a UUID",
	       "rejects: and why");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "mode 0600 under umask 022");
	is_long(leftovers(), 1, "no temporary file is left beside it");
	json_object_put(o);
}

static void at_exit_early(void)
{
	json_object *o;

	unlink(path);
	o = child(nothing, 64);
	ok(o != NULL, "exit(64) right after the options: a summary still");
	if (o == NULL)
		return;
	is_long(num(o, NULL, "exit"), 64, "exit: 64");
	ok(json_object_object_get(o, "error") == NULL, "error: null when none was given");
	is_long(json_object_array_length(json_object_object_get(o, "rejects")), 0,
	        "rejects: an empty list");
	json_object_put(o);
	unlink(path);
	o = child(nothing, 0);
	is_long(o ? num(o, NULL, "exit") : -1, 0, "exit(0): a summary too");
	json_object_put(o);
}

static void inert(void)
{
	struct gcu_summary s;
	char err[256] = "";

	unlink(path);
	ok(gcu_summary_open(&s, "gcu-test", NULL, NULL) == 0, "no path: opens");
	gcu_summary_count(&s, NULL, "records", 3);
	gcu_summary_reject(&s, "f", 1, "bad");
	gcu_summary_error(&s, "why");
	ok(gcu_summary_write(&s, 0, err, sizeof err) == 0, "no path: writing does nothing");
	ok(access(path, F_OK) != 0 && leftovers() == 0, "no path: no file");
	gcu_summary_free(&s);
}

static void unwritable(void)
{
	struct gcu_summary s = {0};
	char err[1024] = "";
	char bad[600];

	snprintf(bad, sizeof bad, "%s/no/such/folder/s.json", dir);
	s.path = bad;
	s.obj = json_object_new_object();
	ok(gcu_summary_write(&s, 0, err, sizeof err) < 0, "an unwritable path is an error");
	ok(strstr(err, bad) == err, "the error names the file");
	gcu_summary_free(&s);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/test_summary.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(path, sizeof path, "%s/send.routing.1.summary.json", dir);

	at_exit_with_counts();
	at_exit_early();
	inert();
	unwritable();

	unlink(path);
	rmdir(dir);
	return done_testing();
}
