/*
 * record_loop.c - the shared NDJSON stage loop.
 */
#include "record_loop.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int gcu_record_loop(struct ndjson_reader *in, gcu_record_fn fn, gcu_report_fn report, void *ctx,
                    int stop_on_reject, struct gcu_loop_stats *st, char *err, size_t errlen)
{
	char why[512];

	for (;;) {
		enum ndjson_status s = ndjson_read(in);
		json_object *rec = NULL;
		int rc;

		if (s == NDJSON_EOF)
			return 0;
		if (s == NDJSON_IO_ERROR || s == NDJSON_AGAIN) {
			snprintf(err, errlen, "%s: %s", in->name, strerror(errno));
			return -1;
		}
		if (s == NDJSON_TOO_LONG) {
			st->records++;
			snprintf(why, sizeof why, "line longer than %zu bytes", in->max_line);
			rc = 1;
		} else {
			if (in->line_len == 0)
				continue;
			st->records++;
			rec = ndjson_parse_object(in->line, in->line_len, why, sizeof why);
			rc = rec ? fn(ctx, rec, in->lineno, why, sizeof why, err, errlen) : 1;
			json_object_put(rec);
		}
		if (rc < 0)
			return -1;
		if (rc == 1) {
			st->rejected++;
			if (report)
				report(ctx, in->name, in->lineno, why);
			if (stop_on_reject)
				return 1;
		}
	}
}
