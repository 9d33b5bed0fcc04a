/*
 * test_keyset.c - the string set that reads, captures and verifies each
 * user once: a key is new once, known afterwards, compared exactly, and
 * the set grows without losing one.
 */
#include <stdio.h>

#include "keyset.h"
#include "tap.h"

#define U1 "a06bcdfe-7533-40fd-a339-11c082f5e35d"
#define U2 "0311b3b0-3e98-44f6-80e1-ec969f1c9935"

int main(void)
{
	struct gcu_keyset s = {0};
	char key[64];
	int fresh = 1;

	is_long(gcu_keyset_add(&s, U1), 1, "a new key is added");
	is_long(gcu_keyset_add(&s, U1), 0, "the same key again is not");
	is_long(gcu_keyset_add(&s, U2), 1, "another key is added");
	is_long(gcu_keyset_add(&s, "A06BCDFE-7533-40FD-A339-11C082F5E35D"), 1,
	        "a key that differs only in letter case is another key");
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "k%d", i);
		fresh &= gcu_keyset_add(&s, key) == 1;
	}
	ok(fresh, "5000 distinct keys are all new (the set grows)");
	int again = 0;
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "k%d", i);
		again += gcu_keyset_add(&s, key);
	}
	is_long(again, 0, "and all known afterwards");
	is_long(s.n, 5003, "count");
	gcu_keyset_free(&s);
	is_long(gcu_keyset_add(&s, U1), 1, "a freed set can be used again");
	gcu_keyset_free(&s);
	gcu_keyset_free(NULL);
	return done_testing();
}
