/*
 * grow.h - room for one more item in an array that grows by doubling.
 *
 * gcu keeps what it reads in arrays that grow as records arrive (CSV
 * cells, directory entries, a user's requests, the simulator's users and
 * tokens). Each used to double its own array with its own realloc and no
 * check that the new size fits in a size_t; this is the one place that
 * does it, and checks.
 */
#ifndef GCU_GROW_H
#define GCU_GROW_H

#include <stddef.h>

/*
 * Makes room for item n of the array *items points to: items is the
 * address of the array's pointer (T **, passed as void *), *cap how many
 * items of size bytes it holds. When n < *cap, does nothing. Otherwise
 * reallocates to twice *cap (first when *cap is 0) and updates *items and
 * *cap. Returns 0, or -1 when memory ran out or the new size would not fit
 * in a size_t; then *items and *cap are as they were and still valid. The
 * new items are not initialised.
 */
int gcu_grow(void *items, size_t *cap, size_t n, size_t size, size_t first);

#endif
