/*
 * uuid.h - the one check every user id passes before it is used.
 *
 * An id reaches a URL path, so anything that is not exactly a UUID
 * (8-4-4-4-12 hexadecimal digits) is refused: this is what stops
 * "../../authorization/roles" from becoming a request.
 */
#ifndef GCU_UUID_H
#define GCU_UUID_H

#include <stdbool.h>
#include <stdint.h>

/* True when s (may be NULL) is a UUID in canonical 36-character form. */
bool gcu_uuid_valid(const char *s);

/*
 * A 64-bit hash (FNV-1a) of a string, UUID or not, that ignores letter
 * case: the one hash of ids and of keys made of them. s must not be NULL.
 */
uint64_t gcu_uuid_hash(const char *s);

#endif
