/*
 * test_near.c - near misses: the edit distance in any letter case, with
 * swaps of neighbours as one edit, and the bound that grows with a name's
 * length.
 */
#include "near.h"
#include "tap.h"

static void test_distance(void)
{
	is_long(gcu_near_distance("Technical", "Technical", 2), 0, "distance: the same is 0");
	is_long(gcu_near_distance("technical", "TECHNICAL", 2), 0, "in any letter case");
	is_long(gcu_near_distance("Techincal", "Technical", 2), 1,
	        "two neighbours swapped are one edit");
	is_long(gcu_near_distance("Tecnical", "Technical", 2), 1, "a letter left out is one");
	is_long(gcu_near_distance("Billing", "Biling2", 2), 2, "one left out, one added: two");
	is_long(gcu_near_distance("Sales", "Retention", 2), 3, "past the bound: bound + 1");
	is_long(gcu_near_distance("a", "abcdef", 2), 3, "lengths too far apart: bound + 1");
}

static void test_bound(void)
{
	is_long(gcu_near_bound(4), 1, "bound: one edit up to 4 bytes ('Chat' for 'chta')");
	is_long(gcu_near_bound(12), 2, "two up to 12");
	is_long(gcu_near_bound(13), 3, "three beyond");
}

int main(void)
{
	test_distance();
	test_bound();
	return done_testing();
}
