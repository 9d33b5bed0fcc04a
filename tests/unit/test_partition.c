/*
 * test_partition.c - the partitioner's rules, through gcu_partition with
 * real descriptors and writers on temporary files.
 *
 * Covers the scope split (driven by the config's scope map, not by code),
 * rejections of unknown fields, wrong kinds and bad UUIDs with their line
 * numbers, folding of repeated users (rows that agree become one record
 * per scope and are counted as folded; rows that disagree are all
 * rejected; ids compared without regard to case), the rejects file
 * (original text, the CSV header first), --strict (returns 1 at the first
 * bad record and writes nothing after it), a dropped scope, and input from
 * a pipe, which cannot be read twice without spooling. The counts add up:
 * records == accepted + folded + rejected, and with single-line rows
 * records are the data lines, also after malformed rows (whose lines are
 * read again, in both passes alike, so that a repeated user among them is
 * still folded).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "partition.h"
#include "tap.h"

#define U1 "6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e01"
#define U2 "6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e02"
#define U3 "6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e03"
#define U4 "6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e04"
#define S1 "3cbb7daa-64c1-44fa-88a7-c8252abc5619"
#define S2 "29ec148c-ead5-4263-b4d6-d23508bd9d96"

static char dir[] = "/tmp/test_partition.XXXXXX";
static char reports[4096];
static char out_text[GCU_NSCOPES][4096];
static char rejects_text[4096];
static struct gcu_partition_stats st;
static char err[512];

static void report(void *ctx, const char *name, unsigned long line, const char *msg)
{
	size_t n = strlen(reports);
	(void)ctx;
	snprintf(reports + n, sizeof reports - n, "%s:%lu: %s\n", name, line, msg);
}

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0;
	if (fp != NULL) {
		n = fread(buf, 1, len - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
}

struct run_opts {
	const struct gcu_config *cfg;
	int strict;
	int pipe; /* feed the input through a pipe */
	int drop; /* scope to drop, or -1 */
	enum gcu_format fmt;
};

/* Partitions input; returns gcu_partition's status. Outputs land in
 * out_text[], rejects_text, reports and st. */
static int run(const struct run_opts *ro, const char *input)
{
	struct ndjson_writer w[GCU_NSCOPES], rej;
	struct gcu_partition_opts o = {0};
	char path[GCU_NSCOPES + 1][300];
	int fd, rc;

	reports[0] = '\0';
	o.cfg = ro->cfg;
	o.format = ro->fmt;
	o.strict = ro->strict;
	o.report = report;
	for (int s = 0; s <= GCU_NSCOPES; s++) {
		snprintf(path[s], sizeof path[s], "%s/out%d", dir, s);
		if (ndjson_writer_open(s < GCU_NSCOPES ? &w[s] : &rej, path[s]) < 0)
			exit(2);
	}
	for (int s = 0; s < GCU_NSCOPES; s++)
		o.out[s] = s == ro->drop ? NULL : &w[s];
	o.rejects = &rej;

	if (ro->pipe) {
		int fds[2];
		if (pipe(fds) < 0 || write(fds[1], input, strlen(input)) != (ssize_t)strlen(input))
			exit(2);
		close(fds[1]);
		fd = fds[0];
	} else {
		char in[300];
		snprintf(in, sizeof in, "%s/in", dir);
		FILE *fp = fopen(in, "w");
		if (fp == NULL || fputs(input, fp) == EOF || fclose(fp) != 0)
			exit(2);
		fd = open(in, O_RDONLY);
	}
	rc = gcu_partition(&o, fd, "in", &st, err, sizeof err);
	close(fd);
	for (int s = 0; s <= GCU_NSCOPES; s++) {
		ndjson_writer_close(s < GCU_NSCOPES ? &w[s] : &rej);
		slurp(path[s], s < GCU_NSCOPES ? out_text[s] : rejects_text,
		      s < GCU_NSCOPES ? sizeof out_text[s] : sizeof rejects_text);
		unlink(path[s]);
	}
	return rc;
}

static int has(const char *s, const char *part, const char *name)
{
	int found = strstr(s, part) != NULL;
	if (!ok(found, name))
		printf("#   in:   %s\n#   want: %s\n", s, part);
	return found;
}

static void test_split(const struct gcu_config *c)
{
	struct run_opts ro = {c, 0, 0, -1, GCU_FORMAT_NDJSON};
	int rc = run(&ro, "{\"id\":\"" U1 "\",\"changes\":{\"title\":\"Lead\",\"routingStatus\":"
	                  "\"IDLE\",\"routingSkills\":[{\"id\":\"" S1 "\",\"level\":3}]}}\n");
	is_long(rc, 0, "split: returns 0");
	is_str(out_text[GCU_SCOPE_NON_ROUTING],
	       "{\"id\":\"" U1
	       "\",\"src\":\"in:1\",\"scope\":\"non-routing\",\"changes\":{\"title\":"
	       "\"Lead\"}}\n",
	       "split: non-routing record");
	is_str(out_text[GCU_SCOPE_ROUTING],
	       "{\"id\":\"" U1 "\",\"src\":\"in:1\",\"scope\":\"routing\",\"changes\":{"
	       "\"routingStatus\":\"IDLE\",\"routingSkills\":{\"" S1 "\":3}}}\n",
	       "split: routing record, skills list in canonical map form");
	ok(st.records == 1 && st.written[0] == 1 && st.written[1] == 1 && st.rejected == 0,
	   "split: counts");

	ro.drop = GCU_SCOPE_ROUTING;
	run(&ro,
	    "{\"id\":\"" U1 "\",\"changes\":{\"title\":\"Lead\",\"routingStatus\":\"IDLE\"}}\n");
	ok(out_text[GCU_SCOPE_ROUTING][0] == '\0' && out_text[0][0] != '\0',
	   "a dropped scope writes nothing");
	is_long(st.written[GCU_SCOPE_ROUTING], 0, "and counts nothing written");
}

static void test_split_by_config(void)
{
	struct gcu_config c;
	char path[300], e[512];
	snprintf(path, sizeof path, "%s/scopes.yaml", dir);
	FILE *fp = fopen(path, "w");
	fputs("scopes:\n  non-routing: [email]\n  routing: [title, routingStatus]\n", fp);
	fclose(fp);
	gcu_config_defaults(&c);
	if (gcu_config_load(&c, path, e, sizeof e) < 0)
		printf("# %s\n", e);
	struct run_opts ro = {&c, 0, 0, -1, GCU_FORMAT_NDJSON};
	run(&ro, "{\"id\":\"" U1 "\",\"changes\":{\"title\":\"Lead\",\"email\":\"a@x.com\"}}\n"
	         "{\"id\":\"" U2 "\",\"changes\":{\"department\":\"Sales\"}}\n");
	has(out_text[GCU_SCOPE_ROUTING], "\"changes\":{\"title\":\"Lead\"}",
	    "config: title mapped to routing goes there");
	has(out_text[GCU_SCOPE_NON_ROUTING], "\"changes\":{\"email\":\"a@x.com\"}",
	    "config: email stays non-routing");
	has(reports, "in:2: unknown field 'department'",
	    "config: a field the config does not map is unknown");
	gcu_config_free(&c);
}

static void test_rejects(const struct gcu_config *c)
{
	struct run_opts ro = {c, 0, 0, -1, GCU_FORMAT_NDJSON};
	const char *bad1 = "{\"id\":\"" U1 "\",\"changes\":{\"roles\":[\"Home\"]}}";
	const char *bad2 = "{\"id\":\"" U2 "\",\"changes\":{\"acdAutoAnswer\":\"yes\"}}";
	const char *bad3 = "{\"id\":\"../../authorization/roles\",\"changes\":{\"title\":\"x\"}}";
	char input[1024];

	snprintf(input, sizeof input,
	         "%s\n%s\n\n%s\n{\"id\":\"" U3 "\",\"changes\":{\"title\":\"ok\"}}\n", bad1, bad2,
	         bad3);
	int rc = run(&ro, input);
	is_long(rc, 0, "rejects: not strict, returns 0");
	has(reports, "in:1: unknown field 'roles'\n", "unknown field rejected with its line");
	has(reports, "in:2: acdAutoAnswer: expected true or false\n", "wrong type rejected");
	has(reports, "in:4: id '../../authorization/roles' is not a UUID\n", "bad UUID rejected");
	ok(st.rejected == 3 && st.records == 4 && st.written[0] == 1, "rejects: counts");
	char want[1024];
	snprintf(want, sizeof want, "%s\n%s\n%s\n", bad1, bad2, bad3);
	is_str(rejects_text, want, "NDJSON rejects: the original lines, no header");
	has(out_text[0], "\"src\":\"in:5\"", "the good record after them is written");

	ro.fmt = GCU_FORMAT_CSV;
	rc =
	    run(&ro, "id,title,acdAutoAnswer\r\n" U1 ",a,maybe\r\n" U2 ",\"b\nc\",\r\nnope,x,\r\n");
	is_str(rejects_text, "id,title,acdAutoAnswer\n" U1 ",a,maybe\nnope,x,\n",
	       "CSV rejects: the header first, then each bad row's text");
	has(out_text[0], "\"title\":\"b\\nc\"", "a good multi-line row between them is written");
	has(reports, "in:5: id 'nope' is not a UUID", "line numbers count the multi-line row");
}

static void test_fold(const struct gcu_config *c, int use_pipe)
{
	struct run_opts ro = {c, 0, use_pipe, -1, GCU_FORMAT_CSV};
	const char *input = "id,title,department,skills,routingStatus\n" U1 ",Lead,,,\n" U2
	                    ",Agent,,,\n" U1 ",,Sales," S1 ":3,\n" U3 ",A,,,\n"
	                    "6F1B1A2E-0C2D-4B8E-9A41-0A1B2C3D4E01,Lead,," S2 ":\\N,IDLE\n" U3
	                    ",B,,,\n" U3 ",A,,,\n";
	int rc = run(&ro, input);
	const char *nr = out_text[GCU_SCOPE_NON_ROUTING], *r = out_text[GCU_SCOPE_ROUTING];

	is_long(rc, 0, use_pipe ? "fold (pipe): returns 0" : "fold: returns 0");
	is_str(
	    nr,
	    "{\"id\":\"" U2 "\",\"src\":\"in:3\",\"scope\":\"non-routing\",\"changes\":{\"title\":"
	    "\"Agent\"}}\n"
	    "{\"id\":\"" U1 "\",\"src\":\"in:2\",\"scope\":\"non-routing\",\"changes\":{\"title\":"
	    "\"Lead\",\"department\":\"Sales\"}}\n",
	    "three agreeing rows (one id in upper case): one non-routing record, src of the "
	    "first row");
	is_str(r,
	       "{\"id\":\"" U1 "\",\"src\":\"in:2\",\"scope\":\"routing\",\"changes\":{"
	       "\"routingSkills\":{\"" S1 "\":3,\"" S2 "\":null},\"routingStatus\":\"IDLE\"}}\n",
	       "and one routing record, skills merged entry by entry");
	is_long(st.folded, 2, "two rows folded into the first");
	is_long(st.rejected, 3, "three rows of the disagreeing user rejected");
	has(reports, "in:5: user " U3 ": rows disagree on 'title'", "disagreeing row 1 reported");
	has(reports, "in:7: user " U3 ": rows disagree on 'title'", "disagreeing row 2 reported");
	has(reports, "in:8: user " U3 ": rows disagree on 'title'",
	    "a later agreeing row of that user is rejected too");
	ok(strstr(nr, U3) == NULL && strstr(r, U3) == NULL, "nothing written for that user");
	is_str(rejects_text,
	       "id,title,department,skills,routingStatus\n" U3 ",A,,,\n" U3 ",B,,,\n" U3 ",A,,,\n",
	       "rejects hold all of that user's rows");
	is_long(st.records, 7, "every row counted");
}

static void test_fold_with_bad_row(const struct gcu_config *c)
{
	struct run_opts ro = {c, 0, 0, -1, GCU_FORMAT_NDJSON};
	run(&ro, "{\"id\":\"" U1 "\",\"changes\":{\"title\":\"Lead\"}}\n"
	         "{\"id\":\"" U1 "\",\"changes\":{\"title\":5}}\n"
	         "{\"id\":\"" U1 "\",\"changes\":{\"title\":\"Lead\"}}\n");
	has(reports, "in:2: title: expected a string", "the bad row of a repeated user rejected");
	has(out_text[0], "\"src\":\"in:1\"", "its good rows still folded and written");
	ok(st.rejected == 1 && st.folded == 1 && st.written[0] == 1, "counts");

	/* the same user's good rows also disagree: every row is rejected once */
	const char *r1 = "{\"id\":\"" U1 "\",\"changes\":{\"title\":\"A\"}}";
	const char *r2 = "{\"id\":\"" U1 "\",\"changes\":{\"title\":5}}";
	const char *r3 = "{\"id\":\"" U1 "\",\"changes\":{\"title\":\"B\"}}";
	char input[512], want[512];
	snprintf(input, sizeof input, "%s\n%s\n%s\n", r1, r2, r3);
	run(&ro, input);
	is_long(st.rejected, 3, "bad row among disagreeing rows: 3 rows, 3 rejections");
	snprintf(want, sizeof want, "%s\n%s\n%s\n", r2, r1, r3);
	is_str(rejects_text, want, "each row in the rejects file once");
	ok(strstr(reports, "in:2: title: expected a string") != NULL &&
	       strstr(reports, "in:2: user") == NULL,
	   "the bad row is reported once, for its own defect");
}

/* records == accepted + folded + rejected, and == lines when given. */
static void counts_add_up(unsigned long lines, const char *name)
{
	char what[200];
	snprintf(what, sizeof what, "%s: %lu records = %lu accepted + %lu folded + %lu rejected",
	         name, st.records, st.accepted, st.folded, st.rejected);
	ok(st.records == st.accepted + st.folded + st.rejected && st.records == lines, what);
}

static void test_malformed(const struct gcu_config *c, int use_pipe)
{
	struct run_opts ro = {c, 0, use_pipe, -1, GCU_FORMAT_CSV};
	/* Line 3 opens a quote that would swallow lines 4-8; line 6 is short;
	 * U1 on line 7 repeats line 2 and is folded with it. */
	int rc =
	    run(&ro, "id,title,routingStatus\n" U1 ",Lead,\n" U2 ",\"Agent,\n" U3 ",Agent,IDLE\n" U4
	             ",Sales,\n" U3 ",Agent\n" U1 ",Lead,IDLE\n" U2 ",Agent,\n");
	const char *nr = out_text[GCU_SCOPE_NON_ROUTING], *r = out_text[GCU_SCOPE_ROUTING];

	is_long(rc, 0, use_pipe ? "malformed (pipe): returns 0" : "malformed: returns 0");
	has(reports, "in:3: malformed CSV: a quote opened on this line is never closed\n",
	    "the line with the stray quote is named");
	has(reports, "in:6: 2 cells where the header has 3\n", "the short row is named");
	is_long(st.rejected, 2, "two rejections");
	has(nr, "\"src\":\"in:4\"", "the first line the quote swallowed is read");
	has(r, "{\"id\":\"" U1 "\",\"src\":\"in:2\",\"scope\":\"routing\"",
	    "the repeated user among the swallowed lines is folded with its first row");
	has(nr, "\"src\":\"in:5\"", "and the one after it");
	has(nr, "\"src\":\"in:8\"", "the last line is read");
	is_str(rejects_text, "id,title,routingStatus\n" U2 ",\"Agent,\n" U3 ",Agent\n",
	       "rejects: the header and each bad line's own text");
	counts_add_up(7, use_pipe ? "malformed (pipe)" : "malformed");
}

static void test_strict(const struct gcu_config *c)
{
	struct run_opts ro = {c, 1, 0, -1, GCU_FORMAT_NDJSON};
	int rc = run(&ro, "{\"id\":\"" U1 "\",\"changes\":{\"title\":\"a\"}}\n"
	                  "{\"id\":\"" U2 "\",\"changes\":{\"nope\":1}}\n"
	                  "{\"id\":\"" U3 "\",\"changes\":{\"title\":\"c\"}}\n"
	                  "{\"id\":\"x\"}\n");
	is_long(rc, 1, "strict: returns 1 at the first bad record");
	is_long(st.rejected, 1, "strict: one rejection");
	is_str(reports, "in:2: unknown field 'nope'\n", "strict: only the first is reported");
	ok(strstr(out_text[0], U1) != NULL && strstr(out_text[0], U3) == NULL,
	   "strict: nothing after it is written");
}

static void test_fatal(const struct gcu_config *c)
{
	struct run_opts ro = {c, 0, 0, -1, GCU_FORMAT_CSV};
	is_long(run(&ro, "id,wat\n" U1 ",1\n"), -2, "unknown CSV column: -2");
	has(err, "in:1: unknown column 'wat'", "with file:line in err");
}

int main(void)
{
	struct gcu_config c;

	if (mkdtemp(dir) == NULL || gcu_config_defaults(&c) < 0)
		return 2;
	test_split(&c);
	test_split_by_config();
	test_rejects(&c);
	test_fold(&c, 0);
	test_fold(&c, 1);
	test_fold_with_bad_row(&c);
	test_malformed(&c, 0);
	test_malformed(&c, 1);
	test_strict(&c);
	test_fatal(&c);
	gcu_config_free(&c);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return done_testing();
}
