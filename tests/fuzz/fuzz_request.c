/*
 * fuzz_request.c - libFuzzer target for gcu-send's request-line check.
 *
 * The input is one line as gcu-send reads it. It is parsed as gcu-send
 * parses it and checked against the table of what gcu may send
 * (endpoints.h). A crash, a leak or undefined behaviour is a bug, and so
 * is a line the check lets through that breaks what the table promises,
 * checked here apart from the check's own code: the op has a row and the
 * method is the row's, the path is the record's user's (a group request:
 * under /api/v2/, with 1 to the row's limit of members), in printable
 * ASCII, without a query (but a group row's own), a dot segment or
 * percent-encoding, and every number in the body is finite. What passes must pass again once
 * written out and read back, since the written form is what is sent.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json_access.h"
#include "endpoints.h"
#include "ndjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int cond)
{
	if (!cond)
		abort();
}

static int finite_numbers(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_double:
		return isfinite(json_object_get_double(v));
	case json_type_object: {
		json_object_object_foreach(v, k, val)
		{
			(void)k;
			if (!finite_numbers(val))
				return 0;
		}
		return 1;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (!finite_numbers(json_object_array_get_idx(v, i)))
				return 0;
		return 1;
	default:
		return 1;
	}
}

static void promised(json_object *rec)
{
	const char *id = gcu_json_str(rec, "id"), *path = gcu_json_str(rec, "path");
	const struct gcu_endpoint *ep = gcu_endpoint_find(gcu_json_str(rec, "op"));

	must(ep != NULL && strcmp(ep->method, gcu_json_str(rec, "method")) == 0);
	must(path != NULL);
	if (ep->members > 0) {
		/* A group request: its members listed, a query only where the
		 * row has one. */
		json_object *m = gcu_json_get(rec, "members");
		must(json_object_is_type(m, json_type_array) && json_object_array_length(m) >= 1 &&
		     json_object_array_length(m) <= ep->members);
		must(strncmp(path, "/api/v2/", 8) == 0);
		must(strchr(path, '?') == NULL || strchr(ep->path, '?') != NULL);
	} else {
		must(id != NULL);
		must(strncmp(path, "/api/v2/users/", 14) == 0 &&
		     strncasecmp(path + 14, id, 36) == 0);
		must(path[50] == '\0' || path[50] == '/');
		must(strchr(path, '?') == NULL);
	}
	for (const char *p = path; *p; p++)
		must(*p > 0x20 && *p < 0x7f && *p != '%' && *p != '#');
	must(strstr(path, "/..") == NULL && strstr(path, "/./") == NULL);
	must(finite_numbers(gcu_json_get(rec, "body")));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[512];
	json_object *rec = ndjson_parse_object((const char *)data, size, why, sizeof why);

	if (rec == NULL)
		return 0;
	if (gcu_request_check(rec, NULL, why, sizeof why) == 0) {
		size_t len = 0;
		promised(rec);
		const char *text = ndjson_string(rec, &len);
		json_object *again = ndjson_parse_object(text, len, why, sizeof why);
		must(again != NULL && gcu_request_check(again, NULL, why, sizeof why) == 0);
		json_object_put(again);
	}
	json_object_put(rec);
	return 0;
}
