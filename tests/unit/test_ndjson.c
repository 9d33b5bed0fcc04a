/*
 * test_ndjson.c - the NDJSON line reader and the checked writers.
 *
 * Reader: line numbers, CRLF, blank lines, a last line without a newline,
 * lines longer than max_line (reported with their number and skipped, the
 * next line still read, also when the long line spans several read
 * chunks), a line of exactly max_line bytes, reading from a pipe, and a
 * non-blocking pipe (AGAIN until a whole line is there, halves joined).
 * Parser: objects accepted; invalid JSON, trailing data and non-objects
 * refused with a reason. Writer: a write to /dev/full sets the error and
 * close returns -1; a closed pipe gives EPIPE (SIGPIPE ignored) and later
 * writes are not attempted; the atomic writer renames on success and
 * leaves no file, and the old file untouched, after an error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ndjson.h"
#include "tap.h"

static char dir[] = "/tmp/test_ndjson.XXXXXX";

static const char *path_in(const char *name)
{
	static char buf[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
	return buf[i];
}

static void put_file(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "w");
	if (fp == NULL || fwrite(data, 1, len, fp) != len || fclose(fp) != 0) {
		perror(path);
		exit(2);
	}
}

static char *get_file(const char *path)
{
	static char buf[4096];
	FILE *fp = fopen(path, "r");
	if (fp == NULL)
		return NULL;
	size_t n = fread(buf, 1, sizeof buf - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static int count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void test_lines(void)
{
	static const char data[] = "{\"a\":1}\r\n\n  \n{\"b\":2}\n{\"c\":3}";
	struct ndjson_reader r;
	const char *p = path_in("lines");

	put_file(p, data, sizeof data - 1);
	ok(ndjson_reader_open(&r, p, 0) == 0, "reader opens a file");
	is_long(r.max_line, GCU_MAX_LINE_DEFAULT, "max_line 0 means the default");
	is_long(ndjson_read(&r), NDJSON_LINE, "line 1 read");
	is_str(r.line, "{\"a\":1}", "CR of a CRLF line removed");
	is_long(r.lineno, 1, "line 1 numbered 1");
	is_long(ndjson_read(&r), NDJSON_LINE, "blank line returned");
	is_long(r.line_len, 0, "blank line is empty");
	is_long(r.lineno, 2, "blank line counted");
	is_long(ndjson_read(&r), NDJSON_LINE, "white space line returned");
	is_str(r.line, "  ", "white space kept for the caller");
	is_long(ndjson_read(&r), NDJSON_LINE, "line 4 read");
	is_str(r.line, "{\"b\":2}", "line 4 text");
	is_long(r.lineno, 4, "line 4 numbered 4");
	is_long(ndjson_read(&r), NDJSON_LINE, "last line without newline read");
	is_str(r.line, "{\"c\":3}", "last line text");
	is_long(r.lineno, 5, "last line numbered 5");
	is_long(ndjson_read(&r), NDJSON_EOF, "then EOF");
	is_long(ndjson_read(&r), NDJSON_EOF, "EOF again");
	ndjson_reader_close(&r);

	put_file(p, "x\n", 2);
	ndjson_reader_open(&r, p, 0);
	ndjson_read(&r);
	is_long(ndjson_read(&r), NDJSON_EOF, "a final newline adds no empty line");
	ndjson_reader_close(&r);

	put_file(p, "", 0);
	ndjson_reader_open(&r, p, 0);
	is_long(ndjson_read(&r), NDJSON_EOF, "empty file: EOF at once");
	is_long(r.lineno, 0, "empty file: no lines");
	ndjson_reader_close(&r);

	errno = 0;
	ok(ndjson_reader_open(&r, path_in("missing"), 0) < 0 && errno == ENOENT,
	   "missing file: -1 with ENOENT");
}

static void test_max_line(void)
{
	struct ndjson_reader r;
	const char *p = path_in("long");
	size_t big = 200000; /* spans several 64 KiB read chunks */
	char *data = malloc(big + 1000);
	size_t n = 0;

	memcpy(data + n, "short\n", 6);
	n += 6;
	memset(data + n, 'x', 150);
	n += 150;
	data[n++] = '\n';
	memset(data + n, 'y', 100); /* exactly max_line */
	n += 100;
	data[n++] = '\n';
	memset(data + n, 'z', big);
	n += big;
	data[n++] = '\n';
	memcpy(data + n, "after\n", 6);
	n += 6;
	memset(data + n, 'w', 101); /* too long and no newline */
	n += 101;
	put_file(p, data, n);
	free(data);

	ndjson_reader_open(&r, p, 100);
	is_long(ndjson_read(&r), NDJSON_LINE, "short line read");
	is_long(ndjson_read(&r), NDJSON_TOO_LONG, "150 bytes > 100: too long");
	is_long(r.lineno, 2, "too long line reported with its number");
	is_long(ndjson_read(&r), NDJSON_LINE, "line of exactly max_line accepted");
	is_long(r.line_len, 100, "all of it");
	is_long(r.lineno, 3, "numbered 3");
	is_long(ndjson_read(&r), NDJSON_TOO_LONG, "200000 bytes over several chunks: too long");
	is_long(r.lineno, 4, "numbered 4");
	is_long(ndjson_read(&r), NDJSON_LINE, "the next line is still read");
	is_str(r.line, "after", "and is whole");
	is_long(r.lineno, 5, "numbered 5");
	is_long(ndjson_read(&r), NDJSON_TOO_LONG, "overlong last line without newline");
	is_long(r.lineno, 6, "numbered 6");
	is_long(ndjson_read(&r), NDJSON_EOF, "then EOF");
	ok(r.line_cap <= 256 * 2, "the reader never held more than about max_line");
	ndjson_reader_close(&r);
}

static void test_pipe(void)
{
	int fds[2];
	struct ndjson_reader r;

	if (pipe(fds) < 0)
		exit(2);
	if (write(fds[1], "{\"a\":1}\n{\"b\":2}\n", 16) != 16)
		exit(2);
	close(fds[1]);
	ok(ndjson_reader_fdopen(&r, fds[0], "pipe", 0) == 0, "reader on a pipe");
	is_long(ndjson_read(&r), NDJSON_LINE, "pipe line 1");
	is_long(ndjson_read(&r), NDJSON_LINE, "pipe line 2");
	is_str(r.line, "{\"b\":2}", "pipe line 2 text");
	is_long(ndjson_read(&r), NDJSON_EOF, "pipe EOF");
	ndjson_reader_close(&r);
	ok(fcntl(fds[0], F_GETFD) >= 0, "fdopen'd descriptor left open by close");
	close(fds[0]);
}

static void test_nonblocking(void)
{
	int fds[2];
	struct ndjson_reader r;

	if (pipe(fds) < 0)
		exit(2);
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
	ndjson_reader_fdopen(&r, fds[0], "pipe", 0);
	is_long(ndjson_read(&r), NDJSON_AGAIN, "non-blocking, nothing yet: AGAIN");
	if (write(fds[1], "{\"a\":", 5) != 5)
		exit(2);
	is_long(ndjson_read(&r), NDJSON_AGAIN, "half a line: AGAIN");
	if (write(fds[1], "1}\n{\"b\"", 7) != 7)
		exit(2);
	is_long(ndjson_read(&r), NDJSON_LINE, "rest of the line arrives: LINE");
	is_str(r.line, "{\"a\":1}", "the two halves joined");
	is_long(r.lineno, 1, "numbered 1");
	is_long(ndjson_read(&r), NDJSON_AGAIN, "next half line: AGAIN");
	close(fds[1]);
	is_long(ndjson_read(&r), NDJSON_LINE, "writer closed: the last line without newline");
	is_str(r.line, "{\"b\"", "kept whole");
	is_long(ndjson_read(&r), NDJSON_EOF, "then EOF");
	ndjson_reader_close(&r);
	close(fds[0]);
}

static void test_parse(void)
{
	char err[200];
	json_object *o;

	o = ndjson_parse_object("{\"id\":\"x\"}", 10, err, sizeof err);
	ok(o != NULL && json_object_is_type(o, json_type_object), "object parsed");
	json_object_put(o);
	o = ndjson_parse_object("{\"id\":\"x\"}  ", 12, err, sizeof err);
	ok(o != NULL, "trailing blanks allowed");
	json_object_put(o);

	err[0] = '\0';
	o = ndjson_parse_object("{\"id\":", 6, err, sizeof err);
	ok(o == NULL && strncmp(err, "invalid JSON", 12) == 0, "truncated object refused");
	o = ndjson_parse_object("{\"id\":x}", 8, err, sizeof err);
	ok(o == NULL && strncmp(err, "invalid JSON", 12) == 0, "bad token refused");
	o = ndjson_parse_object("{} {}", 5, err, sizeof err);
	ok(o == NULL && strstr(err, "trailing") != NULL, "two objects on a line refused");
	o = ndjson_parse_object("[1,2]", 5, err, sizeof err);
	is_str(o == NULL ? err : "(parsed)", "not a JSON object", "array refused");
	o = ndjson_parse_object("\"s\"", 3, err, sizeof err);
	is_str(o == NULL ? err : "(parsed)", "not a JSON object", "string refused");
	o = ndjson_parse_object("{\"a\":1}{", 7, err, sizeof err);
	ok(o != NULL, "only len bytes are parsed");
	json_object_put(o);
}

static json_object *sample(void)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string("a/b"));
	json_object_object_add(o, "n", json_object_new_int(1));
	return o;
}

static void test_writer_errors(void)
{
	struct ndjson_writer w;
	json_object *o = sample();
	int rc = 0;

	ok(ndjson_writer_open(&w, "/dev/full") == 0, "writer opens /dev/full");
	for (int i = 0; i < 1000 && rc == 0; i++)
		rc = ndjson_write(&w, o);
	int closed = ndjson_writer_close(&w);
	is_long(closed, -1, "/dev/full: close returns -1");
	is_long(w.error, ENOSPC, "/dev/full: error is ENOSPC");

	int fds[2];
	if (pipe(fds) < 0)
		exit(2);
	close(fds[0]);
	memset(&w, 0, sizeof w);
	w.fp = fdopen(fds[1], "w");
	w.owns_fp = 1;
	w.name = "pipe";
	rc = 0;
	for (int i = 0; i < 100000 && rc == 0; i++)
		rc = ndjson_write(&w, o);
	if (rc == 0)
		rc = ndjson_flush(&w);
	is_long(rc, -1, "closed pipe: a write fails (no SIGPIPE death)");
	is_long(w.error, EPIPE, "closed pipe: error is EPIPE");
	is_long(ndjson_write_raw(&w, "x", 1), -1, "later writes fail at once");
	is_long(ndjson_flush(&w), -1, "flush after an error fails");
	is_long(ndjson_writer_close(&w), -1, "close after an error returns -1");
	is_long(w.error, EPIPE, "the first error is kept");
	json_object_put(o);
}

static void test_writer_ok(void)
{
	struct ndjson_writer w;
	json_object *o = sample();
	const char *p = path_in("plain.ndjson");

	ok(ndjson_writer_open(&w, p) == 0, "plain writer opens");
	ndjson_write(&w, o);
	ndjson_write_raw(&w, "raw line", 8);
	is_long(ndjson_writer_close(&w), 0, "plain writer closes cleanly");
	is_str(get_file(p), "{\"id\":\"a/b\",\"n\":1}\nraw line\n",
	       "one compact object a line, slashes not escaped");
	unlink(p);
	json_object_put(o);
}

static void test_atomic(void)
{
	struct ndjson_writer w;
	json_object *o = sample();
	const char *p = path_in("out.ndjson");
	int before = count_entries(dir);

	ok(ndjson_writer_open_atomic(&w, p) == 0, "atomic writer opens");
	ndjson_write(&w, o);
	ok(access(p, F_OK) < 0, "final name absent while writing");
	is_long(count_entries(dir), before + 1, "one temporary file while writing");
	is_long(ndjson_writer_close(&w), 0, "atomic close succeeds");
	is_str(w.name, p, "name stays valid after close");
	ndjson_writer_free(&w);
	is_str(get_file(p), "{\"id\":\"a/b\",\"n\":1}\n", "renamed into place with the data");
	is_long(count_entries(dir), before + 1, "no temporary file left after success");

	/* an error (here: the stage cancels) removes the temp file and leaves
	 * the existing file as it was */
	put_file(p, "old\n", 4);
	ok(ndjson_writer_open_atomic(&w, p) == 0, "atomic writer over an existing file");
	ndjson_write(&w, o);
	w.error = ECANCELED;
	is_long(ndjson_writer_close(&w), -1, "close after an error returns -1");
	ndjson_writer_free(&w);
	is_str(get_file(p), "old\n", "existing file untouched after an error");
	is_long(count_entries(dir), before + 1, "no temporary file left after an error");
	unlink(p);

	/* a real failure: the rename cannot replace a non-empty directory */
	const char *d = path_in("adir");
	mkdir(d, 0700);
	put_file(path_in("adir/f"), "x", 1);
	before = count_entries(dir);
	ok(ndjson_writer_open_atomic(&w, d) == 0, "atomic writer onto a directory name");
	ndjson_write(&w, o);
	is_long(ndjson_writer_close(&w), -1, "failed rename: close returns -1");
	ok(w.error != 0, "failed rename: error set");
	ndjson_writer_free(&w);
	is_long(count_entries(dir), before, "failed rename: no temporary file left");
	unlink(path_in("adir/f"));
	rmdir(d);

	errno = 0;
	ok(ndjson_writer_open_atomic(&w, path_in("no/such/dir/x")) < 0 && errno == ENOENT,
	   "atomic open in a missing directory: -1 with ENOENT");
	json_object_put(o);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(dir) == NULL)
		return 2;
	test_lines();
	test_max_line();
	test_pipe();
	test_nonblocking();
	test_parse();
	test_writer_errors();
	test_writer_ok();
	test_atomic();
	rmdir(dir);
	return done_testing();
}
