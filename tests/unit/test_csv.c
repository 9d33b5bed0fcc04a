/*
 * test_csv.c - change input through gcu_change_reader: CSV mapped to
 * change objects, and NDJSON detected and passed through.
 *
 * Covers the header mapping (field names and the configured aliases), a
 * UTF-8 BOM, CRLF, quoted cells with commas, quotes and newlines (and the
 * line numbers of the rows after a multi-line cell), the cell conventions
 * (empty = no change, \N = null, quoted "" = empty string), boolean,
 * number, list, skills and contact columns, queues cells (A;-B joins A
 * and leaves B), team and division columns, JSON cells for structured
 * fields, and the errors: too many cells and too few, a malformed quote
 * (the next row still read), bad booleans, numbers and proficiencies, a
 * skill named twice in one cell with different levels, and the fatal ones
 * (an unknown column, no column naming the user). The original text of
 * each row is kept for the rejects file.
 *
 * The key: the column that names the user is id when the header has it
 * (email beside it is a change), else the one email, username or
 * employeeId column; two of those, or employeeId beside id, or none is
 * fatal; csv.key names another column (and its kind), and csv.id_column,
 * its old name, still works. A header that misses a key or a field by a
 * letter case or a space says which it most likely meant; an empty header
 * cell names nothing, and a value under it rejects its row.
 *
 * Bytes that are not text: a NUL byte or invalid UTF-8 in a cell rejects
 * the row naming the column (a NUL no longer cuts the value short; a line
 * that starts with one is not taken for blank), in the header it is fatal,
 * and a JSON cell gets the checks of a JSON line (duplicate keys, lone
 * surrogates). The first row with bytes that are not UTF-8 says how to
 * convert a file saved as Windows-1252; a UTF-16 file is refused whole.
 * Recovery: a quote that never closes, or closes badly lines
 * later, or runs into an overlong line or past max_line bytes, rejects
 * only the line it opened on; the lines it swallowed are read again, so
 * every line is a row or a named rejection, in order. A CR inside a line
 * does not split it into two rows.
 *
 * Delimiters: csv.delimiter ';' reads a spreadsheet's ';' export (a ';'
 * inside a quoted cell is the list separator, a ',' needs no quotes); a
 * .tsv file is read with tabs; a header read as one cell that holds ';',
 * a tab or ',' says how to read the file so.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "change.h"
#include "change_reader.h"
#include "config.h"
#include "ndjson.h"
#include "tap.h"

#define U1 "6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e01"
#define U2 "6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e02"
#define U3 "6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e03"
#define S1 "3cbb7daa-64c1-44fa-88a7-c8252abc5619"
#define S2 "29ec148c-ead5-4263-b4d6-d23508bd9d96"

struct got {
	unsigned long line;
	char id[64];
	char key[128];      /* "kind:value" of the member that names the user */
	char changes[1024]; /* compact JSON, or "" when the row is bad */
	char err[512];
	char raw[512];
};

static struct got rows[32];
static int nrows;
static char fatal[512];
static char header[512];
static enum gcu_format format_seen;
static const char *input_name = "t.csv";

/* Reads every record of data[0..len); returns the last reader status. */
static int read_len(const struct gcu_config *c, const char *data, size_t len, enum gcu_format fmt)
{
	char path[] = "/tmp/test_csv.XXXXXX";
	int fd = mkstemp(path);
	struct gcu_change_item item;
	int rc;

	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		exit(2);
	lseek(fd, 0, SEEK_SET);
	unlink(path);
	nrows = 0;
	fatal[0] = header[0] = '\0';
	memset(rows, 0, sizeof rows);
	struct gcu_change_reader *r =
	    gcu_change_reader_open(c, fd, input_name, fmt, fatal, sizeof fatal);
	if (r == NULL)
		exit(2);
	while ((rc = gcu_change_reader_next(r, &item, fatal, sizeof fatal)) == 1 && nrows < 32) {
		struct got *g = &rows[nrows++];
		g->line = item.line;
		snprintf(g->raw, sizeof g->raw, "%.*s", (int)item.raw_len, item.raw);
		snprintf(g->err, sizeof g->err, "%s", item.err);
		if (item.record != NULL) {
			json_object *id = NULL, *ch = NULL;
			json_object_object_get_ex(item.record, "id", &id);
			json_object_object_get_ex(item.record, "changes", &ch);
			snprintf(g->id, sizeof g->id, "%s", id ? json_object_get_string(id) : "");
			snprintf(g->changes, sizeof g->changes, "%s", ndjson_string(ch, NULL));
			const char *v;
			char why[128];
			int k = gcu_change_key(item.record, &v, why, sizeof why);
			if (k >= 0)
				snprintf(g->key, sizeof g->key, "%s:%s",
				         gcu_key_name((enum gcu_key_kind)k), v);
			json_object_put(item.record);
		}
	}
	const char *h = gcu_change_reader_header(r);
	snprintf(header, sizeof header, "%s", h ? h : "");
	format_seen = gcu_change_reader_format(r);
	gcu_change_reader_close(r);
	close(fd);
	return rc;
}

static int read_all(const struct gcu_config *c, const char *data, enum gcu_format fmt)
{
	return read_len(c, data, strlen(data), fmt);
}

/* For data holding NUL bytes: a string literal, its length from sizeof. */
#define READ_BYTES(c, lit) read_len((c), (lit), sizeof(lit) - 1, GCU_FORMAT_CSV)

static void test_mapping(const struct gcu_config *c)
{
	read_all(
	    c,
	    "id,title,workPhone,mobilePhone,skills,routingStatus,acdAutoAnswer,profileSkills\n" U1
	    ",Lead,+1555001,\\N," S1 ":4;" S2 ":\\N,IDLE,yes,Coaching; Excel ;\n" U2 ",,,,,,,\n",
	    GCU_FORMAT_CSV);
	is_str(fatal, "", "no fatal error");
	is_long(nrows, 2, "two rows");
	is_str(header,
	       "id,title,workPhone,mobilePhone,skills,routingStatus,acdAutoAnswer,profileSkills",
	       "header kept as read");
	is_str(rows[0].id, U1, "id column");
	is_str(
	    rows[0].changes,
	    "{\"title\":\"Lead\",\"addresses\":[{\"address\":\"+1555001\",\"mediaType\":\"PHONE\","
	    "\"type\":\"WORK\"},{\"mediaType\":\"PHONE\",\"type\":\"MOBILE\",\"address\":null}],"
	    "\"routingSkills\":{\"" S1 "\":4,\"" S2 "\":null},\"routingStatus\":\"IDLE\","
	    "\"acdAutoAnswer\":true,\"profileSkills\":[\"Coaching\",\"Excel\"]}",
	    "string, contact (work and a null mobile), skills, boolean and list columns");
	is_long(rows[0].line, 2, "first row on line 2");
	is_str(rows[1].changes, "{}", "empty cells: no change at all");
	is_str(rows[1].err, "", "an all-empty row is not a reader error");
}

static void test_groups(const struct gcu_config *c)
{
	read_all(c,
	         "id,queues,team,division\n" U1 "," S1 "; -" S2 " ;," S1 "," S2 "\n" U2 ",-" S1
	         ",\\N,\n" U3 "," S1 ";-" S1 ",,\n",
	         GCU_FORMAT_CSV);
	is_long(nrows, 3, "groups: three rows");
	is_str(rows[0].changes,
	       "{\"queues\":{\"" S1 "\":true,\"" S2 "\":false},\"team\":\"" S1
	       "\",\"division\":\"" S2 "\"}",
	       "groups: queues A;-B join A and leave B; team and division are ids");
	is_str(rows[1].changes, "{\"queues\":{\"" S1 "\":false},\"team\":null}",
	       "groups: a queue left alone; \\N leaves the team");
	ok(strstr(rows[2].err, "is both joined and left") != NULL,
	   "groups: a queue both joined and left is refused");
}

static void test_cells(const struct gcu_config *c)
{
	read_all(c,
	         "id,title,department,email\n" U1 ",\"Agent, \"\"Tier 1\"\"\",\\N,\"\"\n" U2
	         ",\"two\nlines\",,\n" U3 ",after,,\n",
	         GCU_FORMAT_CSV);
	is_long(nrows, 3, "three rows");
	is_str(rows[0].changes,
	       "{\"title\":\"Agent, \\\"Tier 1\\\"\",\"department\":null,\"email\":\"\"}",
	       "comma and quotes in a quoted cell; \\N is null; quoted \"\" is an empty string");
	is_str(rows[1].changes, "{\"title\":\"two\\nlines\"}", "newline inside a quoted cell");
	is_long(rows[1].line, 3, "multi-line row starts on line 3");
	is_str(rows[1].raw, U2 ",\"two\nlines\",,", "raw text of a multi-line row");
	is_long(rows[2].line, 5, "the row after it is on line 5");
	is_str(rows[2].changes, "{\"title\":\"after\"}", "and is read whole");
}

static void test_bom_crlf(const struct gcu_config *c)
{
	read_all(c, "\xEF\xBB\xBFid,title\r\n" U1 ",Lead\r\n\r\n" U2 ",\"a\r\nb\"\r\n",
	         GCU_FORMAT_AUTO);
	is_str(fatal, "", "BOM before the header is not part of the id column");
	is_long(format_seen, GCU_FORMAT_CSV, "AUTO with a .csv name is CSV");
	is_long(nrows, 2, "blank CRLF line skipped");
	is_str(rows[0].id, U1, "id read");
	is_str(rows[0].changes, "{\"title\":\"Lead\"}", "CR not part of the last cell");
	is_long(rows[1].line, 4, "line numbers count the blank line");
	is_str(rows[1].changes, "{\"title\":\"a\\nb\"}", "CRLF inside a quoted cell");
}

static void test_errors(const struct gcu_config *c)
{
	read_all(c,
	         "id,title,acdAutoAnswer,skills\n" U1 ",a,true,," /* too many cells */ "x\n" U2
	         ",\"bad \"quote\" here\",,\n" U3 ",next,,\n" U1 ",,maybe,\n" U1 ",,,x:y\n" U1
	         ",,,nocolon\n" U1 ",,," S1 ":7\n" U2 ",,," S1 ":4;" S1 ":\\N\n",
	         GCU_FORMAT_CSV);
	is_str(fatal, "", "bad rows are not fatal");
	is_long(nrows, 8, "every row returned");
	is_str(rows[0].err, "5 cells where the header has 4", "too many cells rejected");
	is_str(rows[0].raw, U1 ",a,true,,x", "raw text of the rejected row");
	ok(rows[1].changes[0] == '\0' && strstr(rows[1].err, "malformed CSV"),
	   "malformed quote rejected");
	is_long(rows[1].line, 3, "malformed row on line 3");
	is_str(rows[2].changes, "{\"title\":\"next\"}", "the row after a malformed one is read");
	is_long(rows[2].line, 4, "on line 4");
	is_str(rows[3].err, "column 'acdAutoAnswer': 'maybe' is not true or false",
	       "boolean 'maybe' rejected");
	is_str(rows[4].err, "column 'skills': 'y' is not a proficiency", "skills 'x:y' rejected");
	is_str(rows[5].err, "column 'skills': 'nocolon' is not name:proficiency (Technical:4)",
	       "skills without a colon rejected");
	is_str(rows[6].changes, "{\"routingSkills\":{\"" S1 "\":7}}",
	       "range of proficiency is not the reader's job");
	ok(rows[7].changes[0] == '\0' && rows[7].err[0] != '\0',
	   "a skill named twice in one cell with different levels is rejected");
}

static void test_json_cells(const struct gcu_config *c)
{
	read_all(c,
	         "id,employerInfo\n" U1 ",\"{\"\"employeeType\"\":\"\"Part-time\"\"}\"\n" U2
	         ",{not json\n",
	         GCU_FORMAT_CSV);
	is_str(rows[0].changes, "{\"employerInfo\":{\"employeeType\":\"Part-time\"}}",
	       "a structured field's cell is JSON");
	ok(strstr(rows[1].err, "column 'employerInfo': invalid JSON") != NULL,
	   "invalid JSON in such a cell rejected");
	read_all(c,
	         "id,employerInfo\n" U1
	         ",\"{\"\"employeeId\"\":\"\"1\"\",\"\"employeeId\"\":\"\"2\"\"}\"\n" U2
	         ",\"{\"\"employeeType\"\":\"\"\\ud800\"\"}\"\n",
	         GCU_FORMAT_CSV);
	is_str(rows[0].err, "column 'employerInfo': duplicate key 'employeeId' at byte 19",
	       "a JSON cell with a key twice rejected, naming it");
	is_str(rows[1].err,
	       "column 'employerInfo': lone surrogate \\ud800 at byte 18 (not a character)",
	       "a JSON cell with a lone surrogate rejected");
}

static void test_short_rows(const struct gcu_config *c)
{
	read_all(c,
	         "id,title,department,email,acdAutoAnswer\n" U1 ",Lead,Sales\n" U2
	         ",Lead,Sales,,\n" U3 "\n",
	         GCU_FORMAT_CSV);
	is_long(nrows, 3, "short rows: every row returned");
	is_str(rows[0].err, "3 cells where the header has 5", "a row with fewer cells rejected");
	is_str(rows[0].changes, "", "and not read as a partial change");
	is_str(rows[1].changes, "{\"title\":\"Lead\",\"department\":\"Sales\"}",
	       "trailing empty cells are cells: the full row is read");
	is_str(rows[2].err, "1 cell where the header has 5", "a row with the id alone rejected");
}

static void test_not_text(const struct gcu_config *c)
{
	READ_BYTES(c, "id,title,department\n" U1 ",nul\0in cell,x\n" U2 ",\"quoted\0nul\",y\n" U3
	              ",after,z\n");
	is_long(nrows, 3, "NUL: every row returned");
	is_str(rows[0].err, "NUL byte in column 'title'",
	       "a NUL byte in a cell rejects the row, naming the column");
	is_str(rows[0].changes, "", "the value is not cut short at the NUL");
	ok(memcmp(rows[0].raw, U1 ",nul", sizeof U1 + 3) == 0, "raw text kept");
	is_str(rows[1].err, "NUL byte in column 'title'", "in a quoted cell too");
	is_str(rows[2].changes, "{\"title\":\"after\",\"department\":\"z\"}",
	       "the row after it is read");

	READ_BYTES(c, "id,title\n\0" U1 ",x\n");
	is_long(nrows, 1, "a line starting with a NUL is not skipped as blank");
	is_str(rows[0].err, "NUL byte in column 'id'", "and is rejected");

	READ_BYTES(c, "id,title\n" U1 ",bad\xFF\xFE\n" U2 ",\xC3\x28\n" U3 ",\xC0\xAF\n" U1
	              ",\xED\xA0\x80\n" U2 ",cut \xE2\x82\n" U3 ",Zo\xC3\xAB \xF0\x9F\x98\x80\n");
	is_str(rows[0].err,
	       "invalid UTF-8 (byte FF) in column 'title'; if the file was saved as Windows-1252 "
	       "or Latin-1, convert it first: iconv -f WINDOWS-1252 -t UTF-8 t.csv",
	       "FF FE in a cell; the first such row says how to convert the file");
	is_str(rows[1].err, "invalid UTF-8 (bytes C3 28) in column 'title'",
	       "C3 28 in a cell; the rows after the first are not told again");
	is_str(rows[2].err, "invalid UTF-8 (byte C0) in column 'title'", "overlong C0 AF");
	is_str(rows[3].err, "invalid UTF-8 (bytes ED A0) in column 'title'",
	       "UTF-8-encoded surrogate ED A0 80");
	is_str(rows[4].err, "invalid UTF-8 (bytes E2 82) in column 'title'",
	       "a sequence cut short by the end of the cell");
	is_str(rows[5].changes, "{\"title\":\"Zo\xC3\xAB \xF0\x9F\x98\x80\"}",
	       "valid multibyte text passes");

	int rc = READ_BYTES(c, "id,ti\0tle\n" U1 ",x\n");
	is_long(rc, -2, "a NUL byte in the header is fatal");
	is_str(fatal, "t.csv:1: header: NUL byte in cell 2", "and names the cell");
	rc = READ_BYTES(c, "id,t\xFFitle\n" U1 ",x\n");
	ok(strncmp(fatal,
	           "t.csv:1: header: invalid UTF-8 (byte FF) in cell 2; if the file was saved as "
	           "Windows-1252",
	           88) == 0,
	   "invalid UTF-8 in the header too, with the way out");

	/* A spreadsheet's "Unicode text": UTF-16, with or without a BOM, CSV
	   or NDJSON, is refused whole, saying how to convert it. */
	static const char le_bom[] = "\xFF\xFEi\0d\0,\0t\0";
	static const char be[] = "\0i\0d\0,\0t";
	static const char le[] = "{\0\"\0i\0d\0";
	rc = read_len(c, le_bom, sizeof le_bom - 1, GCU_FORMAT_CSV);
	is_long(rc, -2, "UTF-16 with a byte-order mark is fatal");
	is_str(fatal,
	       "t.csv:1: the file is UTF-16 (as a spreadsheet's \"Unicode text\" is); gcu reads "
	       "UTF-8: convert it first: iconv -f UTF-16 -t UTF-8 t.csv",
	       "and says how to convert it");
	rc = read_len(c, be, sizeof be - 1, GCU_FORMAT_AUTO);
	ok(rc == -2 && strstr(fatal, "the file is UTF-16"), "big-endian UTF-16 without a mark");
	rc = read_len(c, le, sizeof le - 1, GCU_FORMAT_NDJSON);
	ok(rc == -2 && strstr(fatal, "the file is UTF-16") && nrows == 0,
	   "UTF-16 NDJSON: nothing read");
}

static void test_recovery(const struct gcu_config *c)
{
	/* A stray quote on line 3 swallows everything to the end. */
	read_all(c, "id,title\n" U1 ",first\n" U2 ",\"stray\n" U3 ",after\n\n" U1 ",later\n",
	         GCU_FORMAT_CSV);
	is_long(nrows, 4, "unclosed quote: every line is a row or a rejection");
	is_long(rows[1].line, 3, "the line the quote opened on");
	is_str(rows[1].err, "malformed CSV: a quote opened on this line is never closed",
	       "is rejected, and says why");
	is_str(rows[1].raw, U2 ",\"stray", "its text alone goes to the rejects");
	is_long(rows[2].line, 4, "the line after it is read again");
	is_str(rows[2].changes, "{\"title\":\"after\"}", "as a row of its own");
	is_long(rows[3].line, 6, "after the blank line, line 6");
	is_str(rows[3].changes, "{\"title\":\"later\"}", "is read too");

	/* The stray quote meets another quote two lines later. */
	read_all(c,
	         "id,title,department\n" U1 ",\"stray,x\n" U2 ",plain,y\n" U3 ",\"quoted\",z\n" U1
	         ",\"two\nlines\",w\n",
	         GCU_FORMAT_CSV);
	is_long(nrows, 4, "a quote closed badly later: every line accounted for");
	is_str(rows[0].err,
	       "malformed CSV: a quote opened on this line is not closed properly (line 4)",
	       "the opening line rejected, naming where it went wrong");
	is_str(rows[1].changes, "{\"title\":\"plain\",\"department\":\"y\"}", "line 3 read");
	is_str(rows[2].changes, "{\"title\":\"quoted\",\"department\":\"z\"}", "line 4 read");
	is_long(rows[3].line, 5, "a good multi-line row after it");
	is_str(rows[3].changes, "{\"title\":\"two\\nlines\",\"department\":\"w\"}",
	       "still reads as one row");

	/* Two stray quotes in a row: each line named once. */
	read_all(c, "id,title\n" U1 ",\"a\n" U2 ",b\"c\n" U3 ",ok\n", GCU_FORMAT_CSV);
	is_long(nrows, 3, "two bad lines, one good");
	ok(rows[0].line == 2 && strstr(rows[0].err, "malformed CSV") != NULL, "line 2 rejected");
	is_str(rows[1].err,
	       "malformed CSV: stray quote (quote a cell whole and double the quotes inside it)",
	       "line 3 rejected on its own");
	ok(rows[2].line == 4 && strcmp(rows[2].changes, "{\"title\":\"ok\"}") == 0, "line 4 read");

	/* A CR in the middle of a line does not end a row there. */
	read_all(c, "id,title\n" U1 ",a\rb\n" U2 ",c\n", GCU_FORMAT_CSV);
	is_long(nrows, 2, "a CR inside a line: still one row per line");
	is_str(rows[0].changes, "{\"title\":\"a\\rb\"}", "the CR is part of the cell");
	is_str(rows[1].changes, "{\"title\":\"c\"}", "and the next line is its own row");
}

static void test_recovery_long(const struct gcu_config *defaults)
{
	struct gcu_config c = *defaults;
	char data[1024];
	char x[101];

	c.max_line = 100;
	memset(x, 'x', 100);
	x[100] = '\0';
	/* The quote runs into a line over max_line. */
	snprintf(data, sizeof data, "id,title\n%s,\"open\n%s,mid\n%s,%s\n%s,end\n", U1, U2, U3, x,
	         U1);
	read_all(&c, data, GCU_FORMAT_CSV);
	is_long(nrows, 4, "quote into an overlong line: four lines, four items");
	is_str(rows[0].err,
	       "malformed CSV: a quote opened on this line is not closed before line 4",
	       "the opening line rejected");
	is_str(rows[1].changes, "{\"title\":\"mid\"}", "the line before the long one read again");
	ok(rows[2].line == 4 && strcmp(rows[2].err, "line longer than 100 bytes") == 0,
	   "the long line named with its own number");
	ok(rows[3].line == 5 && strcmp(rows[3].changes, "{\"title\":\"end\"}") == 0,
	   "the line after it read");

	/* An open quote holds at most max_line bytes of lines. */
	snprintf(data, sizeof data, "id,title\n%s,\"open\n%.60s\n%.60s\n%s,end\n", U1, x, x, U2);
	read_all(&c, data, GCU_FORMAT_CSV);
	is_str(rows[0].err,
	       "malformed CSV: a quote opened on this line is not closed within 100 bytes",
	       "a quote open past max_line bytes is given up");
	is_long(nrows, 4, "and the lines it held are read again");
	ok(rows[3].line == 5 && strcmp(rows[3].changes, "{\"title\":\"end\"}") == 0,
	   "up to the good one after them");
}

static void test_fatal(const struct gcu_config *c)
{
	int rc = read_all(c, "id,title,shoeSize\n" U1 ",a,42\n", GCU_FORMAT_CSV);
	is_long(rc, -2, "unknown column is fatal (-2: bad header)");
	ok(strstr(fatal, "t.csv:1: unknown column 'shoeSize'") != NULL, "and names file:line");
	is_long(nrows, 0, "no row returned");

	rc = read_all(c, "title,department\na,b\n", GCU_FORMAT_CSV);
	is_long(rc, -2, "no column naming the user is fatal (-2: bad header)");
	ok(strstr(fatal, "t.csv:1: no column names the user") != NULL, "and says so");

	is_str(fatal,
	       "t.csv:1: no column names the user: the header needs one of id, email, username or "
	       "employeeId (or csv.key in the config)",
	       "nothing near a key: no near miss");

	/* A header as an export has it: near misses are said, never taken. */
	rc = read_all(c, "Employee ID,title\nE1,a\n", GCU_FORMAT_CSV);
	ok(rc == -2 && strstr(fatal, "; did you mean 'employeeId' for the column 'Employee ID'?"),
	   "a key column in words: did you mean employeeId");
	rc = read_all(c, "email,Title,department\nann@x.com,a,b\n", GCU_FORMAT_CSV);
	is_str(fatal,
	       "t.csv:1: unknown column 'Title' (name a field or map it under csv.columns in the "
	       "config); did you mean 'title'?",
	       "a field in another letter case: did you mean title");
	rc = read_all(c, "id,Work Phone,expect.Titel\n" U1 ",1,a\n", GCU_FORMAT_CSV);
	ok(rc == -2 && strstr(fatal, "did you mean 'workPhone'?"), "a csv.columns name in words");
	rc = read_all(c, "id,expect.Titel\n" U1 ",a\n", GCU_FORMAT_CSV);
	ok(rc == -2 && strstr(fatal, "unknown column 'expect.Titel'") &&
	       strstr(fatal, "did you mean 'expect.title'?"),
	   "an expect. column: did you mean expect.title");

	/* Empty header cells (columns a spreadsheet once formatted) name
	   nothing: empty under them is fine, a value is not. */
	rc =
	    read_all(c, "id,title,,  \n" U1 ",a,,\n" U2 ",b,x,\n" U3 ",c,\"\", \n", GCU_FORMAT_CSV);
	is_str(fatal, "", "empty header cells are not unknown columns");
	is_long(nrows, 3, "every row returned");
	is_str(rows[0].changes, "{\"title\":\"a\"}", "nothing under them: the row is read");
	is_str(rows[1].err, "a value in column 3, which the header leaves unnamed",
	       "a value under an unnamed column rejects the row");
	is_str(rows[2].changes, "{\"title\":\"c\"}", "a quoted empty cell or spaces are nothing");

	rc = read_all(c, "", GCU_FORMAT_CSV);
	is_long(rc, 0, "empty input: no records, no error");
	rc = read_all(c, "id,title\n", GCU_FORMAT_CSV);
	is_long(rc, 0, "header only: no records, no error");
}

static void test_keys(const struct gcu_config *c)
{
	struct gcu_config k;
	char err[512], path[] = "/tmp/test_csv_key.XXXXXX";

	read_all(c, "email,title\n Ann@x.com ,Lead\n", GCU_FORMAT_CSV);
	is_str(rows[0].key, "email:Ann@x.com", "an email column names the user (trimmed)");
	is_str(rows[0].changes, "{\"title\":\"Lead\"}", "and is not a change");
	read_all(c, "employeeId,skills\nE100,Technical:4;Chat:\\N\n", GCU_FORMAT_CSV);
	is_str(rows[0].key, "employeeId:E100", "so does employeeId");
	is_str(rows[0].changes, "{\"routingSkills\":{\"Technical\":4,\"Chat\":null}}",
	       "and skill names pass the reader as they are");
	read_all(c, "id,email\n" U1 ",new@x.com\n", GCU_FORMAT_CSV);
	is_str(rows[0].key, "id:" U1, "id beside email names the user");
	is_str(rows[0].changes, "{\"email\":\"new@x.com\"}", "and email is a change, as always");

	is_long(read_all(c, "email,username,title\na,b,c\n", GCU_FORMAT_CSV), -2,
	        "two columns that could name the user are fatal");
	ok(strstr(fatal, "t.csv:1: two columns name the user, 'email' and 'username'") != NULL,
	   "and named");
	is_long(read_all(c, "id,employeeId\n" U1 ",E1\n", GCU_FORMAT_CSV), -2,
	        "employeeId beside id is a second key (it is no field)");
	ok(strstr(fatal, "'id' and 'employeeId'") != NULL, "and named");
	is_long(read_all(c, "id,title,id\n" U1 ",a," U1 "\n", GCU_FORMAT_CSV), -2,
	        "the key column twice is fatal");

	int fd = mkstemp(path);
	const char *yaml = "csv:\n  key: \"Work Email:email\"\n";
	if (fd < 0 || write(fd, yaml, strlen(yaml)) < 0)
		exit(2);
	close(fd);
	gcu_config_defaults(&k);
	ok(gcu_config_load(&k, path, err, sizeof err) == 0, "csv.key loads");
	read_all(&k, "Work Email,email\nann@x.com,new@x.com\n", GCU_FORMAT_CSV);
	is_str(rows[0].key, "email:ann@x.com", "csv.key names a column and its kind");
	is_str(rows[0].changes, "{\"email\":\"new@x.com\"}", "the email column is a change");
	is_long(read_all(&k, "email,title\na,b\n", GCU_FORMAT_CSV), -2,
	        "without that column the header is refused");
	ok(strstr(fatal, "no 'Work Email' column in the header (csv.key)") != NULL, "naming it");
	gcu_config_free(&k);

	fd = open(path, O_WRONLY | O_TRUNC);
	yaml = "csv:\n  id_column: user_id\n";
	if (fd < 0 || write(fd, yaml, strlen(yaml)) < 0)
		exit(2);
	close(fd);
	gcu_config_defaults(&k);
	ok(gcu_config_load(&k, path, err, sizeof err) == 0, "an old csv.id_column loads");
	read_all(&k, "user_id,title\n" U1 ",b\n", GCU_FORMAT_CSV);
	is_str(rows[0].key, "id:" U1, "and still names the id column");
	gcu_config_free(&k);
	unlink(path);
}

static void test_number_column(void)
{
	struct gcu_config c;
	char err[512], path[] = "/tmp/test_csv_cfg.XXXXXX";
	int fd = mkstemp(path);
	static const char yaml[] = "csv:\n  columns:\n    level: {field: title, type: number}\n";

	if (fd < 0 || write(fd, yaml, sizeof yaml - 1) != (ssize_t)(sizeof yaml - 1))
		exit(2);
	close(fd);
	gcu_config_defaults(&c);
	ok(gcu_config_load(&c, path, err, sizeof err) == 0, "config with a number column loads");
	unlink(path);
	read_all(&c, "id,level\n" U1 ",42\n" U2 ",2.5\n" U3 ",abc\n", GCU_FORMAT_CSV);
	is_str(rows[0].changes, "{\"title\":42}", "number column: integer");
	is_str(rows[1].changes, "{\"title\":2.5}", "number column: fraction");
	is_str(rows[2].err, "column 'level': 'abc' is not a number",
	       "number column: 'abc' rejected");
	read_all(&c, "id,workPhone\n" U1 ",1\n", GCU_FORMAT_CSV);
	ok(strstr(fatal, "unknown column 'workPhone'") != NULL,
	   "csv.columns from the file replaced the built-in aliases");
	gcu_config_free(&c);
}

static void test_ndjson(const struct gcu_config *c)
{
	input_name = "changes"; /* no extension: decided by content */
	read_all(c, "\xEF\xBB\xBF{\"id\":\"" U1 "\",\"changes\":{\"title\":\"a\"}}\n\n[1]\n",
	         GCU_FORMAT_AUTO);
	is_long(format_seen, GCU_FORMAT_NDJSON, "AUTO sees '{' after a BOM as NDJSON");
	is_long(nrows, 2, "blank line skipped");
	is_str(rows[0].changes, "{\"title\":\"a\"}", "NDJSON record passed through");
	is_long(rows[1].line, 3, "bad NDJSON line numbered");
	is_str(rows[1].err, "not a JSON object", "and rejected with a reason");
	is_str(rows[1].raw, "[1]", "raw text kept");
	is_str(header, "", "no header for NDJSON");
	read_all(c, "id,title\n" U1 ",a\n", GCU_FORMAT_AUTO);
	is_long(format_seen, GCU_FORMAT_CSV, "AUTO without an extension: anything else is CSV");
	is_str(rows[0].changes, "{\"title\":\"a\"}", "and is read as CSV");
	input_name = "t.csv";
}

static void test_delimiters(const struct gcu_config *defaults)
{
	struct gcu_config c = *defaults;

	c.csv_delimiter = ';';
	read_all(&c,
	         "\xEF\xBB\xBFid;title;department;skills\r\n" U1 ";Lead;Support, Tier 2;\"" S1
	         ":4;" S2 ":\\N\"\r\n" U2 ";\"a;b\";;\r\n",
	         GCU_FORMAT_AUTO);
	is_str(fatal, "", "csv.delimiter ';': a spreadsheet's ';' export is read");
	is_long(nrows, 2, "both rows");
	is_str(rows[0].changes,
	       "{\"title\":\"Lead\",\"department\":\"Support, Tier 2\",\"routingSkills\":{\"" S1
	       "\":4,\"" S2 "\":null}}",
	       "a ',' is text, a quoted ';' separates the skills");
	is_str(rows[1].changes, "{\"title\":\"a;b\"}", "a quoted ';' in a text cell is text");
	read_all(&c, "id;skills\n" U1 ";" S1 ":4;" S2 ":3\n", GCU_FORMAT_CSV);
	is_str(rows[0].err,
	       "3 cells where the header has 2; with ';' between cells, a cell that holds ';' (a "
	       "skills or list cell) must be quoted, or csv.separator set to another, such as '|'",
	       "an unquoted skills cell in a ';' file: the row says to quote it");

	read_all(&c, "id,title\n" U1 ",Lead\n", GCU_FORMAT_CSV);
	ok(strstr(fatal, "t.csv:1: no column names the user") &&
	       strstr(fatal, "set csv.delimiter: ','"),
	   "csv.delimiter ';' on a ',' file: the header says how to read it");

	input_name = "t.tsv";
	read_all(defaults, "id\ttitle\tdepartment\n" U1 "\tLead\tSupport, Tier 2\n",
	         GCU_FORMAT_AUTO);
	is_long(format_seen, GCU_FORMAT_CSV, "AUTO with a .tsv name is CSV");
	is_str(rows[0].changes, "{\"title\":\"Lead\",\"department\":\"Support, Tier 2\"}",
	       "a .tsv file is read with tabs between cells");
	input_name = "t.csv";

	read_all(defaults, "email;title\nann@example.com;Lead\n", GCU_FORMAT_CSV);
	is_str(fatal,
	       "t.csv:1: no column names the user: the header needs one of id, email, username or "
	       "employeeId (or csv.key in the config); the header is one cell with ';' in it: for "
	       "a file of ';'-separated cells, set csv.delimiter: ';' (or GCU_CSV_DELIMITER)",
	       "a ';' file read with ',' names the setting that reads it");
	read_all(defaults, "id\ttitle\n" U1 "\tLead\n", GCU_FORMAT_CSV);
	ok(strstr(fatal, "no column names the user") && strstr(fatal, "name it .tsv or set "
	                                                              "csv.delimiter: tab"),
	   "a tab file named .csv: name it .tsv");
	read_all(defaults, "email,titel\nann@example.com,Lead\n", GCU_FORMAT_CSV);
	is_str(fatal,
	       "t.csv:1: unknown column 'titel' (name a field or map it under csv.columns in the "
	       "config); did you mean 'title'?",
	       "a header of several cells gets no delimiter hint");
}

int main(void)
{
	struct gcu_config c;

	if (gcu_config_defaults(&c) < 0)
		return 2;
	test_mapping(&c);
	test_groups(&c);
	test_cells(&c);
	test_bom_crlf(&c);
	test_errors(&c);
	test_json_cells(&c);
	test_short_rows(&c);
	test_not_text(&c);
	test_recovery(&c);
	test_recovery_long(&c);
	test_fatal(&c);
	test_keys(&c);
	test_delimiters(&c);
	test_number_column();
	test_ndjson(&c);
	gcu_config_free(&c);
	return done_testing();
}
