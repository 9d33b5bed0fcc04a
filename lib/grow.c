/*
 * grow.c - room for one more item in an array that grows by doubling.
 *
 * The array's pointer is read and written through memcpy: items is a
 * T ** for any T, and a T * may not be accessed as a void * in place.
 */
#include "grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int gcu_grow(void *items, size_t *cap, size_t n, size_t size, size_t first)
{
	void *old, *grown;
	size_t want;

	if (n < *cap)
		return 0;
	if (*cap == 0)
		want = first > n ? first : n + 1;
	else if (*cap > SIZE_MAX / 2)
		return -1;
	else
		want = *cap * 2;
	if (size == 0 || want > SIZE_MAX / size)
		return -1;
	memcpy(&old, items, sizeof old);
	grown = realloc(old, want * size);
	if (grown == NULL)
		return -1;
	memcpy(items, &grown, sizeof grown);
	*cap = want;
	/* grown is the caller's now, through memcpy, which cppcheck cannot follow. */
	// cppcheck-suppress memleak
	return 0;
}
