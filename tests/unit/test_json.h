/*
 * test_json.h - a JSON object written in a unit test, parsed the way the
 * stages parse a record; a test whose own JSON is bad stops at once
 * (exit 2) and says which, instead of failing further on for no clear
 * reason.
 */
#ifndef GCU_TEST_JSON_H
#define GCU_TEST_JSON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ndjson.h"

/* text as a new JSON object (the caller puts it), or exit 2. */
static inline json_object *test_json(const char *text)
{
	char err[256];
	json_object *o = ndjson_parse_object(text, strlen(text), err, sizeof err);

	if (o == NULL) {
		printf("# bad JSON in the test: %s: %s\n", err, text);
		exit(2);
	}
	return o;
}

#endif
