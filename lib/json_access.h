/*
 * json_access.h - the few ways gcu reads json-c objects: a member or NULL,
 * a member that is a string, and deep equality with numbers compared by
 * value (the platform writes 4 where a change says 4.0).
 */
#ifndef GCU_JSON_ACCESS_H
#define GCU_JSON_ACCESS_H

#include <json-c/json.h>

/* Deep equality that treats 4 and 4.0 as equal. NULL equals NULL. */
int gcu_json_same(json_object *a, json_object *b);

/* obj[key] or NULL when absent (a JSON null is NULL too). */
json_object *gcu_json_get(json_object *obj, const char *key);

/* obj[key] as a string, or NULL when absent or not a string. */
const char *gcu_json_str(json_object *obj, const char *key);

#endif
