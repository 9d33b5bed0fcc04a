/*
 * fuzz_csv.c - libFuzzer target for the change input reader.
 *
 * The input is written to a memfd and read back through
 * gcu_change_reader with the built-in config, once as CSV, once as NDJSON
 * and once with the format left to detection, so that the libcsv glue,
 * the column map, the cell conventions and the NDJSON path all see
 * arbitrary bytes; and once more as CSV with a 64-byte line limit and
 * ';' between cells, so that the recovery after a malformed row (lines
 * put back and read again, overlong lines among them, quotes open past
 * the limit) and another delimiter (and the header's hint) see them too.
 * Every record is checked and split by scope as gcu-partition does. A
 * crash, a leak, undefined behaviour or a reader that does not end is a
 * bug.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "change.h"
#include "change_reader.h"
#include "config.h"
#include "ndjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gcu_config cfg, short_lines;
static int cfg_ready;

static void read_all(const struct gcu_config *c, const uint8_t *data, size_t size,
                     enum gcu_format fmt)
{
	struct gcu_change_reader *r;
	struct gcu_change_item item;
	char err[512];
	int fd = memfd_create("fuzz-input", 0);
	size_t off = 0;

	if (fd < 0)
		return;
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);
		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		goto out;
	r = gcu_change_reader_open(c, fd, "fuzz", fmt, err, sizeof err);
	if (r == NULL)
		goto out;
	while (gcu_change_reader_next(r, &item, err, sizeof err) == 1) {
		json_object *parts[GCU_NSCOPES] = {NULL}, *expect[GCU_NSCOPES] = {NULL};
		const char *id;

		if (item.record &&
		    gcu_change_split(c, item.record, &id, parts, expect, err, sizeof err) == 0)
			for (int s = 0; s < GCU_NSCOPES; s++) {
				json_object_put(parts[s]);
				json_object_put(expect[s]);
			}
		json_object_put(item.record);
	}
	gcu_change_reader_close(r);
out:
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!cfg_ready) {
		if (gcu_config_defaults(&cfg) < 0)
			return 0;
		/* The same settings, only the limit differs (never freed: the
		 * strings stay cfg's). */
		short_lines = cfg;
		short_lines.max_line = 64;
		short_lines.csv_delimiter = ';';
		cfg_ready = 1;
	}
	read_all(&cfg, data, size, GCU_FORMAT_CSV);
	read_all(&cfg, data, size, GCU_FORMAT_NDJSON);
	read_all(&cfg, data, size, GCU_FORMAT_AUTO);
	read_all(&short_lines, data, size, GCU_FORMAT_CSV);
	return 0;
}
