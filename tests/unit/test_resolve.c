/*
 * test_resolve.c - matching keys and names against a directory held in
 * memory: what a name must match to be taken, what is said when it does
 * not, and what the first pass asks the directory to find.
 *
 * Each assertion states a rule of resolve.h: a UUID is an id and is not
 * looked up; a key or name matches in any letter case (an employeeId
 * exactly); of several that match in any case, the one in the very same
 * case is meant, else it is ambiguous; a miss names the field and the
 * value, with a near miss (Damerau-Levenshtein) when there is one, but
 * never a user's near miss when not every user was read; an inactive user
 * is found and said to be; a deleted one is not found; two names for one
 * skill fold when they agree; what gcu-partition would refuse is refused.
 * Then the directory's own rules: what it knows (searched values only,
 * catalogues read), the cheaper of its two ways to find users, and a
 * capture that loads back to the same answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "directory.h"
#include "ndjson.h"
#include "resolve.h"
#include "tap.h"
#include "test_json.h"

#define ANN   "a0000000-0000-4000-8000-000000000001"
#define BO    "a0000000-0000-4000-8000-000000000002"
#define CY    "a0000000-0000-4000-8000-000000000003"
#define DI    "a0000000-0000-4000-8000-000000000004"
#define GONE  "a0000000-0000-4000-8000-000000000005"
#define TECH  "b0000000-0000-4000-8000-000000000001"
#define VIP   "b0000000-0000-4000-8000-000000000002"
#define VIPLO "b0000000-0000-4000-8000-000000000003"
#define BILL1 "b0000000-0000-4000-8000-000000000004"
#define BILL2 "b0000000-0000-4000-8000-000000000005"
#define FR    "c0000000-0000-4000-8000-000000000001"

static struct gcu_config cfg;
static char why[1024], note[512], line[2048];

static void add_user(struct gcu_directory *d, const char *json)
{
	json_object *u = test_json(json);
	gcu_directory_add_user(d, u);
	json_object_put(u);
}

/* The org of these tests, every user and catalogue read. */
static struct gcu_directory *org(void)
{
	struct gcu_directory *d = gcu_directory_new();

	add_user(d,
	         "{\"id\":\"" ANN "\",\"name\":\"Ann\",\"state\":\"active\",\"email\":"
	         "\"ann@x.com\",\"username\":\"ann\",\"employerInfo\":{\"employeeId\":\"E100\"}}");
	add_user(d, "{\"id\":\"" BO "\",\"name\":\"Bo\",\"state\":\"inactive\",\"email\":"
	            "\"bo@x.com\"}");
	/* Two users with one email, in two cases. */
	add_user(d, "{\"id\":\"" CY "\",\"state\":\"active\",\"email\":\"cy@x.com\"}");
	add_user(d, "{\"id\":\"" DI "\",\"state\":\"active\",\"email\":\"CY@x.com\"}");
	add_user(d, "{\"id\":\"" GONE "\",\"state\":\"deleted\",\"email\":\"gone@x.com\"}");
	gcu_directory_add_entry(d, GCU_REF_SKILL, TECH, "Technical");
	gcu_directory_add_entry(d, GCU_REF_SKILL, VIP, "VIP");
	gcu_directory_add_entry(d, GCU_REF_SKILL, VIPLO, "vip");
	gcu_directory_add_entry(d, GCU_REF_SKILL, BILL1, "Billing");
	gcu_directory_add_entry(d, GCU_REF_SKILL, BILL2, "Billing");
	gcu_directory_add_entry(d, GCU_REF_LANGUAGE, FR, "French");
	gcu_directory_know_all_users(d);
	gcu_directory_know_catalogue(d, GCU_REF_SKILL);
	gcu_directory_know_catalogue(d, GCU_REF_LANGUAGE);
	return d;
}

/* Resolves text; the record written as compact JSON in line, or "" with
 * the reason in why. */
static const char *resolve(const struct gcu_directory *d, const char *text,
                           struct gcu_resolve_tally *t)
{
	struct gcu_resolve_tally scratch = {{0}, {0}, 0};
	json_object *rec = test_json(text);
	json_object *out = gcu_resolve_record(&cfg, d, rec, "hr.csv:7", t ? t : &scratch, note,
	                                      sizeof note, why, sizeof why);
	snprintf(line, sizeof line, "%s", out ? ndjson_string(out, NULL) : "");
	if (out)
		why[0] = '\0';
	json_object_put(out);
	json_object_put(rec);
	return line;
}

static void test_keys(const struct gcu_directory *d)
{
	struct gcu_resolve_tally t = {{0}, {0}, 0};

	is_str(resolve(d, "{\"email\":\"ANN@x.com\",\"changes\":{\"title\":\"Lead\"}}", &t),
	       "{\"id\":\"" ANN "\",\"key\":\"email:ANN@x.com\",\"src\":\"hr.csv:7\","
	       "\"changes\":{\"title\":\"Lead\"}}",
	       "an email matches in any case; the key and src are kept");
	is_str(resolve(d, "{\"username\":\"Ann\",\"changes\":{\"title\":\"Lead\"}}", &t),
	       "{\"id\":\"" ANN "\",\"key\":\"username:Ann\",\"src\":\"hr.csv:7\","
	       "\"changes\":{\"title\":\"Lead\"}}",
	       "so does a username");
	resolve(d, "{\"employeeId\":\"E100\",\"src\":\"hr.csv:2\",\"changes\":{\"title\":\"A\"}}",
	        &t);
	ok(strstr(line, "\"id\":\"" ANN "\"") && strstr(line, "\"src\":\"hr.csv:2\""),
	   "an employeeId matches exactly; a record's own src stays");
	is_str(resolve(d, "{\"employeeId\":\"e100\",\"changes\":{\"title\":\"A\"}}", &t), "",
	       "an employeeId in another case is another id");
	is_str(why, "no user with employeeId 'e100'; did you mean 'E100'?",
	       "and the miss says so, with the near one");
	is_str(resolve(d, "{\"email\":\"" BO "\",\"changes\":{\"title\":\"A\"}}", &t),
	       "{\"id\":\"" BO "\",\"key\":\"email:" BO "\",\"src\":\"hr.csv:7\","
	       "\"changes\":{\"title\":\"A\"}}",
	       "a UUID is an id, whatever the key says");
	is_str(resolve(d, "{\"id\":\"" ANN "\",\"changes\":{\"title\":\"A\"}}", &t),
	       "{\"id\":\"" ANN "\",\"src\":\"hr.csv:7\",\"changes\":{\"title\":\"A\"}}",
	       "a record by id gets no key");
	is_long(t.keys[GCU_KEY_EMAIL], 2, "counted: records by email");
	is_long(t.keys[GCU_KEY_ID], 1, "counted: records by id");
	is_long(t.keys[GCU_KEY_EMPLOYEE_ID], 1, "counted: by employeeId, the rejected one not");

	is_str(resolve(d, "{\"email\":\"nobody@x.com\",\"changes\":{\"title\":\"A\"}}", NULL), "",
	       "an email nobody has is refused");
	is_str(why, "no user with email 'nobody@x.com'", "and said so, without a far guess");
	resolve(d, "{\"email\":\"an@x.com\",\"changes\":{\"title\":\"A\"}}", NULL);
	is_str(why, "no user with email 'an@x.com'; did you mean 'ann@x.com'?",
	       "a near miss is suggested");
	resolve(d, "{\"email\":\"ann@x.com\\u00a0\",\"changes\":{\"title\":\"A\"}}", NULL);
	is_str(why, "no user with email 'ann@x.com<U+00A0>'; did you mean 'ann@x.com'?",
	       "what a terminal hides is shown: a no-break space");
	resolve(d, "{\"email\":\"gone@x.com\",\"changes\":{\"title\":\"A\"}}", NULL);
	is_str(why, "no user with email 'gone@x.com'", "a deleted user is not found");

	resolve(d, "{\"email\":\"Cy@x.com\",\"changes\":{\"title\":\"A\"}}", NULL);
	is_str(why, "2 users have email 'Cy@x.com' (" CY ", " DI "): name it by id",
	       "two users match in any case, neither exactly: ambiguous, both named");
	ok(strstr(resolve(d, "{\"email\":\"CY@x.com\",\"changes\":{\"title\":\"A\"}}", NULL),
	          "\"id\":\"" DI "\"") != NULL,
	   "of two, the one in the very same case is meant");

	note[0] = 'x';
	resolve(d, "{\"email\":\"bo@x.com\",\"changes\":{\"title\":\"A\"}}", &t);
	ok(strstr(line, "\"id\":\"" BO "\"") != NULL, "an inactive user is found");
	is_str(note, "user 'bo@x.com' is inactive", "and said to be");
	is_long(t.inactive, 1, "and counted");
	resolve(d, "{\"email\":\"ann@x.com\",\"changes\":{\"title\":\"A\"}}", &t);
	is_str(note, "", "an active one is not");
}

static void test_names(const struct gcu_directory *d)
{
	struct gcu_resolve_tally t = {{0}, {0}, 0};

	is_str(resolve(d,
	               "{\"id\":\"" ANN "\",\"changes\":{\"routingSkills\":{\"technical\":4,\"" VIP
	               "\":null},\"routingLanguages\":{\"French\":3},\"manager\":\"Bo@x.com\"}}",
	               &t),
	       "{\"id\":\"" ANN "\",\"src\":\"hr.csv:7\",\"changes\":{\"routingSkills\":{\"" TECH
	       "\":4,\"" VIP "\":null},\"routingLanguages\":{\"" FR "\":3},\"manager\":\"" BO
	       "\"}}",
	       "skills, languages and the manager by name or email become ids; ids stay");
	is_str(note, "manager 'Bo@x.com' is inactive", "an inactive manager is said to be");
	is_long(t.names[GCU_REF_SKILL], 1, "counted: skill names (not the id)");
	is_long(t.names[GCU_REF_LANGUAGE], 1, "counted: language names");
	is_long(t.names[GCU_REF_USER], 1, "counted: managers by email");

	resolve(d, "{\"id\":\"" ANN "\",\"changes\":{\"routingSkills\":{\"Techincal\":4}}}", NULL);
	is_str(why, "routingSkills: no skill 'Techincal'; did you mean 'Technical'?",
	       "a misspelt skill: the field, the name, the near miss");
	resolve(d, "{\"id\":\"" ANN "\",\"changes\":{\"routingSkills\":{\"Billing\":4}}}", NULL);
	is_str(why,
	       "routingSkills: 2 skills are named 'Billing' (" BILL1 ", " BILL2 "): name it by id",
	       "two skills of one name: ambiguous, both named");
	ok(strstr(
	       resolve(d, "{\"id\":\"" ANN "\",\"changes\":{\"routingSkills\":{\"vip\":4}}}", NULL),
	       VIPLO) != NULL,
	   "VIP and vip: 'vip' is the one in its own case");
	resolve(d, "{\"id\":\"" ANN "\",\"changes\":{\"routingSkills\":{\"Vip\":4}}}", NULL);
	ok(strncmp(why, "routingSkills: 2 skills are named 'Vip'", 39) == 0,
	   "'Vip' is neither: ambiguous");
	resolve(d, "{\"id\":\"" ANN "\",\"changes\":{\"manager\":\"nobody@x.com\"}}", NULL);
	is_str(why, "manager: no user with email 'nobody@x.com'", "a manager nobody is");

	is_str(resolve(d,
	               "{\"id\":\"" ANN "\",\"changes\":{\"routingSkills\":{\"Technical\":4,\"" TECH
	               "\":4}}}",
	               NULL),
	       "{\"id\":\"" ANN "\",\"src\":\"hr.csv:7\",\"changes\":{\"routingSkills\":{\"" TECH
	       "\":4}}}",
	       "a skill by name and by id, alike: one entry");
	resolve(d,
	        "{\"id\":\"" ANN "\",\"changes\":{\"routingSkills\":{\"Technical\":4,\"" TECH
	        "\":2}}}",
	        NULL);
	is_str(why,
	       "routingSkills: 'Technical' and '" TECH
	       "' are the same skill, with different values",
	       "unlike: refused, naming both");
	is_str(resolve(d,
	               "{\"id\":\"" ANN "\",\"changes\":{\"routingSkills\":[{\"id\":\"VIP\","
	               "\"level\":2}],\"manager\":{\"id\":\"ann@x.com\"}}}",
	               NULL),
	       "{\"id\":\"" ANN
	       "\",\"src\":\"hr.csv:7\",\"changes\":{\"routingSkills\":[{\"id\":\"" VIP
	       "\",\"level\":2}],\"manager\":\"" ANN "\"}}",
	       "the list form and a manager as {\"id\"} are resolved too");
	resolve(d, "{\"id\":\"" ANN "\",\"changes\":{\"tittle\":\"A\"}}", NULL);
	is_str(why, "unknown field 'tittle'", "what gcu-partition refuses is refused here");
	resolve(d, "{\"id\":\"" ANN "\",\"email\":\"ann@x.com\",\"changes\":{\"title\":\"A\"}}",
	        NULL);
	is_str(why, "names its user twice: 'id' and 'email' (keep one)", "two keys: refused");
}

static void test_partial(void)
{
	struct gcu_directory *d = gcu_directory_new();

	add_user(d, "{\"id\":\"" ANN "\",\"state\":\"active\",\"email\":\"ann@x.com\"}");
	gcu_directory_know_value(d, GCU_KEY_EMAIL, "ANN@x.com");
	ok(strstr(resolve(d, "{\"email\":\"ann@X.com\",\"changes\":{\"title\":\"A\"}}", NULL),
	          ANN) != NULL,
	   "a directory read by search finds what it searched for, in any case");
	resolve(d, "{\"email\":\"an@x.com\",\"changes\":{\"title\":\"A\"}}", NULL);
	is_str(why,
	       "email 'an@x.com' is not in the directory capture, which holds only the users "
	       "searched for when it was made",
	       "and cannot say anything of what it did not search for");
	resolve(d, "{\"id\":\"" ANN "\",\"changes\":{\"routingSkills\":{\"VIP\":1}}}", NULL);
	is_str(why, "routingSkills: the directory capture holds no skills",
	       "a catalogue it did not read");
	gcu_directory_know_value(d, GCU_KEY_EMAIL, "an@x.com");
	resolve(d, "{\"email\":\"an@x.com\",\"changes\":{\"title\":\"A\"}}", NULL);
	is_str(why, "no user with email 'an@x.com'",
	       "searched for and not found: no near miss from a part of the org");
	gcu_directory_free(d);
}

static void test_needs(void)
{
	struct gcu_resolve_needs n;
	static const char *const recs[] = {
	    "{\"email\":\"Ann@x.com\",\"changes\":{\"manager\":\"bo@x.com\",\"routingSkills\":"
	    "{\"Technical\":3,\"" TECH "\":1}}}",
	    "{\"email\":\"ann@X.com\",\"changes\":{\"manager\":\"" BO "\"}}",
	    "{\"id\":\"" ANN "\",\"changes\":{\"routingLanguages\":[{\"id\":\"French\"}]}}",
	    "{\"username\":\"" CY "\",\"changes\":{\"title\":\"A\"}}",
	    "{\"changes\":{\"title\":\"A\"}}"};

	memset(&n, 0, sizeof n);
	for (size_t i = 0; i < sizeof recs / sizeof *recs; i++) {
		json_object *r = test_json(recs[i]);
		ok(gcu_resolve_need(&n, r) == 0, "need: a record is taken");
		json_object_put(r);
	}
	is_long(n.dir.nvalues[GCU_KEY_EMAIL], 2,
	        "need: emails once each, in any case, managers too");
	ok(n.dir.nvalues[GCU_KEY_EMAIL] == 2 &&
	       strcmp(n.dir.values[GCU_KEY_EMAIL][0], "ann@x.com") == 0 &&
	       strcmp(n.dir.values[GCU_KEY_EMAIL][1], "bo@x.com") == 0,
	   "need: as the directory compares them");
	is_long(n.dir.nvalues[GCU_KEY_USERNAME], 0, "need: a UUID is not looked up");
	ok(n.dir.catalogue[GCU_REF_SKILL] && n.dir.catalogue[GCU_REF_LANGUAGE] &&
	       !n.dir.catalogue[GCU_REF_QUEUE],
	   "need: the catalogues named, and only those");
	is_long(n.names[GCU_REF_SKILL], 1, "need: skill names counted, ids not");
	is_long(n.keyed[GCU_KEY_EMAIL], 2, "need: records by email counted");
	ok(gcu_resolve_needs_any(&n), "need: something to read");
	gcu_resolve_needs_free(&n);

	json_object *r = test_json("{\"id\":\"" ANN "\",\"changes\":{\"manager\":\"" BO "\","
	                           "\"routingSkills\":{\"" TECH "\":2}}}");
	gcu_resolve_need(&n, r);
	json_object_put(r);
	ok(!gcu_resolve_needs_any(&n), "need: every user and reference an id: nothing to read");
	gcu_resolve_needs_free(&n);
}

static void test_plan(void)
{
	struct gcu_dir_needs n = {0};

	n.nvalues[GCU_KEY_EMAIL] = 250;
	n.nvalues[GCU_KEY_EMPLOYEE_ID] = 1;
	is_long(gcu_dir_searches(&n), 4, "searches: 100 values each, per key");
	is_long(gcu_dir_choose(0, -1), GCU_PLAN_NONE, "no user to find: none");
	is_long(gcu_dir_choose(1, -1), GCU_PLAN_SEARCH,
	        "one search costs no more than the directory's first page: search");
	is_long(gcu_dir_choose(4, -1), GCU_PLAN_DIRECTORY, "more: the first page tells");
	is_long(gcu_dir_choose(4, 20), GCU_PLAN_SEARCH,
	        "4 searches against 19 more pages (10,000 users): search");
	is_long(gcu_dir_choose(4, 5), GCU_PLAN_DIRECTORY, "4 against 4 more pages: the directory");
	is_long(gcu_dir_choose(20, 20), GCU_PLAN_DIRECTORY,
	        "2,000 users of 10,000: 20 searches against 19 pages: the directory");
}

static void test_capture(const struct gcu_directory *d)
{
	char path[] = "/tmp/test_resolve.XXXXXX", err[512];
	int fd = mkstemp(path);
	struct gcu_directory *back;

	close(fd);
	ok(gcu_directory_write(d, path, err, sizeof err) == 0, "capture: written");
	back = gcu_directory_load(path, 1 << 20, err, sizeof err);
	ok(back != NULL, "capture: loads back");
	if (back == NULL) {
		printf("# %s\n", err);
		return;
	}
	is_long(gcu_directory_users(back), 4, "capture: every user but the deleted one");
	ok(strstr(resolve(back,
	                  "{\"employeeId\":\"E100\",\"changes\":{\"routingSkills\":{\"vip\":1}}}",
	                  NULL),
	          "\"id\":\"" ANN "\",\"key\":\"employeeId:E100\",\"src\":\"hr.csv:7\","
	          "\"changes\":{\"routingSkills\":{\"" VIPLO "\":1}}") != NULL,
	   "capture: the same answers");
	resolve(back, "{\"email\":\"bo@x.com\",\"changes\":{\"title\":\"A\"}}", NULL);
	is_str(note, "user 'bo@x.com' is inactive", "capture: states kept");
	resolve(back, "{\"email\":\"Cy@x.com\",\"changes\":{\"title\":\"A\"}}", NULL);
	ok(strncmp(why, "2 users have email", 18) == 0, "capture: the ambiguity kept");
	gcu_directory_free(back);

	/* An org dump: users with their skills, no first line. */
	FILE *f = fopen(path, "w");
	fprintf(f, "{\"kind\":\"language\",\"id\":\"" FR "\",\"name\":\"French\"}\n"
	           "{\"id\":\"" ANN "\",\"email\":\"ann@x.com\",\"skills\":[{\"id\":\"" TECH
	           "\",\"name\":\"Technical\",\"proficiency\":3}]}\n");
	fclose(f);
	back = gcu_directory_load(path, 1 << 20, err, sizeof err);
	ok(back && strstr(resolve(back,
	                          "{\"email\":\"ann@x.com\",\"changes\":{\"routingSkills\":{"
	                          "\"Technical\":1},\"routingLanguages\":{\"French\":2}}}",
	                          NULL),
	                  TECH) != NULL,
	   "an org dump knows every user, and the skills its users have");
	gcu_directory_free(back);
	f = fopen(path, "w");
	fprintf(f,
	        "{\"id\":\"" ANN "\"}\n{\"kind\":\"planet\",\"id\":\"" FR "\",\"name\":\"x\"}\n");
	fclose(f);
	ok(gcu_directory_load(path, 1 << 20, err, sizeof err) == NULL &&
	       strstr(err, ":2: unknown kind 'planet'") != NULL,
	   "a line of an unknown kind is refused with its line");
	unlink(path);
}

int main(void)
{
	if (gcu_config_defaults(&cfg) < 0)
		return 2;
	struct gcu_directory *d = org();
	test_keys(d);
	test_names(d);
	test_partial();
	test_needs();
	test_plan();
	test_capture(d);
	gcu_directory_free(d);
	gcu_config_free(&cfg);
	ndjson_parse_release();
	return done_testing();
}
