/*
 * near.h - near misses, for the messages that say "did you mean": a skill
 * named 'Techincal' for Technical, a column headed 'Title' for title.
 * Suggested, never taken: a name must still match to be used.
 */
#ifndef GCU_NEAR_H
#define GCU_NEAR_H

#include <stddef.h>

/*
 * The restricted Damerau-Levenshtein distance of a and b in any letter
 * case (ASCII): insertions, deletions, substitutions and swaps of two
 * neighbours. Gives bound + 1 as soon as it is past bound, and for a name
 * longer than 256 bytes.
 */
unsigned gcu_near_distance(const char *a, const char *b, unsigned bound);

/* How far a near miss of a name len bytes long may be: one edit for
 * short names (up to 4 bytes), two up to 12, three for longer ones. */
unsigned gcu_near_bound(size_t len);

#endif
