/*
 * change_reader.c - CSV and NDJSON change input.
 *
 * CSV is fed to libcsv one physical line at a time (through the NDJSON
 * line reader, which gives line numbers and the line-length cap for free),
 * so that every row knows the line it started on even when a quoted cell
 * spans lines. libcsv calls back once per cell and once per row end; the
 * row callback turns the collected cells into a change object.
 *
 * A stray quote makes libcsv read the lines after it as the inside of a
 * quoted cell, up to the next quote or the end of the file. So when a
 * row that ran over several lines turns out malformed, only its first
 * line (where the quote opened) is taken as bad; the lines after it are
 * put back and read again as rows of their own. Every line is so either
 * part of a row that was read, or named as one that could not be.
 */
#include "change_reader.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <csv.h>

#include "cell.h"
#include "change.h"
#include "fields.h"
#include "grow.h"
#include "json_access.h"
#include "ndjson.h"
#include "near.h"
#include "text.h"

#define BOM "\xEF\xBB\xBF"

struct cell {
	char *text; /* NUL-terminated, NULL for an empty unquoted cell */
	size_t len;
};

/* The header of a column of expected values: expect.<field or column>. */
#define EXPECT_PREFIX "expect."

struct column {
	const char *name;  /* points into header cells */
	const char *field; /* NULL for the id column */
	enum gcu_column_type type;
	const char *media, *kind;
	int is_json; /* implicit mapping of a structured field: the cell is JSON */
	int members; /* queue memberships: "A;-B" joins A and leaves B */
	int expect;  /* an expect.<field> column: a value expected, not a change */
	int unnamed; /* an empty header cell: its cells must be empty too */
};

struct gcu_change_reader {
	const struct gcu_config *cfg;
	struct ndjson_reader lines;
	enum gcu_format fmt;
	int started;

	/* CSV state */
	struct csv_parser csv;
	int csv_ready;
	char delimiter;    /* between cells: csv.delimiter, or a tab for a .tsv file */
	int encoding_said; /* the hint on bytes that are not UTF-8 was given */
	struct cell *cells;
	size_t ncells, cap_cells;
	int row_done; /* the row callback fired */
	int row_bad;  /* the row hit a parse error or an overlong line */
	char row_err[256];
	unsigned long row_start;
	char *raw; /* physical lines of the current row, joined by '\n' */
	size_t raw_len, raw_cap;
	size_t first_len; /* the length of the row's first line in raw */
	/* Lines put back after a malformed row (see next_row), each ended by
	 * '\n', the first numbered back_line; then back_long, a line that was
	 * too long to keep (0 for none). */
	char *back;
	size_t back_len, back_pos;
	unsigned long back_line, back_long;
	struct cell *header;
	size_t nheader;
	char *header_line;
	struct column *columns;
	enum gcu_key_kind key_kind; /* of the key column */
	int key_ready;              /* the header has been read */
};

int gcu_format_parse(const char *s, enum gcu_format *fmt)
{
	if (strcmp(s, "csv") == 0)
		*fmt = GCU_FORMAT_CSV;
	else if (strcmp(s, "ndjson") == 0 || strcmp(s, "jsonl") == 0)
		*fmt = GCU_FORMAT_NDJSON;
	else if (strcmp(s, "auto") == 0)
		*fmt = GCU_FORMAT_AUTO;
	else
		return -1;
	return 0;
}

static void on_cell(void *s, size_t len, void *data)
{
	struct gcu_change_reader *r = data;
	if (gcu_grow(&r->cells, &r->cap_cells, r->ncells, sizeof *r->cells, 16) < 0) {
		r->row_bad = 1;
		snprintf(r->row_err, sizeof r->row_err, "out of memory");
		return;
	}
	struct cell *c = &r->cells[r->ncells++];
	c->text = NULL;
	c->len = len;
	if (s != NULL) {
		c->text = malloc(len + 1);
		if (c->text == NULL) {
			r->row_bad = 1;
			return;
		}
		memcpy(c->text, s, len);
		c->text[len] = '\0';
	}
}

static void on_row(int term, void *data)
{
	struct gcu_change_reader *r = data;
	(void)term;
	r->row_done = 1;
}

/* Rows end only at the newline next_row feeds after each line: a CR in
 * the middle of a line is not a second row end hidden inside it (the CR
 * of a CRLF is gone before libcsv sees the line). */
static int is_newline(unsigned char c)
{
	return c == '\n';
}

static void clear_cells(struct gcu_change_reader *r)
{
	for (size_t i = 0; i < r->ncells; i++)
		free(r->cells[i].text);
	r->ncells = 0;
}

static int csv_reset(struct gcu_change_reader *r)
{
	if (r->csv_ready)
		csv_free(&r->csv);
	r->csv_ready = 0;
	if (csv_init(&r->csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL | CSV_EMPTY_IS_NULL) !=
	    0)
		return -1;
	r->csv_ready = 1;
	csv_set_term_func(&r->csv, is_newline);
	csv_set_delim(&r->csv, (unsigned char)r->delimiter);
	return 0;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

struct gcu_change_reader *gcu_change_reader_open(const struct gcu_config *c, int fd,
                                                 const char *name, enum gcu_format fmt, char *err,
                                                 size_t errlen)
{
	struct gcu_change_reader *r = calloc(1, sizeof *r);
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->cfg = c;
	r->fmt = fmt;
	r->delimiter = c->csv_delimiter;
	if (has_suffix(name, ".tsv")) /* what its name says, whatever the config's CSV is */
		r->delimiter = '\t';
	if (fmt == GCU_FORMAT_AUTO) {
		if (has_suffix(name, ".csv") || has_suffix(name, ".tsv"))
			r->fmt = GCU_FORMAT_CSV;
		else if (has_suffix(name, ".ndjson") || has_suffix(name, ".jsonl") ||
		         has_suffix(name, ".json"))
			r->fmt = GCU_FORMAT_NDJSON;
	}
	if (ndjson_reader_fdopen(&r->lines, fd, name, (size_t)c->max_line) < 0 ||
	    csv_reset(r) < 0) {
		snprintf(err, errlen, "out of memory");
		gcu_change_reader_close(r);
		return NULL;
	}
	return r;
}

void gcu_change_reader_close(struct gcu_change_reader *r)
{
	if (r == NULL)
		return;
	clear_cells(r);
	free(r->cells);
	for (size_t i = 0; i < r->nheader; i++)
		free(r->header[i].text);
	free(r->header);
	free(r->header_line);
	free(r->columns);
	free(r->raw);
	free(r->back);
	if (r->csv_ready)
		csv_free(&r->csv);
	ndjson_reader_close(&r->lines);
	free(r);
}

enum gcu_format gcu_change_reader_format(const struct gcu_change_reader *r)
{
	return r->fmt;
}

const char *gcu_change_reader_header(const struct gcu_change_reader *r)
{
	return r->header_line;
}

int gcu_change_reader_key(const struct gcu_change_reader *r)
{
	return r->fmt == GCU_FORMAT_CSV && r->key_ready ? (int)r->key_kind : -1;
}

/* --- columns, and what their cells hold ------------------------------------- */

static int implicit_column(struct column *col, const char *name)
{
	col->field = name;
	switch (gcu_field_kind(name)) {
	case GCU_FIELD_STRING:
	case GCU_FIELD_STATE:
	case GCU_FIELD_STATUS:
	case GCU_FIELD_USERREF:
	case GCU_FIELD_TEAM:
	case GCU_FIELD_DIVISION:
		col->type = GCU_COL_STRING;
		return 0;
	case GCU_FIELD_QUEUES:
		col->type = GCU_COL_LIST;
		col->members = 1;
		return 0;
	case GCU_FIELD_BOOL:
		col->type = GCU_COL_BOOLEAN;
		return 0;
	case GCU_FIELD_LIST:
		col->type = GCU_COL_LIST;
		return 0;
	case GCU_FIELD_IDMAP:
		col->type = GCU_COL_SKILLS;
		return 0;
	case GCU_FIELD_OBJECT:
	case GCU_FIELD_CONTACTS:
	case GCU_FIELD_ANY:
		col->type = GCU_COL_STRING;
		col->is_json = 1;
		return 0;
	}
	return -1;
}

/* A csv.key setting: the column, and its kind after the last colon
 * ("Work Email:email"), else the column's own name when it is a key
 * name, else an id column (what csv.id_column always meant). */
static int key_setting(const char *key, char *column, size_t len)
{
	const char *colon = strrchr(key, ':');
	int kind;

	if (colon && colon > key && (kind = gcu_key_parse(colon + 1)) >= 0) {
		snprintf(column, len, "%.*s", (int)(colon - key), key);
		return kind;
	}
	snprintf(column, len, "%s", key);
	kind = gcu_key_parse(key);
	return kind >= 0 ? kind : GCU_KEY_ID;
}

/* Says that two columns, a and b, name the user. Returns -1. */
static long two_keys(const struct gcu_change_reader *r, size_t a, size_t b, char *err,
                     size_t errlen)
{
	snprintf(err, errlen,
	         "%s:%lu: two columns name the user, '%s' and '%s': keep one, or say which "
	         "with csv.key",
	         r->lines.name, r->row_start, r->header[a].text, r->header[b].text);
	return -1;
}

/* Keeps name in *nearest when it is nearer to h than *best so far. */
static void nearer(const char *h, const char *name, unsigned bound, unsigned *best,
                   const char **nearest)
{
	unsigned d = gcu_near_distance(h, name, *best < bound ? *best : bound);
	if (d < *best) {
		*best = d;
		*nearest = name;
	}
}

/*
 * The name a header cell most likely meant, for a "did you mean": the
 * nearest key name (id, email, username, employeeId), and unless
 * keys_only, the nearest column of csv.columns or field of a scope,
 * within the bound its length allows ("Title", "Employee ID", "title ");
 * NULL when none is near. Never taken in its place.
 */
static const char *header_near(const struct gcu_config *c, const char *h, int keys_only)
{
	unsigned bound = gcu_near_bound(strlen(h)), best = bound + 1;
	const char *nearest = NULL;

	for (int k = 0; k < GCU_NKEYS; k++)
		nearer(h, gcu_key_name((enum gcu_key_kind)k), bound, &best, &nearest);
	for (size_t i = 0; i < c->ncolumns && !keys_only; i++)
		nearer(h, c->columns[i].column, bound, &best, &nearest);
	for (size_t i = 0; i < c->nscopes && !keys_only; i++)
		nearer(h, c->scopes[i].field, bound, &best, &nearest);
	return nearest;
}

/*
 * Finds the column that names the user: the one csv.key names, else id
 * when the header has it (email and username beside it are changes of
 * those fields, as they always were), else the header's one email,
 * username or employeeId column. Returns the column's
 * index (r->key_kind set), or -1 with "name:line: why" in err.
 */
static long find_key_column(struct gcu_change_reader *r, char *err, size_t errlen)
{
	const char *key = gcu_config_csv_key(r->cfg);
	char column[256];
	long found = -1, emp = -1, named = -1, second = -1;

	r->key_kind = key ? key_setting(key, column, sizeof column) : GCU_KEY_ID;
	if (!key)
		snprintf(column, sizeof column, "id");
	for (size_t i = 0; i < r->nheader; i++) {
		const char *h = r->header[i].text ? r->header[i].text : "";
		int kind = gcu_key_parse(h);
		if (strcmp(h, column) == 0) {
			if (found >= 0) {
				snprintf(err, errlen, "%s:%lu: column '%s' twice in the header",
				         r->lines.name, r->row_start, h);
				return -1;
			}
			found = (long)i;
			continue;
		}
		/* id and employeeId are no fields: beside the key they can only
		 * name the user a second time. */
		if ((kind == GCU_KEY_ID || kind == GCU_KEY_EMPLOYEE_ID) && emp < 0)
			emp = (long)i;
		if (kind >= 0 && !key) {
			if (named < 0)
				named = (long)i;
			else if (second < 0)
				second = (long)i;
		}
	}
	if (found < 0 && key) {
		snprintf(err, errlen, "%s:%lu: no '%s' column in the header (csv.key)",
		         r->lines.name, r->row_start, column);
		return -1;
	}
	if (found >= 0)
		return emp >= 0 ? two_keys(r, (size_t)found, (size_t)emp, err, errlen) : found;
	if (second >= 0)
		return two_keys(r, (size_t)named, (size_t)second, err, errlen);
	if (named < 0) {
		int w = snprintf(err, errlen,
		                 "%s:%lu: no column names the user: the header needs one of id, "
		                 "email, username or employeeId (or csv.key in the config)",
		                 r->lines.name, r->row_start);
		for (size_t i = 0; i < r->nheader && w > 0 && (size_t)w < errlen; i++) {
			const char *h = r->header[i].text ? r->header[i].text : "";
			const char *near = header_near(r->cfg, h, 1);
			if (near != NULL) {
				snprintf(err + w, errlen - (size_t)w,
				         "; did you mean '%s' for the column '%s'?", near, h);
				break;
			}
		}
		return -1;
	}
	r->key_kind = (enum gcu_key_kind)gcu_key_parse(r->header[named].text);
	return named;
}

/*
 * A header read as one cell that holds another common delimiter is most
 * likely a file whose cells that delimiter separates (an export of a
 * spreadsheet set to a language that writes "1,5" uses ';'). Appends to
 * err how to read it so; guesses nothing.
 */
static void delimiter_hint(const struct gcu_change_reader *r, char *err, size_t errlen)
{
	static const char others[] = {';', '\t', '|', ','};
	const char *h = r->nheader == 1 && r->header[0].text ? r->header[0].text : "";
	size_t used = strlen(err);

	for (size_t i = 0; i < sizeof others; i++) {
		if (others[i] == r->delimiter || strchr(h, others[i]) == NULL)
			continue;
		if (others[i] == '\t')
			snprintf(err + used, errlen - used,
			         "; the header is one cell with tabs in it: for a file of "
			         "tab-separated cells, name it .tsv or set csv.delimiter: tab");
		else
			snprintf(err + used, errlen - used,
			         "; the header is one cell with '%c' in it: for a file of "
			         "'%c'-separated cells, set csv.delimiter: '%c' (or "
			         "GCU_CSV_DELIMITER)",
			         others[i], others[i], others[i]);
		return;
	}
}

static int setup_columns(struct gcu_change_reader *r, char *err, size_t errlen)
{
	const char *name = r->lines.name;

	r->columns = calloc(r->nheader ? r->nheader : 1, sizeof *r->columns);
	if (r->columns == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	long key = find_key_column(r, err, errlen);
	if (key < 0) {
		delimiter_hint(r, err, errlen);
		return -1;
	}
	for (size_t i = 0; i < r->nheader; i++) {
		struct column *col = &r->columns[i];
		const char *h = r->header[i].text ? r->header[i].text : "";
		col->name = h;
		if ((long)i == key)
			continue; /* field NULL: the key */
		/* A spreadsheet's export often ends its header in empty cells
		 * (columns once formatted): they name nothing, and so may hold
		 * nothing. */
		if (h[strspn(h, " ")] == '\0') {
			col->unnamed = 1;
			continue;
		}
		/* expect.<column>: the column read as ever, into "expect". */
		if (strncmp(h, EXPECT_PREFIX, strlen(EXPECT_PREFIX)) == 0 &&
		    h[strlen(EXPECT_PREFIX)] != '\0') {
			col->expect = 1;
			h += strlen(EXPECT_PREFIX);
		}
		const struct gcu_column *spec = gcu_config_column(r->cfg, h);
		if (spec != NULL) {
			col->field = spec->field;
			col->type = spec->type;
			col->media = spec->media;
			col->kind = spec->kind;
			if (gcu_field_kind(spec->field) == GCU_FIELD_CONTACTS &&
			    spec->type != GCU_COL_CONTACT)
				col->is_json = 1;
			/* A list or text column of queues reads "A;-B" too. */
			if (gcu_field_kind(spec->field) == GCU_FIELD_QUEUES &&
			    (spec->type == GCU_COL_LIST || spec->type == GCU_COL_STRING))
				col->members = 1;
			continue;
		}
		if (gcu_config_scope_of(r->cfg, h) == GCU_SCOPE_NONE) {
			const char *near = header_near(r->cfg, h, 0);
			snprintf(err, errlen,
			         "%s:%lu: unknown column '%s' (name a field or map it under "
			         "csv.columns in the config)%s%s%s%s",
			         name, r->row_start, col->name, near ? "; did you mean '" : "",
			         near && col->expect ? EXPECT_PREFIX : "", near ? near : "",
			         near ? "'?" : "");
			return -1;
		}
		implicit_column(col, h);
	}
	r->key_ready = 1;
	return 0;
}

static int cell_value(struct gcu_change_reader *r, const struct column *col, char *text,
                      json_object **out, char *err, size_t errlen)
{
	const struct gcu_config *c = r->cfg;
	char *t = text;

	*out = NULL;
	if (strcmp(text, c->csv_null) == 0) {
		if (col->type == GCU_COL_CONTACT) {
			json_object *e = json_object_new_object();
			json_object_object_add(e, "mediaType", json_object_new_string(col->media));
			json_object_object_add(e, "type", json_object_new_string(col->kind));
			json_object_object_add(e, "address", NULL);
			*out = e;
		}
		return 0;
	}
	if (col->members) {
		char why[256];
		if (gcu_cell_memberships(text, c->csv_separator, out, why, sizeof why) == 0)
			return 0;
		snprintf(err, errlen, "column '%s': %s", col->name, why);
		return -1;
	}
	if (col->is_json) {
		char why[256];
		/* The checks of every JSON line hold for a JSON cell too. */
		if (ndjson_parse_value(text, strlen(text), out, why, sizeof why) == 0)
			return 0;
		snprintf(err, errlen, "column '%s': %s", col->name, why);
		return -1;
	}
	switch (col->type) {
	case GCU_COL_STRING:
		*out = json_object_new_string(text);
		return 0;
	case GCU_COL_NUMBER:
		t = gcu_cell_trim(text);
		if (gcu_cell_number(t, out) == 0)
			return 0;
		snprintf(err, errlen, "column '%s': '%.80s' is not a number", col->name, t);
		return -1;
	case GCU_COL_BOOLEAN:
		t = gcu_cell_trim(text);
		if (gcu_cell_bool(t, out) == 0)
			return 0;
		snprintf(err, errlen, "column '%s': '%.80s' is not true or false", col->name, t);
		return -1;
	case GCU_COL_LIST:
		*out = gcu_cell_list(text, c->csv_separator);
		return 0;
	case GCU_COL_SKILLS: {
		char why[256];
		if (gcu_cell_skills(text, c->csv_separator, c->csv_null, out, why, sizeof why) == 0)
			return 0;
		snprintf(err, errlen, "column '%s': %s", col->name, why);
		return -1;
	}
	case GCU_COL_CONTACT: {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "address", json_object_new_string(gcu_cell_trim(text)));
		json_object_object_add(e, "mediaType", json_object_new_string(col->media));
		json_object_object_add(e, "type", json_object_new_string(col->kind));
		*out = e;
		return 0;
	}
	}
	snprintf(err, errlen, "column '%s': unknown type", col->name);
	return -1;
}

/*
 * Checks that every cell of the current row is text (see text.h): a NUL
 * byte would cut the value short, invalid UTF-8 would reach the platform
 * mangled. Returns 0, or -1 (a NUL byte) or -2 (bytes that are not
 * UTF-8) with "NUL byte in column 'title'" in err (or "in cell 3" before
 * the columns are known or past them).
 */
static int cells_are_text(const struct gcu_change_reader *r, char *err, size_t errlen)
{
	char why[64];

	for (size_t i = 0; i < r->ncells; i++) {
		const struct cell *c = &r->cells[i];
		size_t at;
		if (c->text == NULL ||
		    (at = gcu_text_check(c->text, c->len, why, sizeof why)) == c->len)
			continue;
		if (r->columns != NULL && i < r->nheader)
			snprintf(err, errlen, "%s in column '%s'", why, r->columns[i].name);
		else
			snprintf(err, errlen, "%s in cell %zu", why, i + 1);
		return c->text[at] == '\0' ? -1 : -2;
	}
	return 0;
}

/*
 * The first time a file holds bytes that are not UTF-8 (cells_are_text
 * gave -2), appends to err what most often explains them: a file a
 * spreadsheet saved in a single-byte encoding ("Caf\xE9"), and the command
 * that converts it. Said once, not on every row; the rows are refused all
 * the same.
 */
static void encoding_hint(struct gcu_change_reader *r, char *err, size_t errlen)
{
	size_t used = strlen(err);

	if (r->encoding_said)
		return;
	r->encoding_said = 1;
	snprintf(err + used, errlen - used,
	         "; if the file was saved as Windows-1252 or Latin-1, convert it first: iconv -f "
	         "WINDOWS-1252 -t UTF-8 %s",
	         r->lines.name);
}

/*
 * Turns the collected cells of one data row into {"id","changes"}. A row
 * with more or fewer cells than the header is refused: a short row is
 * more likely a cut-off export than a row meant to change less, and
 * reading it would apply the part that survived.
 */
static json_object *row_record(struct gcu_change_reader *r, char *err, size_t errlen)
{
	json_object *rec = json_object_new_object();
	json_object *changes = json_object_new_object(), *expect = NULL;
	json_object_object_add(rec, "changes", changes);

	int not_text = cells_are_text(r, err, errlen);
	if (not_text < 0) {
		if (not_text == -2)
			encoding_hint(r, err, errlen);
		goto bad;
	}
	if (r->ncells != r->nheader) {
		int w = snprintf(err, errlen, "%zu cell%s where the header has %zu", r->ncells,
		                 r->ncells == 1 ? "" : "s", r->nheader);
		/* The list separator as the delimiter too: a skills cell
		 * "A:4;B:3" unquoted is two cells. */
		if (r->ncells > r->nheader && strchr(r->cfg->csv_separator, r->delimiter) &&
		    w > 0 && (size_t)w < errlen)
			snprintf(err + w, errlen - (size_t)w,
			         "; with '%c' between cells, a cell that holds '%c' (a skills or "
			         "list cell) must be quoted, or csv.separator set to another, such "
			         "as '|'",
			         r->delimiter, r->delimiter);
		goto bad;
	}
	for (size_t i = 0; i < r->ncells; i++) {
		const struct column *col = &r->columns[i];
		char *text = r->cells[i].text;
		if (col->unnamed) {
			if (text != NULL && *gcu_cell_trim(text) != '\0') {
				snprintf(err, errlen,
				         "a value in column %zu, which the header leaves unnamed",
				         i + 1);
				goto bad;
			}
			continue;
		}
		if (text == NULL && col->field == NULL)
			text = (char *)""; /* an empty key: named as such, not missing */
		if (text == NULL)
			continue; /* empty cell: no change */
		if (col->field == NULL) {
			json_object_object_add(rec, gcu_key_name(r->key_kind),
			                       json_object_new_string(gcu_cell_trim(text)));
			continue;
		}
		json_object *v = NULL, *into = changes;
		if (cell_value(r, col, text, &v, err, errlen) < 0)
			goto bad;
		if (col->expect) {
			if (expect == NULL) {
				expect = json_object_new_object();
				json_object_object_add(rec, "expect", expect);
			}
			into = expect;
		}
		if (col->type == GCU_COL_CONTACT) {
			json_object *list = NULL;
			if (!json_object_object_get_ex(into, col->field, &list)) {
				list = json_object_new_array();
				json_object_object_add(into, col->field, list);
			}
			json_object_array_add(list, v);
			continue;
		}
		if (json_object_object_get_ex(into, col->field, NULL)) {
			json_object_put(v);
			snprintf(err, errlen, "two columns set field '%s%s'",
			         col->expect ? EXPECT_PREFIX : "", col->field);
			goto bad;
		}
		json_object_object_add(into, col->field, v);
	}
	return rec;
bad:
	json_object_put(rec);
	return NULL;
}

static int raw_append(struct gcu_change_reader *r, const char *s, size_t n)
{
	if (r->raw_len + n + 2 > r->raw_cap) {
		size_t cap = r->raw_cap ? r->raw_cap : 256;
		while (cap < r->raw_len + n + 2)
			cap *= 2;
		char *grown = realloc(r->raw, cap);
		if (grown == NULL)
			return -1;
		r->raw = grown;
		r->raw_cap = cap;
	}
	if (r->raw_len > 0)
		r->raw[r->raw_len++] = '\n';
	memcpy(r->raw + r->raw_len, s, n);
	r->raw_len += n;
	r->raw[r->raw_len] = '\0';
	return 0;
}

static int is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isspace((unsigned char)s[i]))
			return 0;
	return 1;
}

/* The next physical line, without its newline and, on line 1, without a
 * byte order mark: the lines put back come first, then the file. Returns
 * what ndjson_read returns, with the line's number in *no. */
static enum ndjson_status next_line(struct gcu_change_reader *r, const char **line, size_t *len,
                                    unsigned long *no)
{
	if (r->back_pos < r->back_len) {
		const char *p = r->back + r->back_pos;
		const char *nl = memchr(p, '\n', r->back_len - r->back_pos);
		*line = p;
		*len = (size_t)(nl - p);
		*no = r->back_line++;
		r->back_pos += *len + 1;
		return NDJSON_LINE;
	}
	if (r->back_long != 0) {
		*no = r->back_long;
		r->back_long = 0;
		return NDJSON_TOO_LONG;
	}
	enum ndjson_status st = ndjson_read(&r->lines);
	*line = r->lines.line;
	*len = r->lines.line_len;
	*no = r->lines.lineno;
	if (st == NDJSON_LINE && *no == 1 && *len >= 3 && memcmp(*line, BOM, 3) == 0) {
		*line += 3;
		*len -= 3;
	}
	return st;
}

/* Puts text (whole lines joined by '\n', the first numbered first) back
 * in front of the lines still to be read. Returns 0 or -1 (no memory). */
static int put_back(struct gcu_change_reader *r, unsigned long first, const char *text, size_t len)
{
	size_t rest = r->back_len - r->back_pos;
	char *b = malloc(len + 1 + rest);

	if (b == NULL)
		return -1;
	memcpy(b, text, len);
	b[len] = '\n';
	if (rest > 0)
		memcpy(b + len + 1, r->back + r->back_pos, rest);
	free(r->back);
	r->back = b;
	r->back_len = len + 1 + rest;
	r->back_pos = 0;
	r->back_line = first;
	return 0;
}

/*
 * The row that started on line r->row_start cannot be read. When it ran
 * over several lines, the quote that kept it open was opened on its first
 * line and most likely a stray one that swallowed the lines after it: the
 * first line alone is the bad record, the others are put back to be read
 * again. Each call takes at least one line for good, so it ends. Returns
 * 1 (a bad row), or -1 (no memory).
 */
static int fail_row(struct gcu_change_reader *r, const char *why)
{
	r->row_bad = 1;
	snprintf(r->row_err, sizeof r->row_err, "%s", why);
	clear_cells(r);
	if (csv_reset(r) < 0)
		return -1;
	if (r->raw_len > r->first_len) {
		if (put_back(r, r->row_start + 1, r->raw + r->first_len + 1,
		             r->raw_len - r->first_len - 1) < 0)
			return -1;
		r->raw_len = r->first_len;
		r->raw[r->raw_len] = '\0';
	}
	return 1;
}

/*
 * Feeds physical lines to libcsv until one row is complete. Returns 1 with
 * a row in r->cells (or r->row_bad set), 0 at the end of input, -1 on a
 * read error or no memory.
 */
static int next_row(struct gcu_change_reader *r)
{
	char why[256];

	clear_cells(r);
	r->row_done = r->row_bad = 0;
	r->row_err[0] = '\0';
	r->raw_len = 0;
	r->row_start = 0;
	for (;;) {
		const char *line;
		size_t len;
		unsigned long no;
		enum ndjson_status st = next_line(r, &line, &len, &no);

		if (st == NDJSON_IO_ERROR || st == NDJSON_AGAIN)
			return -1;
		if (st == NDJSON_EOF) {
			if (r->row_start == 0)
				return 0;
			/* Every line ends in a newline for libcsv, so only an
			 * open quote keeps a row open at the end. */
			return fail_row(r, "malformed CSV: a quote opened on this line is never "
			                   "closed");
		}
		if (st == NDJSON_TOO_LONG) {
			if (r->row_start != 0) {
				r->back_long = no; /* reported after the lines put back */
				snprintf(why, sizeof why,
				         "malformed CSV: a quote opened on this line is not closed "
				         "before line %lu",
				         no);
				return fail_row(r, why);
			}
			r->row_start = no;
			r->first_len = 0;
			r->row_bad = 1;
			snprintf(r->row_err, sizeof r->row_err, "line longer than %ld bytes",
			         r->cfg->max_line);
			return 1;
		}
		if (r->row_start == 0) {
			if (is_blank(line, len))
				continue;
			r->row_start = no;
			r->first_len = len;
		}
		if (raw_append(r, line, len) < 0)
			return -1;
		if (csv_parse(&r->csv, line, len, on_cell, on_row, r) != len ||
		    csv_parse(&r->csv, "\n", 1, on_cell, on_row, r) != 1) {
			if (no != r->row_start) {
				snprintf(why, sizeof why,
				         "malformed CSV: a quote opened on this line is not closed "
				         "properly (line %lu)",
				         no);
				return fail_row(r, why);
			}
			if (csv_error(&r->csv) == CSV_EPARSE)
				snprintf(
				    why, sizeof why,
				    "malformed CSV: stray quote (quote a cell whole and double "
				    "the quotes inside it)");
			else
				snprintf(why, sizeof why, "malformed CSV: %s",
				         csv_strerror(csv_error(&r->csv)));
			return fail_row(r, why);
		}
		if (r->row_done)
			return 1;
		/* An open quote may not hold more than a line's worth. */
		if (r->raw_len > (size_t)r->cfg->max_line) {
			snprintf(why, sizeof why,
			         "malformed CSV: a quote opened on this line is not closed within "
			         "%ld bytes",
			         r->cfg->max_line);
			return fail_row(r, why);
		}
	}
}

static int read_header(struct gcu_change_reader *r, char *err, size_t errlen)
{
	char why[128];
	int rc = next_row(r);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", r->lines.name, strerror(errno));
		return -1;
	}
	if (rc == 0)
		return 0;
	if (r->row_bad) {
		snprintf(err, errlen, "%s:%lu: header: %s", r->lines.name, r->row_start,
		         r->row_err);
		return -2;
	}
	int not_text = cells_are_text(r, why, sizeof why);
	if (not_text < 0) {
		snprintf(err, errlen, "%s:%lu: header: %s", r->lines.name, r->row_start, why);
		if (not_text == -2)
			encoding_hint(r, err, errlen);
		return -2;
	}
	r->header = r->cells;
	r->nheader = r->ncells;
	r->cells = NULL;
	r->ncells = r->cap_cells = 0;
	r->header_line = strdup(r->raw ? r->raw : "");
	if (r->header_line == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return setup_columns(r, err, errlen) < 0 ? -2 : 1;
}

static int next_csv(struct gcu_change_reader *r, struct gcu_change_item *item, char *err,
                    size_t errlen)
{
	if (r->header == NULL) {
		int rc = read_header(r, err, errlen);
		if (rc <= 0)
			return rc;
	}
	int rc = next_row(r);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", r->lines.name, strerror(errno));
		return -1;
	}
	if (rc == 0)
		return 0;
	item->line = r->row_start;
	item->raw = r->raw ? r->raw : "";
	item->raw_len = r->raw_len;
	if (r->row_bad) {
		snprintf(item->err, sizeof item->err, "%s", r->row_err);
		return 1;
	}
	item->record = row_record(r, item->err, sizeof item->err);
	return 1;
}

static int next_ndjson(struct gcu_change_reader *r, struct gcu_change_item *item, char *err,
                       size_t errlen)
{
	for (;;) {
		enum ndjson_status st = ndjson_read(&r->lines);
		switch (st) {
		case NDJSON_EOF:
			return 0;
		case NDJSON_IO_ERROR:
		case NDJSON_AGAIN: /* the reader's descriptor is blocking */
			snprintf(err, errlen, "%s: %s", r->lines.name, strerror(errno));
			return -1;
		case NDJSON_TOO_LONG:
			item->line = r->lines.lineno;
			item->raw = "";
			item->raw_len = 0;
			snprintf(item->err, sizeof item->err, "line longer than %ld bytes",
			         r->cfg->max_line);
			return 1;
		case NDJSON_LINE:
			break;
		}
		char *line = r->lines.line;
		size_t len = r->lines.line_len;
		if (r->lines.lineno == 1 && len >= 3 && memcmp(line, BOM, 3) == 0) {
			line += 3;
			len -= 3;
		}
		if (is_blank(line, len))
			continue;
		item->line = r->lines.lineno;
		item->raw = line;
		item->raw_len = len;
		item->record = ndjson_parse_object(line, len, item->err, sizeof item->err);
		return 1;
	}
}

/* UTF-16, as a spreadsheet's "Unicode text" export is: a byte-order mark
 * (FF FE, FE FF), or text with a NUL byte after or before each letter. */
static int is_utf16(const unsigned char *p, size_t n)
{
	if (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF)))
		return 1;
	return n >= 4 && ((p[0] && !p[1] && p[2] && !p[3]) || (!p[0] && p[1] && !p[2] && p[3]));
}

/* Looks at the start of the input, which stays in the reader's buffer to
 * be consumed as the first record or header: refuses UTF-16 (returns -2
 * with the way out in err), and decides AUTO from the first non-blank
 * byte. Returns 0, or -1 with errno set. */
static int sniff(struct gcu_change_reader *r, char *err, size_t errlen)
{
	/* Peek without consuming: fill the line reader's buffer. */
	while (r->lines.buf_pos == r->lines.buf_end && !r->lines.eof) {
		ssize_t n = read(r->lines.fd, r->lines.buf, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		r->lines.buf_pos = 0;
		r->lines.buf_end = (size_t)n;
		if (n == 0)
			r->lines.eof = 1;
	}
	const char *p = r->lines.buf + r->lines.buf_pos;
	const char *end = r->lines.buf + r->lines.buf_end;
	if (is_utf16((const unsigned char *)p, (size_t)(end - p))) {
		snprintf(err, errlen,
		         "%s:1: the file is UTF-16 (as a spreadsheet's \"Unicode text\" is); gcu "
		         "reads UTF-8: convert it first: iconv -f UTF-16 -t UTF-8 %s",
		         r->lines.name, r->lines.name);
		return -2;
	}
	if (r->fmt != GCU_FORMAT_AUTO)
		return 0;
	if (end - p >= 3 && memcmp(p, BOM, 3) == 0)
		p += 3;
	while (p < end && isspace((unsigned char)*p))
		p++;
	r->fmt = (p < end && *p == '{') ? GCU_FORMAT_NDJSON : GCU_FORMAT_CSV;
	return 0;
}

int gcu_change_reader_next(struct gcu_change_reader *r, struct gcu_change_item *item, char *err,
                           size_t errlen)
{
	item->record = NULL;
	item->err[0] = '\0';
	item->raw = "";
	item->raw_len = 0;
	if (!r->started) {
		r->started = 1;
		int rc = sniff(r, err, errlen);
		if (rc == -1)
			snprintf(err, errlen, "%s: %s", r->lines.name, strerror(errno));
		if (rc < 0)
			return rc;
	}
	if (r->fmt == GCU_FORMAT_CSV)
		return next_csv(r, item, err, errlen);
	return next_ndjson(r, item, err, errlen);
}
