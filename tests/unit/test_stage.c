/*
 * test_stage.c - what a stage's main() gets from lib/stage.c besides its
 * settings: private files whatever the umask, its tie to the run.sh that
 * started it (GCU_RUN_PID), and where its live progress line goes
 * (GCU_PROGRESS_FD).
 *
 * The tie is tested in a child process, since it changes the signal
 * dispositions and the parent-death signal of the process that makes it.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stage.h"
#include "tap.h"

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
 * value * 10 + 1 when SIGTERM was raised, + 2 when SIGINT is ignored, + 4
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
		struct sigaction sa = {0}, old;
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
		sigaction(SIGINT, NULL, &old);
		prctl(PR_GET_PDEATHSIG, &pdeath);
		_exit(100 + rc * 10 + (got_term ? 1 : 0) + (old.sa_handler == SIG_IGN ? 2 : 0) +
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
	        "started by that run.sh: SIGTERM when it dies, SIGINT left to it");
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

int main(void)
{
	test_private();
	test_options();
	test_bind();
	test_progress();
	return done_testing();
}
