/*
 * sim_hostile.h - hostile answers: what a broken proxy, a confused
 * gateway or a malicious endpoint could send back, so that tests can show
 * gcu refuses it cleanly (a clear error, no crash, bounded memory, every
 * record still ends in exactly one result).
 *
 * The modes are flags (gcu-sim --hostile MODE, repeatable). They are
 * applied to /api/v2 answers only, after the request was handled (and,
 * for a write that succeeded, applied), never to the token endpoint or
 * the /__sim/ admin routes, so a test can still read the true org.
 */
#ifndef GCU_SIM_HOSTILE_H
#define GCU_SIM_HOSTILE_H

#include <stdatomic.h>

enum sim_hostile_mode {
	SIM_HOSTILE_HUGE_HEADERS = 1 << 0, /* a 200 KB response header */
	SIM_HOSTILE_BIG_BODY = 1 << 1,     /* a 9 MiB body (above the 8 MiB default cap) */
	SIM_HOSTILE_BAD_JSON = 1 << 2,     /* invalid JSON bodies on 200 */
	SIM_HOSTILE_RA_HUGE = 1 << 3,      /* 429 with Retry-After: 1000000000 */
	SIM_HOSTILE_RA_NEGATIVE = 1 << 4,  /* 429 with Retry-After: -5 */
	SIM_HOSTILE_NOT_A_USER = 1 << 5    /* 200 with [], {"foo":1}, or such */
};

#define SIM_HOSTILE_HEADER_BYTES ((size_t)200 * 1024)
#define SIM_HOSTILE_BODY_BYTES   ((size_t)9 * 1024 * 1024)

struct sim_hostile {
	unsigned modes;
	atomic_ulong count; /* /api/v2 answers seen, for the rotations */
};

/*
 * Parses a mode name (huge-headers, big-body, bad-json, retry-after-huge,
 * retry-after-negative, not-a-user). Returns its flag, or 0 when the name
 * is unknown.
 */
unsigned sim_hostile_parse(const char *name);

/* The comma-separated list of mode names, for usage messages. */
const char *sim_hostile_names(void);

struct sim_reply;

/* Sets up h with the modes (a set of enum sim_hostile_mode flags). */
void sim_hostile_init(struct sim_hostile *h, unsigned modes);

/*
 * Called before an /api/v2 request is handled. Under retry-after-huge or
 * retry-after-negative, every third request is answered here with a 429
 * carrying the hostile Retry-After (the request is not applied); returns
 * 1 then, and the caller must not handle the request. Returns 0
 * otherwise, with rep untouched.
 */
int sim_hostile_pre(struct sim_hostile *h, struct sim_reply *rep);

/*
 * Called after an /api/v2 request was handled: rewrites rep as the modes
 * ask (a huge header on any answer; a huge, invalid or non-user body in
 * place of a 200's). A dropped connection is left alone. Never fails; an
 * allocation failure leaves the reply as it was.
 */
void sim_hostile_post(struct sim_hostile *h, struct sim_reply *rep);

#endif
