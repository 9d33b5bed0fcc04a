/*
 * text.h - what gcu accepts as text.
 *
 * Every value gcu reads ends up in a JSON body for the platform or in a
 * record for the next stage, and both are UTF-8. A byte that is not part
 * of well-formed UTF-8, or a NUL byte, has no meaning there: passed on it
 * is mangled somewhere downstream (replaced by U+FFFD, or a C string cut
 * short), so the record it belongs to is refused at the door instead,
 * with the place and the reason. The CSV reader checks each cell, the
 * NDJSON parser each line, both with this one check.
 */
#ifndef GCU_TEXT_H
#define GCU_TEXT_H

#include <stddef.h>

/*
 * Looks for the first byte of s[0..len) that is not text: a NUL byte, or
 * anything that is not well-formed UTF-8 as RFC 3629 defines it (no
 * overlong forms, no UTF-16 surrogates ED A0..ED BF, nothing above
 * U+10FFFF, no sequence cut short by the end of s). Returns len when all
 * of s is text; otherwise the offset of the bad sequence's first byte,
 * with the reason in why ("NUL byte", "invalid UTF-8 (bytes C3 28)").
 * One pass, no allocation; s need not be NUL-terminated. why may be NULL
 * when whylen is 0.
 */
size_t gcu_text_check(const char *s, size_t len, char *why, size_t whylen);

/*
 * The length in bytes of the character at s when it prints as nothing or
 * as a plain space but is not one: a no-break space (U+00A0, U+2007,
 * U+202F), a zero-width space, non-joiner or joiner (U+200B to U+200D), a
 * byte-order mark (U+FEFF); else 0. Such characters come with text copied
 * from a web page or a spreadsheet, and a terminal does not show them.
 */
size_t gcu_text_invisible(const char *s);

/*
 * s as a message should quote it: each character that gcu_text_invisible
 * names, and each control character, written as <U+XXXX>, so that
 * "no user with email 'ann@x.com<U+00A0>'" shows what a terminal hides.
 * Writes into buf (cut to len bytes) and returns it.
 */
const char *gcu_text_shown(const char *s, char *buf, size_t len);

#endif
