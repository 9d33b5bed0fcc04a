/*
 * near.c - near misses: the edit distance of two names, in any letter
 * case, and how far a near miss may be.
 *
 * The distance keeps three rows of the table, not the whole of it, and
 * gives up as soon as a row is past the bound: a list of thousands of
 * names is compared against a mistyped one at the cost of the few that
 * come close.
 */
#include "near.h"

#include <ctype.h>
#include <string.h>

/* Names longer than this get no near miss (the rows are on the stack). */
#define NEAR_MAX 256

unsigned gcu_near_distance(const char *a, const char *b, unsigned bound)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned rows[3][NEAR_MAX + 1];
	unsigned *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

	if (la > NEAR_MAX || lb > NEAR_MAX)
		return bound + 1;
	if ((la > lb ? la - lb : lb - la) > bound)
		return bound + 1;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned best = cur[0] = (unsigned)i;
		int ca = tolower((unsigned char)a[i - 1]);
		for (size_t j = 1; j <= lb; j++) {
			int cb = tolower((unsigned char)b[j - 1]);
			unsigned d = prev[j - 1] + (ca != cb);
			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < d)
				d = prev2[j - 2] + 1;
			cur[j] = d;
			if (d < best)
				best = d;
		}
		if (best > bound)
			return bound + 1;
		unsigned *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb] > bound ? bound + 1 : prev[lb];
}

unsigned gcu_near_bound(size_t len)
{
	return len <= 4 ? 1 : len <= 12 ? 2 : 3;
}
