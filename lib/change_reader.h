/*
 * change_reader.h - reads change records from CSV or NDJSON, one raw
 * change object {"<key>","changes"} at a time, with the line it started
 * on and its original text.
 *
 * NDJSON lines are parsed as they are. CSV goes through libcsv: a header
 * row names the columns, each mapped to a field by the config's column map
 * or, for a column named after a platform field, by the field itself. One
 * column names the user (its key, change.h): the column csv.key names,
 * else the header's id, else its one email, username or employeeId column;
 * a row becomes {"email": "ann@x.com", "changes": …} and the like. An
 * empty cell means "no change"; the null token (default \N) means null; a
 * quoted "" is an empty string. Quoted fields, embedded commas and
 * newlines, a UTF-8 BOM and CRLF line ends all work. A queues cell (a
 * list or text column of the queues field) reads "A;-B": join A, leave B.
 * A column headed expect.<column> is read as <column> would be, into the
 * record's "expect" (expect.h): the value the user must still hold.
 *
 * A bad record comes back with its reason, never cut or guessed at: a
 * cell or line that is not text (see text.h), JSON that ndjson_parse_value
 * refuses, a row with more or fewer cells than the header. A malformed
 * CSV row is only the line its quote opened on; the lines after it are
 * read again, so that each line is part of one record, good or bad.
 */
#ifndef GCU_CHANGE_READER_H
#define GCU_CHANGE_READER_H

#include <stddef.h>

#include <json-c/json.h>

#include "config.h"
#include "ndjson.h"

enum gcu_format { GCU_FORMAT_AUTO, GCU_FORMAT_CSV, GCU_FORMAT_NDJSON };

struct gcu_change_reader;

struct gcu_change_item {
	json_object *record; /* {"<key>","changes"}, owned by the caller; NULL when bad */
	unsigned long line;  /* the line the record starts on */
	const char *raw;     /* original text, valid until the next call */
	size_t raw_len;
	char err[512]; /* why the record is bad, when record is NULL */
};

/*
 * Reads from fd (not closed on close). name is used in messages and must
 * outlive the reader. fmt AUTO decides by the name's extension, else by
 * the first byte ('{' is NDJSON). Returns a reader, or NULL with err set.
 */
struct gcu_change_reader *gcu_change_reader_open(const struct gcu_config *c, int fd,
                                                 const char *name, enum gcu_format fmt, char *err,
                                                 size_t errlen);

/*
 * Fills item with the next record. Returns 1 when item is filled (good or
 * bad), 0 at the end, -1 on a fatal error (unreadable input, no memory),
 * -2 when the CSV header is unusable (an unknown column, no column or two
 * columns that name the user, malformed) or the input is UTF-16, with
 * "name:line: why" in err. The first row (or header) with bytes that are
 * not UTF-8 says how to convert a file saved as Windows-1252.
 */
int gcu_change_reader_next(struct gcu_change_reader *r, struct gcu_change_item *item, char *err,
                           size_t errlen);

/* The format in use (after AUTO has been decided by the first record). */
enum gcu_format gcu_change_reader_format(const struct gcu_change_reader *r);

/* The CSV header line as read (NULL for NDJSON or before it was read). */
const char *gcu_change_reader_header(const struct gcu_change_reader *r);

/* The key kind (enum gcu_key_kind) of a CSV file's key column once its
 * header is read; -1 for NDJSON, whose records each say, or before. */
int gcu_change_reader_key(const struct gcu_change_reader *r);

void gcu_change_reader_close(struct gcu_change_reader *r);

/* Parses "csv" or "ndjson" (also "jsonl"); returns -1 otherwise. */
int gcu_format_parse(const char *s, enum gcu_format *fmt);

#endif
