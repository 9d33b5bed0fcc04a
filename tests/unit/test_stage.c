/*
 * test_stage.c - what a stage's main() gets from lib/stage.c and
 * lib/stage_main.c besides its settings: private files whatever the
 * umask, its tie to the run.sh that started it (GCU_RUN_PID), where its
 * live progress line goes (GCU_PROGRESS_FD), the count of the signals
 * that stop it, and the words and exit codes of its command line and of
 * its messages about the input.
 *
 * The tie is tested in a child process, since it changes the signal
 * dispositions and the parent-death signal of the process that makes it;
 * so is everything that exits, with its stdout and stderr caught in files.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <json-c/json.h>

#include "stage.h"
#include "ndjson.h"
#include "stage_main.h"
#include "tap.h"
#include "version.h"

static volatile sig_atomic_t got_term;

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static void test_private(void)
{
	char dir[] = "/tmp/test_stage.XXXXXX", path[64];
	struct stat st;

	if (mkdtemp(dir) == NULL)
		exit(2);
	umask(022);
	gcu_stage_private();
	snprintf(path, sizeof path, "%s/f", dir);
	FILE *fp = fopen(path, "w");
	ok(fp != NULL && stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	   "a file created after it is 0600 under umask 022");
	if (fp)
		fclose(fp);
	unlink(path);
	snprintf(path, sizeof path, "%s/d", dir);
	ok(mkdir(path, 0777) == 0 && stat(path, &st) == 0 && (st.st_mode & 0777) == 0700,
	   "a folder is 0700");
	rmdir(path);
	rmdir(dir);
}

/*
 * Runs gcu_stage_bind in a child with GCU_RUN_PID set to value ("" for
 * the child's real parent); returns what the child reports: its return
 * value * 10 + 1 when SIGTERM was raised, + 2 when SIGINT and SIGHUP are
 * ignored, + 4
 * when a parent-death signal is set.
 */
static int bind_in_child(const char *value)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		exit(2);
	if (pid == 0) {
		char me[32];
		struct sigaction sa = {0}, old_int, old_hup;
		int pdeath = 0;

		snprintf(me, sizeof me, "%ld", (long)getppid());
		if (value == NULL)
			unsetenv("GCU_RUN_PID");
		else
			setenv("GCU_RUN_PID", *value ? value : me, 1);
		sa.sa_handler = on_term;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		int rc = gcu_stage_bind();
		sigaction(SIGINT, NULL, &old_int);
		sigaction(SIGHUP, NULL, &old_hup);
		prctl(PR_GET_PDEATHSIG, &pdeath);
		_exit(100 + rc * 10 + (got_term ? 1 : 0) +
		      (old_int.sa_handler == SIG_IGN && old_hup.sa_handler == SIG_IGN ? 2 : 0) +
		      (pdeath == SIGTERM ? 4 : 0));
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1000;
	return WEXITSTATUS(status) - 100;
}

static void test_bind(void)
{
	is_long(bind_in_child(NULL), 0, "no GCU_RUN_PID: not tied, signals as they were");
	is_long(bind_in_child(""), 6,
	        "started by that run.sh: SIGTERM when it dies, SIGINT and SIGHUP left to it");
	is_long(bind_in_child("999999"), 10 + 1 + 2 + 4,
	        "that run.sh is gone already: SIGTERM now, so the stage stops");
	is_long(bind_in_child("not-a-pid"), -10, "a variable that is no pid is an error");
}

static void test_progress(void)
{
	int p[2];
	char buf[64] = "";

	unsetenv("GCU_PROGRESS_FD");
	ok(gcu_stage_progress(0) == NULL, "quiet: no progress line");
	if (!isatty(STDERR_FILENO))
		ok(gcu_stage_progress(1) == NULL, "stderr not a terminal: none");
	else
		ok(gcu_stage_progress(1) == stderr, "stderr a terminal: there");
	if (pipe(p) < 0)
		exit(2);
	snprintf(buf, sizeof buf, "%d", p[1]);
	setenv("GCU_PROGRESS_FD", buf, 1);
	ok(gcu_stage_progress(0) == NULL, "quiet wins over GCU_PROGRESS_FD");
	FILE *fp = gcu_stage_progress(1);
	ok(fp != NULL && fp != stderr, "GCU_PROGRESS_FD names the stream");
	if (fp != NULL) {
		fputs("\rgcu-send: 1/2 done", fp); /* unbuffered: no flush */
		ssize_t n = read(p[0], buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = '\0';
		is_str(buf, "\rgcu-send: 1/2 done", "a line written to it arrives at once");
		fclose(fp);
	}
	close(p[0]);
	setenv("GCU_PROGRESS_FD", "1", 1);
	ok(gcu_stage_progress(1) != stdout, "never stdout, where the data goes");
	setenv("GCU_PROGRESS_FD", "2", 1);
	ok(gcu_stage_progress(1) == stderr, "2 is stderr");
	setenv("GCU_PROGRESS_FD", "250", 1);
	ok(gcu_stage_progress(1) == (isatty(STDERR_FILENO) ? stderr : NULL),
	   "a descriptor that is not open is ignored");
	unsetenv("GCU_PROGRESS_FD");
}

/* The options every stage shares: taken, left to the stage, or refused. */
static void test_options(void)
{
	struct gcu_stage_cli cli = {.verbosity = 1};
	char err[128] = "";

	ok(gcu_stage_option(&cli, 'c', "a.yaml", err, sizeof err) == 1 && cli.config != NULL &&
	       strcmp(cli.config, "a.yaml") == 0,
	   "-c names the settings file");
	ok(gcu_stage_option(&cli, 'q', NULL, err, sizeof err) == 1 && cli.verbosity == 0,
	   "-q silences");
	ok(gcu_stage_option(&cli, 'v', NULL, err, sizeof err) == 1 && cli.verbosity == 2,
	   "-v says more");
	ok(gcu_stage_option(&cli, 'J', "s.json", err, sizeof err) == 1 && cli.summary != NULL,
	   "--summary names the summary file");
	ok(gcu_stage_option(&cli, 'S', "42", err, sizeof err) == 1 && cli.seed == 42,
	   "--seed takes a number");
	ok(gcu_stage_option(&cli, 'S', "4x", err, sizeof err) == -1 &&
	       strstr(err, "--seed: '4x' is not a number") != NULL,
	   "--seed refuses what is not a number, naming it");
	ok(gcu_stage_option(&cli, 'S', "-1", err, sizeof err) == -1, "--seed refuses a negative");
	ok(gcu_stage_option(&cli, 'f', "x", err, sizeof err) == 0,
	   "an option of the stage's own is left to it");
	ok(gcu_stage_option(&cli, '?', NULL, err, sizeof err) == 0, "an unknown option too");
}

static void test_stop(void)
{
	volatile sig_atomic_t *stop = gcu_stage_catch_stop();

	ok(stop != NULL && *stop == 0, "no signal yet: go on");
	raise(SIGTERM);
	is_long(*stop, 1, "a first SIGTERM: drain and stop");
	raise(SIGINT);
	is_long(*stop, 2, "a second signal, SIGINT too: stop at once");
	raise(SIGTERM);
	is_long(*stop, 2, "more signals change nothing");
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

/* --- what exits: run in a child, its output caught --------------------- */

static char dir[] = "/tmp/test_stage_main.XXXXXX";

/* What a child said and how it ended. */
struct outcome {
	int status; /* its exit status; -1 when it did not exit */
	char out[1024], err[1024];
};

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n = fp ? fread(buf, 1, len - 1, fp) : 0;

	buf[n] = '\0';
	if (fp)
		fclose(fp);
}

/* Runs body(arg) in a child, stdout and stderr in files; a body that
 * returns ends the child with 100. */
static void in_child(void (*body)(void *), void *arg, struct outcome *oc)
{
	char out[64], err[64];
	int status;

	snprintf(out, sizeof out, "%s/out", dir);
	snprintf(err, sizeof err, "%s/err", dir);
	fflush(stdout); /* or the child prints the TAP lines so far again */
	pid_t pid = fork();
	if (pid < 0)
		exit(2);
	if (pid == 0) {
		if (freopen(out, "w", stdout) == NULL || freopen(err, "w", stderr) == NULL)
			_exit(2);
		body(arg);
		exit(100);
	}
	oc->status =
	    waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	slurp(out, oc->out, sizeof oc->out);
	slurp(err, oc->err, sizeof oc->err);
}

static void usage(void)
{
	fputs("usage: gcu-test [-qv] [file | -]\n", stderr);
	exit(EX_USAGE);
}

static void help(void)
{
	fputs("usage: gcu-test [options] [file | -]\n\nTests.\n", stdout);
	exit(0);
}

/* "gcu-test: " as warnx(3) begins its lines here. */
static const char *said(const char *msg)
{
	static char buf[512];

	snprintf(buf, sizeof buf, "%s: %s\n", program_invocation_short_name, msg);
	return buf;
}

/* msg as said() has it, after the sequence that clears the live line. */
static const char *cleared(const char *msg)
{
	static char buf[520];

	snprintf(buf, sizeof buf, "\r\033[K%s", said(msg));
	return buf;
}

struct option_call {
	int ch;
	const char *arg;
};

static void call_option(void *arg)
{
	const struct option_call *c = arg;
	struct gcu_stage_cli cli = {.name = "gcu-test", .usage = usage, .help = help};

	gcu_stage_default_option(&cli, c->ch, c->arg);
}

/* The default branch of the getopt loop: -h, -V, bad values, unknowns. */
static void test_default_option(void)
{
	struct gcu_stage_cli cli = {
	    .name = "gcu-test", .usage = usage, .help = help, .verbosity = 1};
	struct outcome oc;
	char version[64];

	in_child(call_option, &(struct option_call){'h', NULL}, &oc);
	ok(oc.status == 0 &&
	       strcmp(oc.out, "usage: gcu-test [options] [file | -]\n\nTests.\n") == 0 &&
	       oc.err[0] == '\0',
	   "-h: the stage's help on stdout, exit 0");
	in_child(call_option, &(struct option_call){'V', NULL}, &oc);
	snprintf(version, sizeof version, "gcu-test %s\n", GCU_VERSION);
	ok(oc.status == 0 && strcmp(oc.out, version) == 0 && oc.err[0] == '\0',
	   "-V: the stage's name and the version on stdout, exit 0");
	in_child(call_option, &(struct option_call){'S', "4x"}, &oc);
	is_long(oc.status, EX_USAGE, "a bad value is a usage error (64)");
	is_str(oc.err, said("--seed: '4x' is not a number"), "that says why, and no synopsis");
	in_child(call_option, &(struct option_call){'?', NULL}, &oc);
	ok(oc.status == EX_USAGE && strcmp(oc.err, "usage: gcu-test [-qv] [file | -]\n") == 0 &&
	       oc.out[0] == '\0',
	   "an unknown option: the stage's synopsis on stderr, exit 64");
	in_child(call_option, &(struct option_call){'z', "x"}, &oc);
	is_long(oc.status, EX_USAGE, "an option the stage did not take is one too");
	gcu_stage_default_option(&cli, 'q', NULL);
	gcu_stage_default_option(&cli, 'c', "a.yaml");
	ok(cli.verbosity == 0 && cli.config && strcmp(cli.config, "a.yaml") == 0,
	   "an option every stage shares is kept, and the loop goes on");
}

static char *two_operands[] = {"gcu-test", "-q", "a", "b", NULL};

static void call_operand(void *arg)
{
	struct gcu_stage_cli cli = {.name = "gcu-test", .usage = usage, .help = help};
	(void)arg;

	optind = 2;
	gcu_stage_operand(&cli, 4, two_operands);
}

static void test_operand(void)
{
	struct gcu_stage_cli cli = {.name = "gcu-test", .usage = usage, .help = help};
	char *one[] = {"gcu-test", "-q", "in.ndjson", NULL}, *none[] = {"gcu-test", "-q", NULL};
	struct outcome oc;
	int saved = optind;

	optind = 2;
	is_str(gcu_stage_operand(&cli, 3, one), "in.ndjson", "the one operand is the input");
	is_str(gcu_stage_operand(&cli, 2, none), "-", "none: standard input");
	optind = saved;
	in_child(call_operand, NULL, &oc);
	ok(oc.status == EX_USAGE && strcmp(oc.err, "usage: gcu-test [-qv] [file | -]\n") == 0,
	   "two: the synopsis, exit 64");
}

/* --- the voice ------------------------------------------------------------ */

static struct gcu_summary sum;
static char sum_path[64];

struct speech {
	int verbosity;
	int live; /* 0: none; 1: stderr; 2: another stream */
};

/* Opens the summary, rejects a line, says a notice and a note, exits 1. */
static void speak(void *arg)
{
	const struct speech *sp = arg;
	struct gcu_stage_cli cli = {
	    .name = "gcu-test", .summary = sum_path, .verbosity = sp->verbosity};

	gcu_stage_summary(&cli, &sum);
	gcu_stage_live(sp->live == 1 ? stderr : sp->live == 2 ? stdout : NULL);
	gcu_stage_report(NULL, "in.csv", 3, "no such user");
	gcu_stage_notice(NULL, "reading 2 pages");
	gcu_stage_say("%s:%lu: note: %s", "in.csv", 4UL, "inactive");
	exit(1);
}

/* Fails twice, then fails to write its output (to /dev/full), then stops
 * with 65. */
static void fail(void *arg)
{
	const struct speech *sp = arg;
	struct gcu_stage_cli cli = {
	    .name = "gcu-test", .summary = sum_path, .verbosity = sp->verbosity};
	struct ndjson_writer w;
	json_object *o = json_object_new_object();

	gcu_stage_summary(&cli, &sum);
	gcu_stage_live(stderr);
	gcu_stage_error("%s: %s", "in.csv", "first");
	gcu_stage_error("second");
	if (ndjson_writer_open(&w, "/dev/full") < 0)
		exit(2);
	ndjson_write(&w, o);
	json_object_put(o);
	if (gcu_stage_close_output(&w, sp->live) < 0) /* live: failed before */
		gcu_stage_fail(EX_DATAERR, "%s", "bad snapshot");
	exit(3);
}

/* The summary a child left: its "program" and its first reject's src and
 * why, as "program src why", else its "exit" and "error", as "exit error". */
static void summary_words(char *buf, size_t len)
{
	json_object *o = json_object_from_file(sum_path), *v = NULL, *r;

	buf[0] = '\0';
	if (o == NULL)
		return;
	if (json_object_object_get_ex(o, "rejects", &v) && json_object_array_length(v) > 0 &&
	    (r = json_object_array_get_idx(v, 0)) != NULL) {
		json_object *prog = NULL, *src = NULL, *why = NULL;
		json_object_object_get_ex(o, "program", &prog);
		json_object_object_get_ex(r, "src", &src);
		json_object_object_get_ex(r, "why", &why);
		snprintf(buf, len, "%s %s %s", json_object_get_string(prog),
		         json_object_get_string(src), json_object_get_string(why));
	} else {
		json_object *code = NULL, *error = NULL;
		json_object_object_get_ex(o, "exit", &code);
		json_object_object_get_ex(o, "error", &error);
		snprintf(buf, len, "%d %s", json_object_get_int(code),
		         json_object_get_string(error));
	}
	json_object_put(o);
	unlink(sum_path);
}

static void test_voice(void)
{
	struct outcome oc;
	char want[1024], words[256];

	snprintf(sum_path, sizeof sum_path, "%s/summary.json", dir);
	in_child(speak, &(struct speech){1, 0}, &oc);
	/* said() has one buffer: one call at a time. */
	snprintf(want, sizeof want, "%s", said("in.csv:3: no such user"));
	strncat(want, said("reading 2 pages"), sizeof want - strlen(want) - 1);
	strncat(want, said("in.csv:4: note: inactive"), sizeof want - strlen(want) - 1);
	is_str(oc.err, want, "a reject is name:line: why, a notice and a note as they are");
	summary_words(words, sizeof words);
	is_str(words, "gcu-test in.csv:3 no such user",
	       "the summary is the stage's, and it lists the reject");
	in_child(speak, &(struct speech){0, 1}, &oc);
	is_str(oc.err, "", "quiet: nothing on stderr");
	summary_words(words, sizeof words);
	is_str(words, "gcu-test in.csv:3 no such user", "quiet: the summary still has the reject");
	in_child(speak, &(struct speech){1, 1}, &oc);
	ok(strstr(oc.err, cleared("in.csv:3: no such user")) != NULL &&
	       strstr(oc.err, cleared("reading 2 pages")) != NULL &&
	       strstr(oc.err, cleared("in.csv:4: note: inactive")) != NULL,
	   "the live line on stderr: every message clears it first");
	unlink(sum_path);
	in_child(speak, &(struct speech){1, 2}, &oc);
	ok(strstr(oc.err, "\033[K") == NULL && strstr(oc.err, said("in.csv:3: no such user")),
	   "the live line elsewhere: stderr is left as it is");
	unlink(sum_path);

	in_child(fail, &(struct speech){0, 0}, &oc);
	snprintf(want, sizeof want, "%s", said("in.csv: first"));
	strncat(want, said("second"), sizeof want - strlen(want) - 1);
	strncat(want, said("stdout: No space left on device"), sizeof want - strlen(want) - 1);
	strncat(want, said("bad snapshot"), sizeof want - strlen(want) - 1);
	is_str(oc.err, want,
	       "errors are said as they are, quiet or not, the live line left alone; "
	       "a failed output is 'stdout: reason'");
	is_long(oc.status, EX_DATAERR, "gcu_stage_fail exits with its code");
	summary_words(words, sizeof words);
	is_str(words, "65 in.csv: first", "the summary keeps the first error, and the exit");
	in_child(fail, &(struct speech){1, 1}, &oc);
	ok(strstr(oc.err, "stdout:") == NULL && strstr(oc.err, said("bad snapshot")) != NULL,
	   "an output that fails after something else failed is not said again");
	unlink(sum_path);
}

/* Says its summary line at the verbosity given, exits 0. */
static void tell(void *arg)
{
	const struct speech *sp = arg;
	struct gcu_stage_cli cli = {
	    .name = "gcu-test", .summary = sum_path, .verbosity = sp->verbosity};

	gcu_stage_summary(&cli, &sum);
	gcu_stage_summary_line("%lu records: %lu ok", 3UL, 2UL);
	exit(0);
}

/* The summary's "line" a child left ("(null)" when it is null, "" when
 * there is no summary or no such key). */
static void summary_line(char *buf, size_t len)
{
	json_object *o = json_object_from_file(sum_path), *v = NULL;

	buf[0] = '\0';
	if (o && json_object_object_get_ex(o, "line", &v))
		snprintf(buf, len, "%s", v ? json_object_get_string(v) : "(null)");
	json_object_put(o);
	unlink(sum_path);
}

static void test_summary_line(void)
{
	struct outcome oc;
	char line[256];

	in_child(tell, &(struct speech){1, 0}, &oc);
	is_str(oc.err, said("3 records: 2 ok"),
	       "the summary line is said after the program's name");
	summary_line(line, sizeof line);
	is_str(line, "3 records: 2 ok",
	       "and kept in the summary as it was said, for run.sh to show");
	in_child(tell, &(struct speech){0, 0}, &oc);
	is_str(oc.err, "", "quiet: the summary line is not said");
	summary_line(line, sizeof line);
	is_str(line, "3 records: 2 ok", "quiet: the summary still keeps it");
	in_child(speak, &(struct speech){1, 0}, &oc);
	summary_line(line, sizeof line);
	is_str(line, "(null)", "a stage that said no summary line leaves a null one");
}

/* A record written: one line, the reference dropped; a failed write named. */
static void test_write(void)
{
	struct ndjson_writer w;
	char path[64], err[128] = "", line[128] = "";
	json_object *rec = json_object_new_object();

	snprintf(path, sizeof path, "%s/records", dir);
	json_object_object_add(rec, "id", json_object_new_string("u1"));
	json_object_get(rec); /* one reference for the writer to drop, one to count */
	ok(ndjson_writer_open(&w, path) == 0 && gcu_stage_write(&w, rec, err, sizeof err) == 0,
	   "a record is written");
	ok(ndjson_writer_close(&w) == 0, "and the output closes");
	slurp(path, line, sizeof line);
	is_str(line, "{\"id\":\"u1\"}\n", "as one line");
	ok(json_object_put(rec) == 1, "the writer dropped its reference to the record");
	unlink(path);

	rec = json_object_new_object();
	if (ndjson_writer_open(&w, "/dev/full") < 0)
		exit(2);
	w.error = ENOSPC; /* as after a write that failed: later ones are not tried */
	ok(gcu_stage_write(&w, rec, err, sizeof err) == -1, "a failed write is -1");
	is_str(err, "/dev/full: No space left on device", "naming the output and why");
	w.error = 0;
	ndjson_writer_close(&w);
}

int main(void)
{
	if (mkdtemp(dir) == NULL)
		return 2;
	test_private();
	test_options();
	test_bind();
	test_progress();
	test_stop();
	test_default_option();
	test_operand();
	test_voice();
	test_summary_line();
	test_write();
	snprintf(sum_path, sizeof sum_path, "%s/out", dir);
	unlink(sum_path);
	snprintf(sum_path, sizeof sum_path, "%s/err", dir);
	unlink(sum_path);
	rmdir(dir);
	return done_testing();
}
