/*
 * change_input.h - a change file read twice, and its bad records kept.
 *
 * gcu-partition and gcu-resolve read their input in two passes
 * (gcu-partition first finds the users named more than once, gcu-resolve
 * what it must look up), so a pipe is spooled to a file first. A record
 * either stage refuses is copied, as it was read, to the --rejects file,
 * so that the file can be fixed and fed back.
 */
#ifndef GCU_CHANGE_INPUT_H
#define GCU_CHANGE_INPUT_H

#include <stddef.h>

#include "ndjson.h"

/*
 * Makes fd readable twice (the stages that read their input in two
 * passes): a regular file is used as it is, a pipe or terminal is
 * copied to an unlinked file in $TMPDIR (else /tmp). Returns the
 * descriptor to read, with *owned set to it when it is such a copy (the
 * caller closes it) and to -1 otherwise; -1 with why in err.
 */
int gcu_change_input_rewindable(int fd, int *owned, char *err, size_t errlen);

/*
 * Where bad records go, as they were read (--rejects), so that the file
 * can be fixed and fed back: for CSV after the header row, written once.
 * Zero it, then set w (NULL: nothing is written).
 */
struct gcu_rejects {
	struct ndjson_writer *w;
	int header_written;
};

/*
 * Copies one bad record's text (raw, len bytes) to rj, after header (the
 * CSV header line, or NULL) the first time. Returns 0, or -1 with
 * "file: reason" in err when the write failed.
 */
int gcu_rejects_write(struct gcu_rejects *rj, const char *header, const char *raw, size_t len,
                      char *err, size_t errlen);

#endif
