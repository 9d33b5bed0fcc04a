/*
 * json_access.c - reading values out of json-c objects, and comparing them
 * as the platform's JSON means them.
 */
#include "json_access.h"

json_object *gcu_json_get(json_object *obj, const char *key)
{
	json_object *v = NULL;
	if (obj == NULL || !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

const char *gcu_json_str(json_object *obj, const char *key)
{
	json_object *v = gcu_json_get(obj, key);
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int is_number(json_object *v)
{
	return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

int gcu_json_same(json_object *a, json_object *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	if (is_number(a) && is_number(b))
		return json_object_get_double(a) == json_object_get_double(b);
	if (json_object_get_type(a) != json_object_get_type(b))
		return 0;
	switch (json_object_get_type(a)) {
	case json_type_object: {
		if (json_object_object_length(a) != json_object_object_length(b))
			return 0;
		json_object_object_foreach(a, key, va)
		{
			json_object *vb = NULL;
			if (!json_object_object_get_ex(b, key, &vb) || !gcu_json_same(va, vb))
				return 0;
		}
		return 1;
	}
	case json_type_array: {
		size_t n = json_object_array_length(a);
		if (n != json_object_array_length(b))
			return 0;
		for (size_t i = 0; i < n; i++)
			if (!gcu_json_same(json_object_array_get_idx(a, i),
			                   json_object_array_get_idx(b, i)))
				return 0;
		return 1;
	}
	default:
		return json_object_equal(a, b);
	}
}
