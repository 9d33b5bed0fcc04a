/*
 * partition.h - the partitioner: change records in, scoped change records
 * out, every bad record reported and counted.
 *
 * Two rows for one user are folded into one record per scope when they
 * agree and all rejected when they disagree. To do that while streaming in
 * little memory, the input is read twice: the first pass only collects a
 * 64-bit hash of each id (8 bytes a record) to find the users that appear
 * more than once; the second pass writes every other record at once and
 * holds back only those users' rows until their last one. Standard input
 * is spooled to an unlinked temporary file for the second pass.
 */
#ifndef GCU_PARTITION_H
#define GCU_PARTITION_H

#include "change_reader.h"
#include "config.h"
#include "ndjson.h"
#include "record_loop.h"

struct gcu_partition_opts {
	const struct gcu_config *cfg;
	enum gcu_format format;
	struct ndjson_writer *out[GCU_NSCOPES]; /* NULL drops that scope */
	struct ndjson_writer *rejects;          /* original text of bad records, or NULL */
	int strict;                             /* stop at the first bad record */
	gcu_report_fn report;                   /* receives every rejection */
	void *report_ctx;
	void (*progress)(void *ctx, unsigned long records); /* every 65536 records, or NULL */
};

/* records == accepted + folded + rejected, whatever the input holds. */
struct gcu_partition_stats {
	unsigned long records;              /* input records (CSV rows, NDJSON lines) */
	unsigned long accepted;             /* users written, to one scope or both */
	unsigned long rejected;             /* reported and not written */
	unsigned long folded;               /* rows folded into another row of the same user */
	unsigned long written[GCU_NSCOPES]; /* scoped records written */
};

/*
 * Partitions the records read from fd (name is for messages). Returns 0
 * when done, 1 when stopped by --strict at a bad record, -1 on a fatal
 * error (unreadable input, a failed write), -2 on an unusable CSV header,
 * with err set.
 */
int gcu_partition(const struct gcu_partition_opts *o, int fd, const char *name,
                  struct gcu_partition_stats *st, char *err, size_t errlen);

#endif
