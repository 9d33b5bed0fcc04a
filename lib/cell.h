/*
 * cell.h - what the text of a CSV cell means as a JSON value.
 *
 * A change file from HR holds text; the platform wants numbers, booleans,
 * lists and maps. These functions read one cell's text by the rules the
 * README's CSV section gives: a number as an integer when it is one, a
 * boolean in the words people write, a list split on the separator, a
 * skill map of name:level items, and queue memberships where a leading
 * '-' means leave. They know nothing of columns or headers
 * (change_reader.c picks the function by the column's type), and take
 * the separator and the null marker as arguments, so that a test can
 * state each rule alone.
 *
 * Functions that split text (list, skills, memberships) cut it in place.
 * A value comes back as a new json-c reference the caller owns.
 */
#ifndef GCU_CELL_H
#define GCU_CELL_H

#include <stddef.h>

#include <json-c/json.h>

/* s without its leading and trailing white space, the invisible kinds
 * too (a no-break space, a zero-width space: text.h): cut in place, a
 * pointer into s. */
char *gcu_cell_trim(char *s);

/*
 * A whole number ("42", "-7") as an integer, else a finite decimal
 * ("4.5", "1e3") as a double. Returns 0 with *out set, or -1 (*out
 * untouched) for anything else: text after the number (trailing white
 * space included: trim first), an infinity or NaN, and a whole number
 * past 64 bits, which a double would round.
 */
int gcu_cell_number(const char *text, json_object **out);

/*
 * true, yes, y, 1 and false, no, n, 0, in any case. Returns 0 with *out
 * set, or -1 for anything else.
 */
int gcu_cell_bool(const char *text, json_object **out);

/* "a; b;;c" with sep ";": ["a","b","c"]: items trimmed, empty ones
 * dropped. */
json_object *gcu_cell_list(char *text, const char *sep);

/*
 * "Billing:4; VIP:\N" with sep ";" and null "\N": {"Billing":4,"VIP":null}
 * (a level of null or the word null removes the skill). The name is what
 * comes before the last ':', so that a name may hold a ':'. Returns 0
 * with *out set, or -1 with the reason in err: an item without ':', a
 * level that is not a number, a name listed twice with different levels.
 */
int gcu_cell_skills(char *text, const char *sep, const char *null, json_object **out, char *err,
                    size_t errlen);

/*
 * "Sales; -Billing" with sep ";": {"Sales":true,"Billing":false}, the
 * groups to be in and, with a leading '-', the ones to leave. Returns 0
 * with *out set, or -1 with the reason in err: a '-' that names nothing,
 * a name both joined and left.
 */
int gcu_cell_memberships(char *text, const char *sep, json_object **out, char *err, size_t errlen);

#endif
