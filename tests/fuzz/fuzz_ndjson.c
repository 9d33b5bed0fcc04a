/*
 * fuzz_ndjson.c - libFuzzer target for the record parser.
 *
 * Each line of the input goes through ndjson_parse_object, then, as a
 * change record, through gcu_change_split with the built-in config, and,
 * as a scoped record, through gcu_scoped_check: the three checks every
 * stage runs on a line it did not write. A crash, a leak or undefined
 * behaviour is a bug; a rejection is the expected answer to junk.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "change.h"
#include "config.h"
#include "ndjson.h"
#include "records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gcu_config cfg;
static int cfg_ready;

static void one_line(const char *line, size_t len)
{
	json_object *parts[GCU_NSCOPES] = {NULL}, *expect[GCU_NSCOPES] = {NULL};
	json_object *rec, *changes;
	enum gcu_scope scope;
	const char *id;
	char err[512];

	rec = ndjson_parse_object(line, len, err, sizeof err);
	if (rec == NULL)
		return;
	if (gcu_change_split(&cfg, rec, &id, parts, expect, err, sizeof err) == 0)
		for (int s = 0; s < GCU_NSCOPES; s++) {
			json_object_put(parts[s]);
			json_object_put(expect[s]);
		}
	(void)gcu_scoped_check(rec, &id, &scope, &changes, err, sizeof err);
	json_object_put(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	if (!cfg_ready) {
		if (gcu_config_defaults(&cfg) < 0)
			return 0;
		cfg_ready = 1;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		one_line(p, len);
		p += len + (nl != NULL);
	}
	return 0;
}
