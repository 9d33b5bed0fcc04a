/*
 * test_grow.c - an array that grows by doubling, and the sizes that must
 * not fit.
 *
 * The first room is `first` items, then twice as many each time; room
 * that is there already costs nothing; the items kept survive a growth;
 * and a count or an item size whose product would wrap around size_t is
 * refused with the array left as it was.
 */
#include <stdint.h>
#include <stdlib.h>

#include "grow.h"
#include "tap.h"

struct item {
	long a, b;
};

int main(void)
{
	struct item *items = NULL, *before;
	size_t cap = 0;

	ok(gcu_grow(&items, &cap, 0, sizeof *items, 4) == 0 && items != NULL,
	   "an empty array grows");
	is_long(cap, 4, "to the first size");
	for (size_t i = 0; i < 4; i++)
		items[i] = (struct item){(long)i, -(long)i};
	before = items;
	ok(gcu_grow(&items, &cap, 3, sizeof *items, 4) == 0 && items == before && cap == 4,
	   "room that is there costs nothing");
	ok(gcu_grow(&items, &cap, 4, sizeof *items, 4) == 0, "a full array grows");
	is_long(cap, 8, "to twice its size");
	ok(items[3].a == 3 && items[3].b == -3 && items[0].a == 0, "and keeps its items");
	items[7] = (struct item){7, -7};
	ok(items[7].a == 7, "the new room can be written");

	size_t huge = SIZE_MAX / 2 + 1;
	before = items;
	size_t kept = huge;
	ok(gcu_grow(&items, &kept, huge, sizeof *items, 4) == -1 && items == before && kept == huge,
	   "a count that cannot double is refused, the array as it was");
	kept = SIZE_MAX / sizeof *items / 2 + 1;
	ok(gcu_grow(&items, &kept, kept, sizeof *items, 4) == -1 && items == before,
	   "a size that would wrap around is refused");
	ok(gcu_grow(&items, &cap, 8, 0, 4) == -1 && cap == 8, "an item of no size is refused");

	char *bytes = NULL;
	size_t nbytes = 0;
	ok(gcu_grow(&bytes, &nbytes, 5, 1, 2) == 0 && nbytes == 6,
	   "a first size below the count still makes room for it");
	free(bytes);
	free(items);
	return done_testing();
}
