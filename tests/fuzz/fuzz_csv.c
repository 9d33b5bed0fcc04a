/*
 * fuzz_csv.c - libFuzzer target for the change input reader.
 *
 * The input is written to a memfd and read back through
 * gcu_change_reader with the built-in config, once as CSV, once as NDJSON
 * and once with the format left to detection, so that the libcsv glue,
 * the column map, the cell conventions and the NDJSON path all see
 * arbitrary bytes. Every record is checked and split by scope as
 * gcu-partition does. A crash, a leak or undefined behaviour is a bug.
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

static struct gcu_config cfg;
static int cfg_ready;

static void read_all(const uint8_t *data, size_t size, enum gcu_format fmt)
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
	r = gcu_change_reader_open(&cfg, fd, "fuzz", fmt, err, sizeof err);
	if (r == NULL)
		goto out;
	while (gcu_change_reader_next(r, &item, err, sizeof err) == 1) {
		json_object *parts[GCU_NSCOPES] = {NULL};
		const char *id;

		if (item.record &&
		    gcu_change_split(&cfg, item.record, &id, parts, err, sizeof err) == 0)
			for (int s = 0; s < GCU_NSCOPES; s++)
				json_object_put(parts[s]);
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
		cfg_ready = 1;
	}
	read_all(data, size, GCU_FORMAT_CSV);
	read_all(data, size, GCU_FORMAT_NDJSON);
	read_all(data, size, GCU_FORMAT_AUTO);
	return 0;
}
