/*
 * keyset.c - the string set of keyset.h: linear probing in a table kept
 * at most half full, so that a miss ends after a few slots.
 */
#include "keyset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uuid.h"

/* Keys that are equal under strcmp hash alike under the case-folding
 * hash of uuid.h, which is all the table needs; the keys are ids or made
 * of them, what that hash is for. */
static uint64_t hash_key(const char *s)
{
	return gcu_uuid_hash(s);
}

static int keyset_grow(struct gcu_keyset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 64;
	char **slots = calloc(cap, sizeof *slots);

	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < s->cap; i++) {
		if (s->slots[i] == NULL)
			continue;
		size_t j = hash_key(s->slots[i]) & (cap - 1);
		while (slots[j])
			j = (j + 1) & (cap - 1);
		slots[j] = s->slots[i];
	}
	free(s->slots);
	s->slots = slots;
	s->cap = cap;
	return 0;
}

int gcu_keyset_add(struct gcu_keyset *s, const char *key)
{
	if ((s->n + 1) * 2 > s->cap && keyset_grow(s) < 0)
		return -1;
	size_t j = hash_key(key) & (s->cap - 1);
	while (s->slots[j]) {
		if (strcmp(s->slots[j], key) == 0)
			return 0;
		j = (j + 1) & (s->cap - 1);
	}
	s->slots[j] = strdup(key);
	if (s->slots[j] == NULL)
		return -1;
	s->n++;
	return 1;
}

void gcu_keyset_free(struct gcu_keyset *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->cap; i++)
		free(s->slots[i]);
	free(s->slots);
	s->slots = NULL;
	s->cap = s->n = 0;
}
