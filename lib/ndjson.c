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

#include "text.h"

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

/* --- Parsing ------------------------------------------------------------- */

/*
 * json-c takes some things a reader of user data must refuse: an escaped
 * lone surrogate (\ud800) becomes U+FFFD, \u0000 becomes a NUL inside a
 * string (which every C string function then cuts short), and an object
 * that names a key twice silently keeps the last value. The text says all
 * three, so after a successful parse one pass over it checks the \u
 * escapes and counts the object members as written.
 *
 * Duplicate keys: json-c keeps one member per key, so a key written twice
 * leaves the parsed tree with fewer members than the text has colons
 * outside strings and comments (one per member), and a value it dropped
 * only lowers the tree's count further. So two totals are compared: no
 * allocation and no hashing on the good path, linear in the line. Only a
 * line whose totals differ is scanned again, object by object with a set
 * of keys, to name the key. (A key set per object on every line would
 * build a hash table for every object of every record to catch the rare
 * bad one.) Strings in single quotes and comments are skipped because
 * json-c accepts them.
 */

/* The value of the four hex digits at s[i], or -1. */
static long hex4(const char *s, size_t len, size_t i)
{
	long v = 0;
	if (i + 4 > len)
		return -1;
	for (size_t k = i; k < i + 4; k++) {
		char c = s[k];
		int d = c >= '0' && c <= '9'   ? c - '0'
		        : c >= 'a' && c <= 'f' ? c - 'a' + 10
		        : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                               : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/*
 * Checks the \u escapes of the string whose opening quote is at s[i].
 * Returns the index of its closing quote (len when there is none), or
 * (size_t)-1 with err set. err may be NULL to skip a string already
 * checked.
 */
static size_t scan_string(const char *s, size_t len, size_t i, char *err, size_t errlen)
{
	const char q = s[i];

	for (i++; i < len; i++) {
		/* Most strings hold no escape: two memchr find that out faster
		 * than a loop over their bytes. */
		const char *p = memchr(s + i, q, len - i);
		size_t close = p ? (size_t)(p - s) : len;
		const char *bs = memchr(s + i, '\\', close - i);
		if (bs == NULL)
			return close;
		i = (size_t)(bs - s);
		if (++i == len || s[i] != 'u')
			continue;
		size_t at = i - 1; /* the backslash */
		long u = hex4(s, len, i + 1);
		if (u >= 0xD800 && u <= 0xDBFF && i + 6 < len && s[i + 5] == '\\' &&
		    s[i + 6] == 'u') {
			long lo = hex4(s, len, i + 7);
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				i += 10; /* a pair: one character */
				continue;
			}
		}
		if (err != NULL && u == 0) {
			snprintf(err, errlen, "escaped NUL (\\u0000) at byte %zu", at + 1);
			return (size_t)-1;
		}
		if (err != NULL && u >= 0xD800 && u <= 0xDFFF) {
			snprintf(err, errlen, "lone surrogate %.6s at byte %zu (not a character)",
			         s + at, at + 1);
			return (size_t)-1;
		}
		if (u >= 0)
			i += 4;
	}
	return len;
}

/* The index of the last character of the comment starting at s[i], or
 * i when s[i] does not start one. */
static size_t skip_comment(const char *s, size_t len, size_t i)
{
	if (i + 1 >= len)
		return i;
	if (s[i + 1] == '/')
		return len - 1;
	if (s[i + 1] != '*')
		return i;
	for (size_t k = i + 2; k + 1 < len; k++)
		if (s[k] == '*' && s[k + 1] == '/')
			return k + 1;
	return len - 1;
}

/*
 * Steps over a string (either quote) or a comment starting at s[i]: the
 * index of its last byte, i when s[i] starts neither, or (size_t)-1 with
 * err set for a bad escape (see scan_string; err NULL skips the check).
 * plain says that s holds no backslash, so no escape either.
 */
static size_t skip_opaque(const char *s, size_t len, size_t i, int plain, char *err, size_t errlen)
{
	if (s[i] == '/')
		return skip_comment(s, len, i);
	if (s[i] != '"' && s[i] != '\'')
		return i;
	if (!plain)
		return scan_string(s, len, i, err, errlen);
	const char *q = memchr(s + i + 1, s[i], len - i - 1);
	return q ? (size_t)(q - s) : len;
}

/* Checks the escapes of every string; counts the colons outside strings
 * and comments into *colons. Returns 0, or -1 with err set. */
static int scan_text(const char *s, size_t len, size_t *colons, char *err, size_t errlen)
{
	/* Without a backslash in the line, a string ends at the next quote
	 * of its kind, found by memchr. */
	const int plain = memchr(s, '\\', len) == NULL;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == ':')
			n++;
		else if ((i = skip_opaque(s, len, i, plain, err, errlen)) == (size_t)-1)
			return -1;
	}
	*colons = n;
	return 0;
}

/* The number of members of every object in v, nested ones included. */
static size_t tree_members(json_object *v)
{
	size_t n = 0;

	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, member)
		{
			(void)key;
			n += 1 + tree_members(member);
		}
	} else if (json_object_is_type(v, json_type_array)) {
		size_t len = json_object_array_length(v);
		for (size_t i = 0; i < len; i++)
			n += tree_members(json_object_array_get_idx(v, i));
	}
	return n;
}

#define KEYSET_DEPTH 64

/*
 * Names the first key that some object of s[0..len) holds twice: walks
 * the text keeping, for each open object, the set of its keys decoded by
 * json-c (so that "a" and "\u0061" are one key). Only runs on a line the
 * totals showed to hold one; err always gets a message.
 */
static void name_duplicate(const char *s, size_t len, char *err, size_t errlen)
{
	json_object *sets[KEYSET_DEPTH]; /* per open object or array; NULL for an array */
	int depth = 0, expect_key = 0;
	json_tokener *tok = json_tokener_new();

	snprintf(err, errlen, "duplicate key in an object");
	if (tok == NULL)
		return;
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '{':
		case '[':
			if (depth == KEYSET_DEPTH)
				goto out;
			sets[depth++] = s[i] == '{' ? json_object_new_object() : NULL;
			expect_key = s[i] == '{';
			break;
		case '}':
		case ']':
			if (depth > 0)
				json_object_put(sets[--depth]);
			expect_key = 0;
			break;
		case ',':
			expect_key = depth > 0 && sets[depth - 1] != NULL;
			break;
		default: {
			size_t end = skip_opaque(s, len, i, 0, NULL, 0);
			if (end == i || s[i] == '/') { /* no string */
				i = end;
				break;
			}
			if (expect_key && end < len && sets[depth - 1] != NULL) {
				json_tokener_reset(tok);
				json_object *k =
				    json_tokener_parse_ex(tok, s + i, (int)(end - i + 1));
				const char *key = json_object_get_string(k);
				int seen =
				    key && json_object_object_get_ex(sets[depth - 1], key, NULL);
				if (key && !seen)
					json_object_object_add(sets[depth - 1], key, NULL);
				if (seen) {
					/* A decoded key may hold a newline: not in a
					 * message that is one line. */
					char shown[65];
					size_t n = 0;
					for (; n < sizeof shown - 1 && key[n] != '\0'; n++)
						shown[n] =
						    (unsigned char)key[n] < 0x20 ? '?' : key[n];
					shown[n] = '\0';
					snprintf(err, errlen, "duplicate key '%s' at byte %zu",
					         shown, i + 1);
				}
				json_object_put(k);
				if (seen)
					goto out;
			}
			expect_key = 0;
			i = end;
			break;
		}
		}
	}
out:
	while (depth > 0)
		json_object_put(sets[--depth]);
	json_tokener_free(tok);
}

/* One tokener per thread, reset for each line: allocating one per line
 * was a tenth of a stage's time. */
static _Thread_local json_tokener *cached_tok;

int ndjson_parse_value(const char *text, size_t len, json_object **out, char *err, size_t errlen)
{
	json_object *obj = NULL;
	char why[64];
	size_t colons = 0;

	*out = NULL;
	size_t at = gcu_text_check(text, len, why, sizeof why);
	if (at < len) {
		snprintf(err, errlen, "%s at byte %zu", why, at + 1);
		return -1;
	}
	if (cached_tok == NULL && (cached_tok = json_tokener_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_tokener *tok = cached_tok;
	json_tokener_reset(tok);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	size_t end = json_tokener_get_parse_end(tok);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue) {
		/* A number or literal that ends the text might go on, for all
		 * json-c knows: a NUL tells it the text ends there. */
		obj = json_tokener_parse_ex(tok, "", 1);
		if (json_tokener_get_error(tok) != json_tokener_success) {
			snprintf(err, errlen, "invalid JSON: unexpected end of line");
			goto bad;
		}
		jerr = json_tokener_success;
	}
	if (jerr != json_tokener_success) {
		snprintf(err, errlen, "invalid JSON: %s", json_tokener_error_desc(jerr));
		goto bad;
	}
	/* Anything but white space after the value is a second value. */
	for (size_t i = end; i < len; i++) {
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r') {
			snprintf(err, errlen, "invalid JSON: trailing data after the %s",
			         json_object_is_type(obj, json_type_object) ? "object" : "value");
			goto bad;
		}
	}
	if (scan_text(text, len, &colons, err, errlen) < 0)
		goto bad;
	if (colons != tree_members(obj)) {
		name_duplicate(text, len, err, errlen);
		goto bad;
	}
	*out = obj;
	return 0;
bad:
	json_object_put(obj);
	return -1;
}

json_object *ndjson_parse_object(const char *line, size_t len, char *err, size_t errlen)
{
	json_object *obj = NULL;

	if (ndjson_parse_value(line, len, &obj, err, errlen) < 0)
		return NULL;
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
