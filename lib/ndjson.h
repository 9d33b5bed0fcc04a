/*
 * ndjson.h - streaming NDJSON input and checked NDJSON output.
 *
 * Every stage reads one JSON object a line and writes one JSON object a
 * line. The reader never holds more than one line (bounded by max_line) and
 * remembers each line's number so that messages can say "file:line". The
 * writer checks every write so that a closed pipe or a full disk turns into
 * an error the stage reports and an exit code, never a silent truncation.
 */
#ifndef GCU_NDJSON_H
#define GCU_NDJSON_H

#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

#define GCU_MAX_LINE_DEFAULT ((size_t)1024 * 1024)

enum ndjson_status {
	NDJSON_LINE,     /* a line is ready */
	NDJSON_EOF,      /* no more input */
	NDJSON_TOO_LONG, /* the line exceeded max_line; it was skipped */
	NDJSON_IO_ERROR, /* read error; errno is set */
	NDJSON_AGAIN     /* non-blocking input has no complete line yet */
};

struct ndjson_reader {
	int fd;
	int owns_fd;
	const char *name; /* for messages: the path, or "-" */
	size_t max_line;
	unsigned long lineno; /* number of the line last returned */
	char *line;           /* current line, NUL-terminated, no newline */
	size_t line_len;
	size_t line_cap;
	char *buf; /* read buffer */
	size_t buf_pos, buf_end;
	int eof;
	int partial;  /* a line is being read */
	int too_long; /* the line being read is over max_line */
};

/*
 * Opens path for reading ("-" or NULL means standard input). name is kept
 * by pointer for messages and must outlive the reader. Returns 0, or -1
 * with errno set.
 */
int ndjson_reader_open(struct ndjson_reader *r, const char *path, size_t max_line);

/*
 * Wraps an already open descriptor (not closed by ndjson_reader_close).
 */
int ndjson_reader_fdopen(struct ndjson_reader *r, int fd, const char *name, size_t max_line);

/*
 * Reads the next line. On NDJSON_LINE, r->line holds it (valid until the
 * next call) and r->lineno its number; a trailing CR is removed. On
 * NDJSON_TOO_LONG the rest of that line has been consumed and r->lineno is
 * its number. Blank lines are returned too; callers decide. On a
 * non-blocking descriptor NDJSON_AGAIN means "no complete line yet": call
 * again when it is readable; the part read so far is kept.
 */
enum ndjson_status ndjson_read(struct ndjson_reader *r);

void ndjson_reader_close(struct ndjson_reader *r);

/*
 * Parses text[0..len) (one JSON value, white space around it allowed)
 * into *out, a new reference (NULL for JSON null). Returns 0, or -1 with
 * *out NULL and the reason in err. Refused besides invalid JSON ("invalid
 * JSON: unexpected end of line"): bytes that are not text ("NUL byte at
 * byte 17", "invalid UTF-8 (bytes C3 28) at byte 9", see text.h), an
 * escaped NUL or lone UTF-16 surrogate ("lone surrogate \ud800 at byte
 * 12 (not a character)"; a surrogate pair is one character and fine),
 * and an object holding a key twice, at any depth ("duplicate key
 * 'changes' at byte 57"). Bytes count from 1 within text. Linear in len.
 */
int ndjson_parse_value(const char *text, size_t len, json_object **out, char *err, size_t errlen);

/*
 * Parses one line into a JSON object, with the checks of
 * ndjson_parse_value. Returns a new reference, or NULL with a message in
 * err (one of those above, or "not a JSON object").
 */
json_object *ndjson_parse_object(const char *line, size_t len, char *err, size_t errlen);

/* Frees the calling thread's cached parser (for leak checkers at exit). */
void ndjson_parse_release(void);

struct ndjson_writer {
	FILE *fp;
	const char *name; /* for messages */
	int owns_fp;
	int error;        /* first errno seen, 0 when all writes succeeded */
	char *tmp_path;   /* atomic writers: the temporary name */
	char *final_path; /* atomic writers: renamed to this on a clean close */
};

/*
 * Opens a writer on stdout ("-" or NULL) or on path (created or truncated).
 * Returns 0, or -1 with errno set.
 */
int ndjson_writer_open(struct ndjson_writer *w, const char *path);

/*
 * Opens a writer on a temporary file beside path (path.XXXXXX) that
 * ndjson_writer_close renames to path when every write succeeded and
 * removes otherwise, so that readers never see half a file. Returns 0, or
 * -1 with errno set.
 */
int ndjson_writer_open_atomic(struct ndjson_writer *w, const char *path);

/*
 * Writes obj as one line. Returns 0, or -1 once any write has failed
 * (w->error then holds the errno; later writes are not attempted).
 */
int ndjson_write(struct ndjson_writer *w, json_object *obj);

/* Writes a raw line (a newline is appended). Same errors as ndjson_write. */
int ndjson_write_raw(struct ndjson_writer *w, const char *line, size_t len);

/* Flushes without closing. Returns 0 or -1 as ndjson_write. */
int ndjson_flush(struct ndjson_writer *w);

/*
 * Flushes and closes (stdout is flushed and checked, not closed); an
 * atomic writer is renamed into place, or removed after an error. Returns
 * 0, or -1 with w->error set when any write, the flush, the close or the
 * rename failed.
 */
int ndjson_writer_close(struct ndjson_writer *w);

/* Frees what an atomic writer keeps after close (its name). */
void ndjson_writer_free(struct ndjson_writer *w);

/* The compact serialisation every stage uses. Owned by obj. */
const char *ndjson_string(json_object *obj, size_t *len);

#endif
