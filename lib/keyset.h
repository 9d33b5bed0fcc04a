/*
 * keyset.h - a set of short strings, to do something once per key.
 *
 * gcu-fetch writes each user it reads to its capture once, however many
 * batches asked for it; gcu-verify checks each (user, scope, src) once,
 * however often a results file repeats it. Both only ask "seen before?",
 * so the set is an open-addressing hash table of copied strings that
 * grows by doubling and never removes a key.
 */
#ifndef GCU_KEYSET_H
#define GCU_KEYSET_H

#include <stddef.h>

/* Zero it before first use ({0}); the fields are the set's own. */
struct gcu_keyset {
	char **slots;
	size_t cap, n; /* slots (a power of two, or 0), keys held */
};

/*
 * Adds key (copied; compared exactly, letter case included). Returns 1
 * when it was new, 0 when it was there already, -1 when memory ran out
 * (the set is unchanged then). s and key must not be NULL.
 */
int gcu_keyset_add(struct gcu_keyset *s, const char *key);

/* Frees what s holds; s is empty and can be used again. NULL is a no-op. */
void gcu_keyset_free(struct gcu_keyset *s);

#endif
