/*
 * cell.c - what the text of a CSV cell means as a JSON value (see
 * cell.h).
 */
#include "cell.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json_access.h"
#include "text.h"

char *gcu_cell_trim(char *s)
{
	size_t n;

	for (;;) {
		if (isspace((unsigned char)*s))
			s++;
		else if ((n = gcu_text_invisible(s)) > 0)
			s += n;
		else
			break;
	}
	n = strlen(s);
	for (;;) {
		if (n > 0 && isspace((unsigned char)s[n - 1]))
			n--;
		else if (n >= 2 && gcu_text_invisible(s + n - 2) == 2)
			n -= 2;
		else if (n >= 3 && gcu_text_invisible(s + n - 3) == 3)
			n -= 3;
		else
			break;
	}
	if (s[n] != '\0') /* nothing to cut: s may be a literal, never written */
		s[n] = '\0';
	return s;
}

int gcu_cell_number(const char *text, json_object **out)
{
	char *end = NULL;
	errno = 0;
	long long ll = strtoll(text, &end, 10);
	if (errno == 0 && end != text && *end == '\0') {
		*out = json_object_new_int64(ll);
		return 0;
	}
	/* A whole number past 64 bits would come back rounded as a double. */
	if (errno == ERANGE && end != text && *end == '\0')
		return -1;
	errno = 0;
	double d = strtod(text, &end);
	if (errno == 0 && end != text && *end == '\0' && isfinite(d)) {
		*out = json_object_new_double(d);
		return 0;
	}
	return -1;
}

int gcu_cell_bool(const char *t, json_object **out)
{
	static const char *const yes[] = {"true", "yes", "y", "1"};
	static const char *const no[] = {"false", "no", "n", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(t, yes[i]) == 0) {
			*out = json_object_new_boolean(1);
			return 0;
		}
		if (strcasecmp(t, no[i]) == 0) {
			*out = json_object_new_boolean(0);
			return 0;
		}
	}
	return -1;
}

/* The next item of a split cell, trimmed, empty ones skipped: text on the
 * first call and NULL after, as strtok_r; NULL at the end. */
static char *next_item(char *text, const char *sep, char **save)
{
	char *tok;

	while ((tok = strtok_r(text, sep, save)) != NULL) {
		text = NULL;
		tok = gcu_cell_trim(tok);
		if (*tok)
			return tok;
	}
	return NULL;
}

json_object *gcu_cell_list(char *text, const char *sep)
{
	json_object *list = json_object_new_array();
	char *save = NULL;

	for (char *tok = next_item(text, sep, &save); tok; tok = next_item(NULL, sep, &save))
		json_object_array_add(list, json_object_new_string(tok));
	return list;
}

int gcu_cell_skills(char *text, const char *sep, const char *null, json_object **out, char *err,
                    size_t errlen)
{
	json_object *map = json_object_new_object(), *v = NULL, *prev = NULL;
	char *save = NULL;

	for (char *tok = next_item(text, sep, &save); tok; tok = next_item(NULL, sep, &save)) {
		char *colon = strrchr(tok, ':');
		if (colon == NULL) {
			snprintf(err, errlen, "'%.80s' is not name:proficiency (Technical:4)", tok);
			goto refused;
		}
		*colon = '\0';
		char *id = gcu_cell_trim(tok), *level = gcu_cell_trim(colon + 1);
		v = NULL;
		if (strcmp(level, null) != 0 && strcmp(level, "null") != 0 &&
		    gcu_cell_number(level, &v) < 0) {
			snprintf(err, errlen, "'%.80s' is not a proficiency", level);
			goto refused;
		}
		if (json_object_object_get_ex(map, id, &prev) && !gcu_json_same(prev, v)) {
			snprintf(err, errlen, "'%.64s' is listed twice with different levels", id);
			json_object_put(v);
			goto refused;
		}
		json_object_object_add(map, id, v);
	}
	*out = map;
	return 0;
refused:
	json_object_put(map);
	return -1;
}

int gcu_cell_memberships(char *text, const char *sep, json_object **out, char *err, size_t errlen)
{
	json_object *map = json_object_new_object(), *prev = NULL;
	char *save = NULL;

	for (char *tok = next_item(text, sep, &save); tok; tok = next_item(NULL, sep, &save)) {
		int in = *tok != '-';
		char *name = in ? tok : gcu_cell_trim(tok + 1);
		if (*name == '\0') {
			snprintf(err, errlen, "'-' names nothing to leave");
			goto refused;
		}
		if (json_object_object_get_ex(map, name, &prev) &&
		    json_object_get_boolean(prev) != in) {
			snprintf(err, errlen, "'%.64s' is both joined and left", name);
			goto refused;
		}
		json_object_object_add(map, name, json_object_new_boolean(in));
	}
	*out = map;
	return 0;
refused:
	json_object_put(map);
	return -1;
}
