/*
 * test_uuid.c - the UUID check that stands between a change file and a
 * URL path.
 *
 * Canonical UUIDs in either case pass; everything else is refused: wrong
 * lengths, missing or moved dashes, non-hex digits, braces, surrounding
 * white space, embedded NUL or newline, and path traversal strings such as
 * "../../authorization/roles" that would otherwise reach a request path.
 * The hash used to find repeated users must ignore letter case.
 */
#include <string.h>

#include "tap.h"
#include "uuid.h"

int main(void)
{
	static const char *const good[] = {
	    "a06bcdfe-7533-40fd-a339-11c082f5e35d",
	    "A06BCDFE-7533-40FD-A339-11C082F5E35D",
	    "00000000-0000-0000-0000-000000000000",
	    "ffffffff-ffff-ffff-ffff-ffffffffffff",
	};
	static const char *const bad[] = {
	    "",
	    "not-a-uuid",
	    "../../authorization/roles",
	    "a06bcdfe-7533-40fd-a339-11c082f5e35d/../../authorization/roles",
	    "../../authorization/roles/a06bcdfe-7533-40fd-a339-11c082f5e35d",
	    "a06bcdfe-7533-40fd-a339-11c0../roles",
	    "a06bcdfe-7533-40fd-a339-11c082f5e35",   /* 35 characters */
	    "a06bcdfe-7533-40fd-a339-11c082f5e35d0", /* 37 characters */
	    "a06bcdfe07533-40fd-a339-11c082f5e35d",  /* dash replaced */
	    "a06bcdfe-753340fd-a339-11c082f5e35d-",  /* dash moved */
	    "a06bcdfe7533-40fd-a339-11c082f5e35d-",
	    "g06bcdfe-7533-40fd-a339-11c082f5e35d", /* not hex */
	    "a06bcdfe-7533-40fd-a339-11c082f5e3%d",
	    "{a06bcdfe-7533-40fd-a339-11c082f5e35d}",
	    " a06bcdfe-7533-40fd-a339-11c082f5e35d",
	    "a06bcdfe-7533-40fd-a339-11c082f5e35d ",
	    "a06bcdfe-7533-40fd-a339-11c082f5e35\n",
	    "a06bcdfe7533440fda33911c082f5e35d", /* no dashes */
	    "a06bcdfe-7533-40fd-a339-11c082f5e3?d",
	    "a06bcdfe-7533-40fd-a339-11c082f5e3#d",
	    "--------------------------------------------",
	    "------------------------------------",
	};
	char name[160];

	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		snprintf(name, sizeof name, "valid: %s", good[i]);
		ok(gcu_uuid_valid(good[i]), name);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(name, sizeof name, "refused: '%s'", bad[i]);
		for (char *c = name; *c; c++)
			if (*c == '\n')
				*c = '?'; /* keep the TAP line on one line */
		ok(!gcu_uuid_valid(bad[i]), name);
	}
	ok(!gcu_uuid_valid(NULL), "refused: NULL");

	/* an embedded NUL cuts the string short: still refused */
	char nul[37];
	memcpy(nul, "a06bcdfe-7533-40fd-a339-11c082f5e35d", 37);
	nul[20] = '\0';
	ok(!gcu_uuid_valid(nul), "refused: NUL inside");

	ok(gcu_uuid_hash("a06bcdfe-7533-40fd-a339-11c082f5e35d") ==
	       gcu_uuid_hash("A06BCDFE-7533-40FD-A339-11C082F5E35D"),
	   "hash ignores letter case");
	ok(gcu_uuid_hash("a06bcdfe-7533-40fd-a339-11c082f5e35d") !=
	       gcu_uuid_hash("a06bcdfe-7533-40fd-a339-11c082f5e35e"),
	   "hash tells neighbouring ids apart");
	return done_testing();
}
