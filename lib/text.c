/*
 * text.c - the UTF-8 and NUL check behind every reader.
 *
 * Most input is ASCII, so the loop takes eight bytes at a time while none
 * of them has the high bit set and none is zero, and decodes a multibyte
 * sequence only where one starts. The ranges of the second byte are those
 * of RFC 3629's table (section 4): they are what rules out overlong forms,
 * surrogates and code points above U+10FFFF.
 */
#include "text.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ONES  UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Writes "invalid UTF-8 (bytes XX YY)" for the n bytes at p. */
static void bad_bytes(const unsigned char *p, size_t n, char *why, size_t whylen)
{
	char hex[3 * 4 + 1] = "";
	size_t off = 0;

	if (whylen == 0)
		return;
	for (size_t i = 0; i < n && i < 4; i++)
		off += (size_t)snprintf(hex + off, sizeof hex - off, "%s%02X", i ? " " : "", p[i]);
	snprintf(why, whylen, "invalid UTF-8 (byte%s %s)", n > 1 ? "s" : "", hex);
}

size_t gcu_text_check(const char *s, size_t len, char *why, size_t whylen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		uint64_t w;
		/* Eight ASCII bytes, none of them zero (the has-zero-byte test:
		 * only a zero byte borrows into its own high bit). */
		while (i + 8 <= len) {
			memcpy(&w, p + i, 8);
			if ((w & HIGHS) != 0 || ((w - ONES) & ~w & HIGHS) != 0)
				break;
			i += 8;
		}
		if (i == len)
			break;
		unsigned c = p[i];
		if (c == 0) {
			if (whylen)
				snprintf(why, whylen, "NUL byte");
			return i;
		}
		if (c < 0x80) {
			i++;
			continue;
		}
		/* n continuation bytes; the first lies in [lo, hi], the others
		 * in [80, BF]. */
		size_t n;
		unsigned lo = 0x80, hi = 0xBF;
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			if (c == 0xE0)
				lo = 0xA0; /* below is overlong */
			else if (c == 0xED)
				hi = 0x9F; /* above is a surrogate */
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			if (c == 0xF0)
				lo = 0x90; /* below is overlong */
			else if (c == 0xF4)
				hi = 0x8F; /* above is past U+10FFFF */
		} else {
			bad_bytes(p + i, 1, why, whylen);
			return i;
		}
		for (size_t k = 1; k <= n; k++) {
			if (i + k == len) {
				bad_bytes(p + i, k, why, whylen);
				return i;
			}
			unsigned b = p[i + k];
			if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) {
				bad_bytes(p + i, k + 1, why, whylen);
				return i;
			}
		}
		i += n + 1;
	}
	return len;
}

size_t gcu_text_invisible(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (p[0] == 0xC2 && p[1] == 0xA0)
		return 2;
	if (p[0] == 0xE2 && p[1] == 0x80 &&
	    ((p[2] >= 0x8B && p[2] <= 0x8D) || p[2] == 0x87 || p[2] == 0xAF))
		return 3;
	if (p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		return 3;
	return 0;
}

/* The code point of the n-byte UTF-8 sequence at p (n 1 to 3). */
static unsigned code_point(const unsigned char *p, size_t n)
{
	if (n == 2)
		return (p[0] & 0x1Fu) << 6 | (p[1] & 0x3Fu);
	if (n == 3)
		return (p[0] & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu);
	return p[0];
}

const char *gcu_text_shown(const char *s, char *buf, size_t len)
{
	size_t w = 0;

	if (len == 0)
		return buf;
	for (const char *p = s; *p && w + 1 < len;) {
		size_t n = gcu_text_invisible(p);
		if (n == 0 && (unsigned char)*p < 0x20)
			n = 1;
		if (n == 0) {
			buf[w++] = *p++;
			continue;
		}
		int k =
		    snprintf(buf + w, len - w, "<U+%04X>", code_point((const unsigned char *)p, n));
		if (k < 0 || (size_t)k >= len - w)
			break;
		w += (size_t)k;
		p += n;
	}
	buf[w] = '\0';
	return buf;
}
