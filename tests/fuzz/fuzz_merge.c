/*
 * fuzz_merge.c - libFuzzer target for the merge.
 *
 * The input is split at its first newline into two JSON texts: a fetched
 * record's `current` and a scoped record's `changes`. gcu_merge builds the
 * requests and gcu_merge_memberships the queue, team and division changes
 * (or each refuses with a message), and gcu_merge_mismatch compares
 * the pair, as gcu-merge and gcu-verify do with what they read from a
 * pipe. A crash, a leak or undefined behaviour is a bug.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "merge.h"
#include "ndjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ID "a06bcdfe-7533-40fd-a339-11c082f5e35d"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	const char *nl = memchr(p, '\n', size);
	json_object *current = NULL, *changes = NULL, *reqs, *mis;
	char err[512];

	if (nl == NULL)
		return 0;
	current = ndjson_parse_object(p, (size_t)(nl - p), err, sizeof err);
	changes = ndjson_parse_object(nl + 1, size - (size_t)(nl - p) - 1, err, sizeof err);
	if (current == NULL || changes == NULL)
		goto out;
	reqs = gcu_merge(ID, current, changes, err, sizeof err);
	json_object_put(reqs);
	reqs = gcu_merge_memberships(ID, current, changes, err, sizeof err);
	json_object_put(reqs);
	mis = gcu_merge_mismatch(current, changes);
	json_object_put(mis);
out:
	json_object_put(current);
	json_object_put(changes);
	return 0;
}
