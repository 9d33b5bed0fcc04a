/*
 * test_ndjson.c - the NDJSON line reader and the checked writers.
 *
 * Reader: line numbers, CRLF, blank lines, a last line without a newline,
 * lines longer than max_line (reported with their number and skipped, the
 * next line still read, also when the long line spans several read
 * chunks), a line of exactly max_line bytes, reading from a pipe, and a
 * non-blocking pipe (AGAIN until a whole line is there, halves joined).
 * Parser: objects accepted; invalid JSON, trailing data and non-objects
 * refused with a reason; and what json-c alone lets through refused with
 * the byte it is at: a NUL byte (not "unexpected end of data"), invalid
 * UTF-8 (FF FE, C3 28, overlong forms, encoded surrogates, past U+10FFFF,
 * cut short), an escaped NUL or lone surrogate (a pair is fine, and so is
 * an escaped backslash before "u"), and a key twice in one object at any
 * depth, named, however it is spelt (while a key repeated in different
 * objects, and colons in strings, comments and single-quoted strings, are
 * fine). ndjson_parse_value applies the same to any JSON value. Writer: a write to /dev/full sets
 * the error and close returns -1; a closed pipe gives EPIPE (SIGPIPE ignored) and later writes are
 * not attempted; the atomic writer renames on success and leaves no file, and the old file
 * untouched, after an error.
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

/* The reason ndjson_parse_object gives for line, or "(parsed)". */
static const char *refusal(const char *line, size_t len)
{
	static char err[256];
	json_object *o = ndjson_parse_object(line, len, err, sizeof err);
	if (o == NULL)
		return err;
	json_object_put(o);
	return "(parsed)";
}

/* A line, its length (it may hold NUL bytes), the reason it is refused
 * or "(parsed)", and what the case shows. */
struct refusal_case {
	const char *line;
	size_t len;
	const char *want;
	const char *name;
};

#define L(lit) (lit), sizeof(lit) - 1

static const struct refusal_case not_text[] = {
    {L("{\"title\":\"nul\0in\"}"), "NUL byte at byte 14",
     "NUL byte in a string: named at its byte, not 'unexpected end of data'"},
    {L("{\"a\":1}\0"), "NUL byte at byte 8", "NUL byte after the object"},
    {L("{\"t\":\"\xFF\xFE\"}"), "invalid UTF-8 (byte FF) at byte 7", "FF FE refused"},
    {L("{\"t\":\"\xC3\x28\"}"), "invalid UTF-8 (bytes C3 28) at byte 7",
     "C3 28 (a lead byte without its continuation) refused"},
    {L("{\"t\":\"\xC0\xAF\"}"), "invalid UTF-8 (byte C0) at byte 7",
     "overlong two-byte '/' refused"},
    {L("{\"t\":\"\xE0\x80\xAF\"}"), "invalid UTF-8 (bytes E0 80) at byte 7",
     "overlong three-byte '/' refused"},
    {L("{\"t\":\"\xED\xA0\x80\"}"), "invalid UTF-8 (bytes ED A0) at byte 7",
     "UTF-8-encoded surrogate ED A0 80 refused"},
    {L("{\"t\":\"\xF4\x90\x80\x80\"}"), "invalid UTF-8 (bytes F4 90) at byte 7",
     "a code point past U+10FFFF refused"},
    {L("{\"t\":\"\xE2\x82\"}"), "invalid UTF-8 (bytes E2 82 22) at byte 7",
     "a sequence cut short by the closing quote refused"},
    {L("{\"t\":1}\xE2\x82"), "invalid UTF-8 (bytes E2 82) at byte 8",
     "a sequence cut short by the end of the line refused"},
    {L("{\"t\":\"Zo\xC3\xAB \xE2\x82\xAC \xF0\x9F\x98\x80 \xED\x9F\xBF "
       "\xEE\x80\x80 \xF4\x8F\xBF\xBF\"}"),
     "(parsed)", "two-, three- and four-byte characters up to U+10FFFF pass"},
    {L("{\"t\":\"\\ud800\"}"), "lone surrogate \\ud800 at byte 7 (not a character)",
     "an escaped lone high surrogate refused, not replaced"},
    {L("{\"t\":\"\\ud800\\u0041\"}"), "lone surrogate \\ud800 at byte 7 (not a character)",
     "a high surrogate followed by something else refused"},
    {L("{\"t\":\"\\uD800\\uD800\"}"), "lone surrogate \\uD800 at byte 7 (not a character)",
     "two high surrogates refused"},
    {L("{\"t\":\"x\\udc00\"}"), "lone surrogate \\udc00 at byte 8 (not a character)",
     "a lone low surrogate refused"},
    {L("{\"\\udc00\":1}"), "lone surrogate \\udc00 at byte 3 (not a character)", "in a key too"},
    {L("{\"t\":\"\\ud83d\\ude00 \\uD83D\\uDE00\"}"), "(parsed)",
     "a surrogate pair is one character and passes"},
    {L("{\"t\":\"a\\u0000b\"}"), "escaped NUL (\\u0000) at byte 8", "an escaped NUL refused"},
    {L("{\"t\":\"\\\\ud800 \\\\u0000 \\\"\\ud83d\\ude00\"}"), "(parsed)",
     "an escaped backslash before 'u' is no escape"},
};

static const struct refusal_case duplicate_keys[] = {
    {L("{\"id\":\"x\",\"changes\":{\"title\":\"a\"},\"changes\":{}}"),
     "duplicate key 'changes' at byte 35", "two \"changes\" refused, the second named"},
    {L("{\"id\":\"x\",\"changes\":{\"title\":\"a\",\"title\":\"b\"}}"),
     "duplicate key 'title' at byte 34", "two \"title\" inside changes refused"},
    {L("{\"a\":[{\"b\":{\"c\":1,\"d\":[],\"c\":2}}]}"), "duplicate key 'c' at byte 26",
     "a duplicate deep inside arrays and objects"},
    {L("{\"a\":{\"x\":1,\"y\":{\"z\":1}},\"b\":2,\"a\":3}"), "duplicate key 'a' at byte 32",
     "a duplicate whose first value held objects"},
    {L("{\"title\":1,\"\\u0074itle\":2}"), "duplicate key 'title' at byte 12",
     "the same key spelt with an escape"},
    {L("{'a':1,\"a\":2}"), "duplicate key 'a' at byte 8",
     "the same key in single and double quotes"},
    {L("{\"a\":{\"a\":{\"a\":1}},\"b\":[{\"a\":1},{\"a\":1}]}"), "(parsed)",
     "one key in several objects is no duplicate"},
    {L("{\"a:b\":\"c:d\",'e:f':'g\":h' /* i:j \"k */,\"l\":1}"), "(parsed)",
     "colons in strings, single-quoted strings and comments are not members"},
    {L("{\"a\":1 /* \"a\":2 */,\"b\":2}"), "(parsed)", "a key in a comment is no key"},
    {L("{\"a\":1,/* c */\"a\":2}"), "duplicate key 'a' at byte 15",
     "a duplicate after a comment is named"},
    {L("{\"a\\nb\":1,\"a\\nb\":2}"), "duplicate key 'a?b' at byte 11",
     "a control character in the key named is not printed"},
};

static void check_refusals(const struct refusal_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		is_str(refusal(cases[i].line, cases[i].len), cases[i].want, cases[i].name);
}

static void test_parse_value(void)
{
	char err[200];
	json_object *v = (json_object *)1;

	ok(ndjson_parse_value("null", 4, &v, err, sizeof err) == 0 && v == NULL,
	   "value: null is a value (NULL)");
	ok(ndjson_parse_value(" [1,{\"k\":2}] ", 13, &v, err, sizeof err) == 0 &&
	       json_object_is_type(v, json_type_array),
	   "value: an array");
	json_object_put(v);
	ok(ndjson_parse_value("\"\\ud800\"", 8, &v, err, sizeof err) < 0 && v == NULL &&
	       strstr(err, "lone surrogate") != NULL,
	   "value: a string with a lone surrogate refused");
	ok(ndjson_parse_value("[{\"k\":1,\"k\":1}]", 15, &v, err, sizeof err) < 0 &&
	       strcmp(err, "duplicate key 'k' at byte 9") == 0,
	   "value: a duplicate key in an array's object refused");
	ok(ndjson_parse_value("1 2", 3, &v, err, sizeof err) < 0 &&
	       strcmp(err, "invalid JSON: trailing data after the value") == 0,
	   "value: two values refused");
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
	check_refusals(not_text, sizeof not_text / sizeof not_text[0]);
	check_refusals(duplicate_keys, sizeof duplicate_keys / sizeof duplicate_keys[0]);
	test_parse_value();
	test_writer_errors();
	test_writer_ok();
	test_atomic();
	rmdir(dir);
	return done_testing();
}
