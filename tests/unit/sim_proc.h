/*
 * sim_proc.h - the unit tests' gcu-sim: the program in $GCU_SIM started on
 * a free loopback port with the options a test gives, its base URL put in
 * GCU_API_BASE, and stopped (SIGTERM) when the test is done with it.
 */
#ifndef GCU_TEST_SIM_PROC_H
#define GCU_TEST_SIM_PROC_H

#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"

extern char **environ;

struct sim_proc {
	pid_t pid;
	char dir[40];
	char ready[80];
	char base[128];
};

/* Starts gcu-sim with args (NULL-terminated, at most 24); returns 0 with
 * its base URL in s->base and GCU_API_BASE, or -1 (no $GCU_SIM, or it did
 * not come up within 10 s). */
static inline int sim_proc_start(struct sim_proc *s, const char *const *args)
{
	const char *prog = getenv("GCU_SIM");
	char *argv[32];
	int n = 0;

	memset(s, 0, sizeof *s);
	if (prog == NULL || access(prog, X_OK) != 0)
		return -1;
	snprintf(s->dir, sizeof s->dir, "/tmp/gcu-test-sim-XXXXXX");
	if (mkdtemp(s->dir) == NULL)
		return -1;
	snprintf(s->ready, sizeof s->ready, "%s/url", s->dir);
	const char *fixed[] = {prog, "-q", "--port", "0", "--ready-file", s->ready};
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		argv[n++] = (char *)fixed[i];
	while (*args && n < 31)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	if (posix_spawn(&s->pid, prog, NULL, NULL, argv, environ) != 0)
		return -1;
	for (double end = gcu_now() + 10; s->base[0] == '\0' && gcu_now() < end;) {
		FILE *f = fopen(s->ready, "r");
		if (f == NULL || fgets(s->base, sizeof s->base, f) == NULL)
			gcu_sleep(0.01);
		if (f != NULL)
			fclose(f);
		s->base[strcspn(s->base, "\r\n")] = '\0';
	}
	setenv("GCU_API_BASE", s->base, 1);
	return s->base[0] ? 0 : -1;
}

static inline void sim_proc_stop(struct sim_proc *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	unlink(s->ready);
	rmdir(s->dir);
}

#endif
