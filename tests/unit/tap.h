/*
 * tap.h - a minimal Test Anything Protocol emitter for the unit tests.
 *
 * Each test program prints "ok N - name" / "not ok N - name" lines and a
 * plan at the end, which prove(1) reads. Helpers compare strings and
 * integers and say what they got when they fail.
 */
#ifndef GCU_TAP_H
#define GCU_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int tap_ok(int cond, const char *name)
{
	tap_n++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, name);
	if (!cond)
		tap_failed++;
	return cond;
}

#define ok(cond, name) tap_ok((cond) != 0, (name))

static inline int tap_is_str(const char *got, const char *want, const char *name)
{
	int same = (got == NULL && want == NULL) ||
	           (got != NULL && want != NULL && strcmp(got, want) == 0);
	if (!tap_ok(same, name))
		printf("#   got:  %s\n#   want: %s\n", got ? got : "(null)",
		       want ? want : "(null)");
	return same;
}

static inline int tap_is_long(long got, long want, const char *name)
{
	if (!tap_ok(got == want, name))
		printf("#   got:  %ld\n#   want: %ld\n", got, want);
	return got == want;
}

#define is_str(got, want, name)  tap_is_str((got), (want), (name))
#define is_long(got, want, name) tap_is_long((long)(got), (long)(want), (name))

static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
