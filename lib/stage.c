/*
 * stage.c - the set-up shared by the stages' main()s.
 *
 * The process model under run.sh lives here too: a stage holds the run
 * folder's lock on an inherited descriptor, so a resume refuses while it
 * runs, and gcu_stage_bind makes sure it does not run on once run.sh is
 * gone (a kill -9 of run.sh must not leave a gcu-send sending beside the
 * one a resume starts).
 */
#include "stage.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

void gcu_stage_private(void)
{
	umask(077);
}

/* The non-negative int in the environment variable name; -1 if unset or not one. */
static long env_number(const char *name)
{
	const char *v = getenv(name);
	char *end = NULL;
	long n;

	if (v == NULL || *v == '\0')
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end != '\0' || n < 0 || n > INT_MAX)
		return -1;
	return n;
}

int gcu_stage_bind(void)
{
	const char *v = getenv("GCU_RUN_PID");
	long pid = env_number("GCU_RUN_PID");

	if (v == NULL || *v == '\0')
		return 0;
	if (pid <= 1)
		return -1;
	/* run.sh passes a Ctrl-C or a hangup on as one SIGTERM; taken here as
	 * well, a hangup (an ssh session that drops) would kill the stage with
	 * requests in flight and no line for them. */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
		return -1;
	/* run.sh may have died before the prctl: then this process has been
	 * handed to another parent, and no signal will come. */
	if (getppid() != (pid_t)pid) {
		raise(SIGTERM);
		return 1;
	}
	return 0;
}

static volatile sig_atomic_t stops;

static void count_stop(int sig)
{
	(void)sig;
	if (stops < 2)
		stops++;
}

volatile sig_atomic_t *gcu_stage_catch_stop(void)
{
	struct sigaction sa = {0};

	sa.sa_handler = count_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return &stops;
}

FILE *gcu_stage_progress(int verbosity)
{
	long fd = env_number("GCU_PROGRESS_FD");
	FILE *fp;

	if (verbosity <= 0)
		return NULL;
	/* Never the data (stdin, stdout). */
	if (fd == STDERR_FILENO)
		return stderr;
	if (fd > STDERR_FILENO && fcntl((int)fd, F_GETFD) >= 0) {
		fp = fdopen((int)fd, "w");
		if (fp != NULL) {
			setvbuf(fp, NULL, _IONBF, 0);
			return fp;
		}
	}
	return isatty(STDERR_FILENO) ? stderr : NULL;
}

int gcu_stage_config(struct gcu_config *cfg, const char *path, const char *concurrency,
                     const char *max_line, char *err, size_t errlen)
{
	char why[512];

	if (gcu_config_init(cfg, path, err, errlen) < 0)
		return -1;
	if (concurrency && gcu_config_set(cfg, "concurrency", concurrency, why, sizeof why) < 0) {
		snprintf(err, errlen, "--concurrency: %s", why);
		return -1;
	}
	if (max_line && gcu_config_set(cfg, "max_line", max_line, why, sizeof why) < 0) {
		snprintf(err, errlen, "--max-line: %s", why);
		return -1;
	}
	return 0;
}

int gcu_stage_input(struct ndjson_reader *in, const char *path, size_t max_line)
{
	if (path == NULL)
		path = "-";
	if (ndjson_reader_open(in, path, max_line) < 0)
		return -1;
	if (strcmp(path, "-") == 0)
		in->name = "stdin";
	return 0;
}

int gcu_platform_open(const struct gcu_config *cfg, struct gcu_auth *auth, struct gcu_http **http,
                      char *err, size_t errlen)
{
	struct gcu_http_options ho;
	int rc;

	*http = NULL;
	rc = gcu_auth_init(auth, cfg, err, errlen);
	if (rc == GCU_AUTH_OK)
		rc = gcu_auth_token(auth, err, errlen);
	if (rc != GCU_AUTH_OK)
		return rc;
	gcu_http_options_from_config(&ho, cfg, auth->api_base);
	*http = gcu_http_new(&ho, err, errlen);
	if (*http == NULL)
		return GCU_AUTH_USAGE;
	if (gcu_http_set_bearer(*http, gcu_auth_bearer(auth)) < 0) {
		snprintf(err, errlen, "the access token cannot be sent (control characters?)");
		return GCU_AUTH_DENIED;
	}
	return 0;
}

int gcu_stage_option(struct gcu_stage_cli *cli, int ch, const char *arg, char *err, size_t errlen)
{
	char *end = NULL;

	switch (ch) {
	case 'c':
		cli->config = arg;
		return 1;
	case 'n':
		cli->concurrency = arg;
		return 1;
	case 'm':
		cli->max_line = arg;
		return 1;
	case 'J':
		cli->summary = arg;
		return 1;
	case 'q':
		cli->verbosity = 0;
		return 1;
	case 'v':
		cli->verbosity = 2;
		return 1;
	case 'S':
		errno = 0;
		cli->seed = strtoull(arg, &end, 10);
		if (errno || end == arg || *end != '\0' || arg[0] == '-') {
			snprintf(err, errlen, "--seed: '%s' is not a number", arg);
			return -1;
		}
		return 1;
	default:
		return 0;
	}
}

int gcu_stage_start(const struct gcu_stage_cli *cli, struct gcu_summary *sum,
                    struct gcu_config *cfg, struct ndjson_reader *in, const char *path, char *err,
                    size_t errlen)
{
	if (gcu_stage_config(cfg, cli->config, cli->concurrency, cli->max_line, err, errlen) < 0) {
		if (sum)
			gcu_summary_error(sum, "%s", err);
		return EX_USAGE;
	}
	if (gcu_stage_input(in, path, (size_t)cfg->max_line) < 0) {
		snprintf(err, errlen, "%s: %s", path ? path : "-", strerror(errno));
		if (sum)
			gcu_summary_error(sum, "%s", err);
		gcu_config_free(cfg);
		return EX_NOINPUT;
	}
	return 0;
}

int gcu_stage_write(struct ndjson_writer *out, json_object *rec, char *err, size_t errlen)
{
	int rc = ndjson_write(out, rec);

	json_object_put(rec);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", out->name, strerror(out->error));
	return rc < 0 ? -1 : 0;
}
