/*
 * test_cell.c - what a CSV cell's text means as a JSON value: the rules
 * of the README's CSV section, one assertion each, without a header or a
 * file around them.
 */
#include <string.h>

#include <json-c/json.h>

#include "cell.h"
#include "tap.h"

#define PLAIN JSON_C_TO_STRING_PLAIN

/* What a cell function gave, as compact JSON ("-" for none). A static
 * buffer: one call at a time. The value is put. */
static const char *text_of(json_object *v)
{
	static char buf[256];

	snprintf(buf, sizeof buf, "%s", v ? json_object_to_json_string_ext(v, PLAIN) : "-");
	json_object_put(v);
	return buf;
}

/* A number cell, or "error". */
static const char *number(const char *text)
{
	json_object *v = NULL;
	return gcu_cell_number(text, &v) == 0 ? text_of(v) : "error";
}

static const char *boolean(const char *text)
{
	json_object *v = NULL;
	return gcu_cell_bool(text, &v) == 0 ? text_of(v) : "error";
}

static const char *list(const char *text)
{
	char cell[128];
	snprintf(cell, sizeof cell, "%s", text);
	return text_of(gcu_cell_list(cell, ";"));
}

/* What a cell function that can refuse gave: the value, or "error: why". */
static const char *outcome(int rc, json_object *v, const char *err)
{
	static char out[256];

	if (rc == 0)
		return text_of(v);
	snprintf(out, sizeof out, "error: %s", err);
	return out;
}

/* The cell functions on a copy of text (they cut it), with ";" between
 * items and "\\N" for null. */
static const char *skills(const char *text)
{
	char cell[128], err[128] = "";
	json_object *v = NULL;

	snprintf(cell, sizeof cell, "%s", text);
	int rc = gcu_cell_skills(cell, ";", "\\N", &v, err, sizeof err);
	return outcome(rc, v, err);
}

static const char *memberships(const char *text)
{
	char cell[128], err[128] = "";
	json_object *v = NULL;

	snprintf(cell, sizeof cell, "%s", text);
	int rc = gcu_cell_memberships(cell, ";", &v, err, sizeof err);
	return outcome(rc, v, err);
}

int main(void)
{
	char padded[] = " \t Lead  \r";

	is_str(gcu_cell_trim(padded), "Lead", "trim drops white space on both sides, CR included");
	char pasted[] = "\xC2\xA0\xE2\x80\x8B ann@x.com\xE2\x80\xAF\xEF\xBB\xBF\xC2\xA0";
	is_str(gcu_cell_trim(pasted), "ann@x.com",
	       "and the invisible kinds a paste brings: no-break, zero-width, a byte-order mark");
	is_str(gcu_cell_trim((char *)""), "", "nothing to cut, nothing written: a literal is safe");
	char inside[] = "Ann\xC2\xA0Lee\xE2\x80\x8C";
	is_str(gcu_cell_trim(inside), "Ann\xC2\xA0Lee", "what is inside stays");

	is_str(number("42"), "42", "a whole number is an integer");
	is_str(number("-7"), "-7", "a negative one too");
	is_str(number("4.5"), "4.5", "a decimal is a double");
	is_str(number("1e3"), "1000.0", "an exponent is a double");
	is_str(number("12abc"), "error", "a number followed by text is not one");
	is_str(number(""), "error", "an empty cell is not a number");
	is_str(number("inf"), "error", "an infinity is not a number JSON can hold");
	is_str(number("nan"), "error", "neither is NaN");
	is_str(number("99999999999999999999999"), "error",
	       "a whole number past 64 bits is refused, not rounded");

	is_str(boolean("yes"), "true", "yes is true");
	is_str(boolean("Y"), "true", "in any case");
	is_str(boolean("1"), "true", "1 is true");
	is_str(boolean("FALSE"), "false", "false in capitals is false");
	is_str(boolean("n"), "false", "n is false");
	is_str(boolean("0"), "false", "0 is false");
	is_str(boolean("maybe"), "error", "other words are neither");
	is_str(boolean(""), "error", "nor is an empty cell");

	is_str(list("a; b;;c ;"), "[\"a\",\"b\",\"c\"]",
	       "a list is split on the separator, trimmed, empty items dropped");
	is_str(list(" ; "), "[]", "a list of nothing is empty");

	is_str(skills("Billing:4; VIP:\\N"), "{\"Billing\":4,\"VIP\":null}",
	       "skills are name:level; the null marker as a level removes one");
	is_str(skills("VIP:null"), "{\"VIP\":null}", "so does the word null");
	is_str(skills("Tier 2: Chat:3"), "{\"Tier 2: Chat\":3}",
	       "the level is after the last ':', so a name may hold one");
	is_str(skills("Billing:4;Billing:4"), "{\"Billing\":4}",
	       "a skill listed twice with the same level is one");
	is_str(skills("Billing:4;Billing:5"),
	       "error: 'Billing' is listed twice with different levels",
	       "twice with different levels is refused");
	is_str(skills("Billing"), "error: 'Billing' is not name:proficiency (Technical:4)",
	       "an item without a level is refused");
	is_str(skills("Billing:high"), "error: 'high' is not a proficiency",
	       "a level that is not a number is refused");
	is_str(skills(";;"), "{}", "an empty list of skills is an empty map");

	is_str(memberships("Sales; -Billing"), "{\"Sales\":true,\"Billing\":false}",
	       "queues: a name joins, a leading '-' leaves");
	is_str(memberships("- Billing"), "{\"Billing\":false}", "white space after '-' is dropped");
	is_str(memberships("Sales;Sales"), "{\"Sales\":true}", "a queue joined twice is joined");
	is_str(memberships("Sales;-Sales"), "error: 'Sales' is both joined and left",
	       "joined and left in one cell is refused");
	is_str(memberships("-"), "error: '-' names nothing to leave", "a lone '-' is refused");
	return done_testing();
}
