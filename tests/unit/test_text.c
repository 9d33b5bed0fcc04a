/*
 * test_text.c - the characters a terminal hides, and how a message shows
 * them: a no-break space, the zero-width ones, a byte-order mark and
 * control characters as <U+XXXX>; everything else as it is, multibyte
 * text included; a small buffer cut, never overrun.
 */
#include <string.h>

#include "tap.h"
#include "text.h"

int main(void)
{
	char buf[64];

	is_long(gcu_text_invisible("\xC2\xA0x"), 2, "U+00A0 no-break space: 2 bytes");
	is_long(gcu_text_invisible("\xE2\x80\x8B"), 3, "U+200B zero-width space: 3 bytes");
	is_long(gcu_text_invisible("\xE2\x80\xAF"), 3, "U+202F narrow no-break space");
	is_long(gcu_text_invisible("\xEF\xBB\xBF"), 3, "U+FEFF byte-order mark");
	is_long(gcu_text_invisible("\xE2\x80\x94"), 0, "an em dash shows: not invisible");
	is_long(gcu_text_invisible("\xC3\xA9"), 0, "nor does an accented letter");
	is_long(gcu_text_invisible(" "), 0, "a plain space is a space, not hidden");

	is_str(gcu_text_shown("ann@x.com\xC2\xA0", buf, sizeof buf), "ann@x.com<U+00A0>",
	       "shown: a no-break space");
	is_str(gcu_text_shown("\xE2\x80\x8B"
	                      "Bo\tLee",
	                      buf, sizeof buf),
	       "<U+200B>Bo<U+0009>Lee", "a zero-width space and a tab");
	is_str(gcu_text_shown("Zo\xC3\xAB", buf, sizeof buf), "Zo\xC3\xAB",
	       "multibyte text as it is");
	is_str(gcu_text_shown("abcdef\xC2\xA0", buf, 10), "abcdef", "a cut buffer: no half escape");
	is_long(strlen(gcu_text_shown("abcdefghijklmnop", buf, 5)), 4, "and never past its size");
	return done_testing();
}
