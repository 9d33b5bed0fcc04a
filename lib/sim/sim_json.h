/*
 * sim_json.h - a one-pass JSON validator that also finds the members of
 * a top-level object, without building a tree.
 *
 * Loading a large org spends most of its time allocating JSON trees that
 * are thrown away at once; this scanner checks a line's syntax (RFC 8259)
 * and reports where each top-level member's key and value lie, which is
 * all the loader needs to split a user into its stored parts.
 */
#ifndef GCU_SIM_JSON_H
#define GCU_SIM_JSON_H

#include <stddef.h>

struct sim_json_member {
	const char *key; /* the key's raw text, without quotes (escapes kept) */
	size_t key_len;
	const char *value; /* the value's text */
	size_t value_len;
};

/*
 * Validates s[0..len) as one JSON object (surrounding whitespace allowed)
 * and stores its members, in order, in a new array *members (free() it)
 * of *n entries. Returns 0, or -1 with a message in err (and *members
 * NULL) when the text is not a valid JSON object or memory ran out.
 */
int sim_json_members(const char *s, size_t len, struct sim_json_member **members, size_t *n,
                     char *err, size_t errlen);

#endif
