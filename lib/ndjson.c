/*
 * ndjson.c - streaming NDJSON reader and checked writer.
 *
 * The reader does its own buffering on a file descriptor rather than using
 * getline(3): getline would grow without bound on a hostile line, while
 * this reader keeps at most max_line bytes and skips the rest of an
 * overlong line, reporting it by number.
 */
#include "ndjson.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK ((size_t)64 * 1024)

static int reader_init(struct ndjson_reader *r, size_t max_line)
{
	r->max_line = max_line ? max_line : GCU_MAX_LINE_DEFAULT;
	r->lineno = 0;
	r->line = NULL;
	r->line_len = 0;
	r->line_cap = 0;
	r->buf_pos = r->buf_end = 0;
	r->eof = 0;
	r->partial = 0;
	r->too_long = 0;
	r->buf = malloc(READ_CHUNK);
	if (r->buf == NULL)
		return -1;
	return 0;
}

int ndjson_reader_open(struct ndjson_reader *r, const char *path, size_t max_line)
{
	if (path == NULL || strcmp(path, "-") == 0)
		return ndjson_reader_fdopen(r, STDIN_FILENO, "-", max_line);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ndjson_reader_fdopen(r, fd, path, max_line) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	r->owns_fd = 1;
	return 0;
}

int ndjson_reader_fdopen(struct ndjson_reader *r, int fd, const char *name, size_t max_line)
{
	r->fd = fd;
	r->owns_fd = 0;
	r->name = name;
	return reader_init(r, max_line);
}

static int fill(struct ndjson_reader *r)
{
	for (;;) {
		ssize_t n = read(r->fd, r->buf, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		r->buf_pos = 0;
		r->buf_end = (size_t)n;
		if (n == 0)
			r->eof = 1;
		return 0;
	}
}

static int append(struct ndjson_reader *r, const char *p, size_t n)
{
	if (r->line_len + n + 1 > r->line_cap) {
		size_t cap = r->line_cap ? r->line_cap : 256;
		while (cap < r->line_len + n + 1)
			cap *= 2;
		char *grown = realloc(r->line, cap);
		if (grown == NULL)
			return -1;
		r->line = grown;
		r->line_cap = cap;
	}
	memcpy(r->line + r->line_len, p, n);
	r->line_len += n;
	return 0;
}

enum ndjson_status ndjson_read(struct ndjson_reader *r)
{
	/* A line cut short by EAGAIN on a non-blocking descriptor is kept in
	 * r->line (and r->partial) and continued by the next call. */
	if (!r->partial) {
		r->line_len = 0;
		r->too_long = 0;
	}
	for (;;) {
		if (r->buf_pos == r->buf_end) {
			if (r->eof)
				break;
			if (fill(r) < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return NDJSON_AGAIN;
				return NDJSON_IO_ERROR;
			}
			if (r->eof)
				break;
		}
		r->partial = 1;
		char *start = r->buf + r->buf_pos;
		size_t avail = r->buf_end - r->buf_pos;
		char *nl = memchr(start, '\n', avail);
		size_t take = nl ? (size_t)(nl - start) : avail;
		r->buf_pos += take + (nl ? 1 : 0);
		if (!r->too_long) {
			if (r->line_len + take > r->max_line) {
				r->too_long = 1;
			} else if (append(r, start, take) < 0) {
				return NDJSON_IO_ERROR;
			}
		}
		if (nl)
			goto line_done;
	}
	if (!r->partial)
		return NDJSON_EOF;
line_done:
	r->partial = 0;
	r->lineno++;
	if (r->too_long) {
		r->line_len = 0;
		return NDJSON_TOO_LONG;
	}
	if (r->line_len > 0 && r->line[r->line_len - 1] == '\r')
		r->line_len--;
	if (append(r, "", 0) < 0)
		return NDJSON_IO_ERROR;
	r->line[r->line_len] = '\0';
	return NDJSON_LINE;
}

void ndjson_reader_close(struct ndjson_reader *r)
{
	if (r->owns_fd)
		close(r->fd);
	free(r->line);
	free(r->buf);
	r->line = r->buf = NULL;
}

/* One tokener per thread, reset for each line: allocating one per line
 * was a tenth of a stage's time. */
static _Thread_local json_tokener *cached_tok;

json_object *ndjson_parse_object(const char *line, size_t len, char *err, size_t errlen)
{
	json_object *obj = NULL;

	if (cached_tok == NULL && (cached_tok = json_tokener_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_tokener *tok = cached_tok;
	json_tokener_reset(tok);
	obj = json_tokener_parse_ex(tok, line, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	if (obj == NULL || jerr != json_tokener_success) {
		if (jerr == json_tokener_continue)
			snprintf(err, errlen, "invalid JSON: unexpected end of line");
		else
			snprintf(err, errlen, "invalid JSON: %s", json_tokener_error_desc(jerr));
		json_object_put(obj);
		return NULL;
	}
	/* Anything but white space after the object is a second value. */
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++) {
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
			snprintf(err, errlen, "invalid JSON: trailing data after the object");
			json_object_put(obj);
			return NULL;
		}
	}
	if (!json_object_is_type(obj, json_type_object)) {
		snprintf(err, errlen, "not a JSON object");
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

void ndjson_parse_release(void)
{
	/* json_tokener_free does not take NULL: nothing was parsed. */
	if (cached_tok != NULL)
		json_tokener_free(cached_tok);
	cached_tok = NULL;
}

int ndjson_writer_open(struct ndjson_writer *w, const char *path)
{
	w->error = 0;
	w->tmp_path = w->final_path = NULL;
	if (path == NULL || strcmp(path, "-") == 0) {
		w->fp = stdout;
		w->name = "stdout";
		w->owns_fp = 0;
		return 0;
	}
	w->fp = fopen(path, "we");
	if (w->fp == NULL)
		return -1;
	w->name = path;
	w->owns_fp = 1;
	return 0;
}

int ndjson_writer_open_atomic(struct ndjson_writer *w, const char *path)
{
	size_t len = strlen(path) + sizeof ".XXXXXX";
	int fd = -1;

	memset(w, 0, sizeof *w);
	w->tmp_path = malloc(len);
	w->final_path = strdup(path);
	if (w->tmp_path == NULL || w->final_path == NULL)
		goto fail;
	snprintf(w->tmp_path, len, "%s.XXXXXX", path);
	fd = mkostemp(w->tmp_path, O_CLOEXEC);
	if (fd < 0)
		goto fail;
	/* mkostemp makes the file 0600; results are not secret, so use the
	 * permissions a plain open would have given. */
	mode_t mask = umask(0);
	umask(mask);
	(void)fchmod(fd, 0666 & ~mask);
	w->fp = fdopen(fd, "w");
	if (w->fp == NULL)
		goto fail;
	w->name = w->final_path;
	w->owns_fp = 1;
	return 0;
fail : {
	int saved = errno;
	if (fd >= 0) {
		close(fd);
		unlink(w->tmp_path);
	}
	free(w->tmp_path);
	free(w->final_path);
	w->tmp_path = w->final_path = NULL;
	errno = saved;
	return -1;
}
}

const char *ndjson_string(json_object *obj, size_t *len)
{
	return json_object_to_json_string_length(
	    obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
}

int ndjson_write_raw(struct ndjson_writer *w, const char *line, size_t len)
{
	if (w->error)
		return -1;
	if (fwrite(line, 1, len, w->fp) != len || putc('\n', w->fp) == EOF) {
		w->error = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

int ndjson_write(struct ndjson_writer *w, json_object *obj)
{
	size_t len = 0;
	const char *s = ndjson_string(obj, &len);
	return ndjson_write_raw(w, s, len);
}

int ndjson_flush(struct ndjson_writer *w)
{
	if (w->error)
		return -1;
	if (fflush(w->fp) == EOF) {
		w->error = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

int ndjson_writer_close(struct ndjson_writer *w)
{
	if (w->fp == NULL)
		return w->error ? -1 : 0;
	if (fflush(w->fp) == EOF && !w->error)
		w->error = errno ? errno : EIO;
	if (ferror(w->fp) && !w->error)
		w->error = EIO;
	if (w->owns_fp && fclose(w->fp) == EOF && !w->error)
		w->error = errno ? errno : EIO;
	w->fp = NULL;
	if (w->tmp_path != NULL) {
		if (!w->error && rename(w->tmp_path, w->final_path) < 0)
			w->error = errno;
		if (w->error)
			unlink(w->tmp_path);
		free(w->tmp_path);
		w->tmp_path = NULL;
		/* final_path stays valid as w->name for messages until freed. */
	}
	return w->error ? -1 : 0;
}

void ndjson_writer_free(struct ndjson_writer *w)
{
	free(w->final_path);
	w->final_path = NULL;
}
