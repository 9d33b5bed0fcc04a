/*
 * sim_json.c - JSON syntax check and top-level member scan (see
 * sim_json.h).
 *
 * A recursive-descent recogniser over a byte range: every function takes
 * the current position and returns the position after what it matched,
 * or NULL on a syntax error. Nesting is bounded so that hostile input
 * cannot exhaust the stack.
 */
#include "sim_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 128

struct scan {
	const char *end;
	const char *error_at;
};

static const char *value(struct scan *sc, const char *p, int depth);

static const char *ws(const struct scan *sc, const char *p)
{
	while (p < sc->end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static const char *fail(struct scan *sc, const char *p)
{
	if (sc->error_at == NULL)
		sc->error_at = p;
	return NULL;
}

/* p points at the opening quote. */
static const char *string(struct scan *sc, const char *p)
{
	for (p++; p < sc->end; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return fail(sc, p);
		if (c == '\\') {
			if (++p >= sc->end)
				return fail(sc, p);
			if (*p == 'u') {
				if (sc->end - p < 5 || !is_hex(p[1]) || !is_hex(p[2]) ||
				    !is_hex(p[3]) || !is_hex(p[4]))
					return fail(sc, p);
				p += 4;
			} else if (!strchr("\"\\/bfnrt", *p)) {
				return fail(sc, p);
			}
		}
	}
	return fail(sc, p);
}

static const char *digits(const struct scan *sc, const char *p)
{
	while (p < sc->end && *p >= '0' && *p <= '9')
		p++;
	return p;
}

static const char *number(struct scan *sc, const char *p)
{
	const char *q;

	if (p < sc->end && *p == '-')
		p++;
	if (p < sc->end && *p == '0') {
		p++;
	} else {
		q = digits(sc, p);
		if (q == p)
			return fail(sc, p);
		p = q;
	}
	if (p < sc->end && *p == '.') {
		q = digits(sc, p + 1);
		if (q == p + 1)
			return fail(sc, p);
		p = q;
	}
	if (p < sc->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < sc->end && (*p == '+' || *p == '-'))
			p++;
		q = digits(sc, p);
		if (q == p)
			return fail(sc, p);
		p = q;
	}
	return p;
}

static const char *literal(struct scan *sc, const char *p, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(sc->end - p) < n || memcmp(p, word, n) != 0)
		return fail(sc, p);
	return p + n;
}

static const char *array(struct scan *sc, const char *p, int depth)
{
	p = ws(sc, p + 1);
	if (p < sc->end && *p == ']')
		return p + 1;
	for (;;) {
		p = value(sc, p, depth + 1);
		if (p == NULL)
			return NULL;
		p = ws(sc, p);
		if (p >= sc->end)
			return fail(sc, p);
		if (*p == ']')
			return p + 1;
		if (*p != ',')
			return fail(sc, p);
		p = ws(sc, p + 1);
	}
}

/* Scans an object at p; when members is non-NULL, records each member. */
static const char *object(struct scan *sc, const char *p, int depth,
                          struct sim_json_member **members, size_t *n, size_t *cap)
{
	p = ws(sc, p + 1);
	if (p < sc->end && *p == '}')
		return p + 1;
	for (;;) {
		const char *key = p, *val;
		if (p >= sc->end || *p != '"')
			return fail(sc, p);
		p = string(sc, p);
		if (p == NULL)
			return NULL;
		const char *key_end = p;
		p = ws(sc, p);
		if (p >= sc->end || *p != ':')
			return fail(sc, p);
		val = ws(sc, p + 1);
		p = value(sc, val, depth + 1);
		if (p == NULL)
			return NULL;
		if (members) {
			if (*n == *cap) {
				size_t ncap = *cap ? *cap * 2 : 32;
				struct sim_json_member *m = realloc(*members, ncap * sizeof *m);
				if (m == NULL)
					return fail(sc, p);
				*members = m;
				*cap = ncap;
			}
			(*members)[*n].key = key + 1;
			(*members)[*n].key_len = (size_t)(key_end - key - 2);
			(*members)[*n].value = val;
			(*members)[*n].value_len = (size_t)(p - val);
			(*n)++;
		}
		p = ws(sc, p);
		if (p >= sc->end)
			return fail(sc, p);
		if (*p == '}')
			return p + 1;
		if (*p != ',')
			return fail(sc, p);
		p = ws(sc, p + 1);
	}
}

static const char *value(struct scan *sc, const char *p, int depth)
{
	if (depth > MAX_DEPTH || p >= sc->end)
		return fail(sc, p);
	switch (*p) {
	case '{':
		return object(sc, p, depth, NULL, NULL, NULL);
	case '[':
		return array(sc, p, depth);
	case '"':
		return string(sc, p);
	case 't':
		return literal(sc, p, "true");
	case 'f':
		return literal(sc, p, "false");
	case 'n':
		return literal(sc, p, "null");
	default:
		return number(sc, p);
	}
}

int sim_json_members(const char *s, size_t len, struct sim_json_member **members, size_t *n,
                     char *err, size_t errlen)
{
	struct scan sc = {s + len, NULL};
	size_t cap = 0;
	const char *p;
	int rc = -1;

	*members = NULL;
	*n = 0;
	p = ws(&sc, s);
	if (p >= sc.end || *p != '{') {
		snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	p = object(&sc, p, 0, members, n, &cap);
	if (p != NULL && (p = ws(&sc, p)) != sc.end) {
		sc.error_at = p;
		p = NULL;
	}
	if (p == NULL) {
		snprintf(err, errlen, "invalid JSON at byte %zu",
		         (size_t)((sc.error_at ? sc.error_at : sc.end) - s) + 1);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		free(*members);
		*members = NULL;
		*n = 0;
	}
	return rc;
}
