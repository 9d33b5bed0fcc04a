/*
 * test_bulkread.c - the pure part of the bulk reader: the URL of one bulk
 * read (ids checked, expand only when asked, bounded). The reader itself
 * runs against gcu-sim in tests/cli/fetch_net.bats and verify.bats.
 */
#include <stdio.h>
#include <string.h>

#include "bulkread.h"
#include "tap.h"

#define U1 "a06bcdfe-7533-40fd-a339-11c082f5e35d"
#define U2 "0311b3b0-3e98-44f6-80e1-ec969f1c9935"

static void test_path(void)
{
	char buf[8192], ids_buf[101][40];
	const char *ids[101] = {U1, U2};

	int n = gcu_bulk_path(buf, sizeof buf, ids, 1, 0);
	is_long(n, strlen(buf), "one id: length returned");
	is_str(buf, "/api/v2/users?id=" U1 "&pageSize=100&state=any", "one id, no expand");
	gcu_bulk_path(buf, sizeof buf, ids, 2, 1);
	is_str(buf,
	       "/api/v2/users?id=" U1 "&id=" U2
	       "&pageSize=100&state=any&expand=skills,languages,routingStatus,team",
	       "two ids, expanded");

	for (int i = 0; i < 101; i++) {
		snprintf(ids_buf[i], sizeof ids_buf[i], "00000000-0000-4000-8000-%012d", i);
		ids[i] = ids_buf[i];
	}
	ok(gcu_bulk_path(buf, sizeof buf, ids, 100, 1) > 0, "100 ids fit");
	is_long(gcu_bulk_path(buf, sizeof buf, ids, 101, 0), -1, "101 ids are refused");
	is_long(gcu_bulk_path(buf, sizeof buf, ids, 0, 0), -1, "no id is refused");
	is_long(gcu_bulk_path(buf, 200, ids, 100, 0), -1, "a short buffer is refused");

	const char *bad[] = {U1, "../../authorization/roles"};
	is_long(gcu_bulk_path(buf, sizeof buf, bad, 2, 0), -1, "a non-UUID id never reaches a URL");
	const char *inject[] = {U1 "&id=x"};
	is_long(gcu_bulk_path(buf, sizeof buf, inject, 1, 0), -1, "nor does a query injection");
}

int main(void)
{
	test_path();
	return done_testing();
}
