/*
 * sim_auth.h - client credentials, access tokens and the per-token state
 * (rate-limit window, requests in flight).
 *
 * One mutex guards the token table and every token's state; holders do
 * only arithmetic under it, never I/O.
 */
#ifndef GCU_SIM_AUTH_H
#define GCU_SIM_AUTH_H

#include <pthread.h>
#include <stddef.h>

#include "sim_ratelimit.h"

#define SIM_TOKEN_LEN 40

struct sim_token {
	char token[SIM_TOKEN_LEN + 1];
	double expires; /* seconds since start */
	struct sim_window window;
	long inflight;
	long peak_inflight;
};

struct sim_auth {
	pthread_mutex_t lock;
	struct sim_token **tokens;
	size_t n, cap;
	const char *client_id; /* borrowed; must outlive the table */
	const char *client_secret;
	double ttl;
};

/* Initialises an empty table. Returns 0 or -1. */
int sim_auth_init(struct sim_auth *a, const char *client_id, const char *client_secret, double ttl);

/* Frees every token. */
void sim_auth_free(struct sim_auth *a);

/* True when header (an Authorization value, may be NULL) is HTTP Basic
 * with the configured client id and secret. */
int sim_auth_basic_ok(const struct sim_auth *a, const char *header);

/*
 * Issues a new token valid from now for a->ttl seconds: 40 hex digits
 * from /dev/urandom, copied to out (at least SIM_TOKEN_LEN + 1 bytes).
 * Returns 0, or -1 when randomness or memory is unavailable.
 */
int sim_auth_issue(struct sim_auth *a, double now, char *out);

/* The token named by an Authorization value ("Bearer ..."), or NULL when
 * missing, unknown or expired at now. The caller holds a->lock. */
struct sim_token *sim_auth_lookup(struct sim_auth *a, const char *header, double now);

/* Decodes standard base64 into out (NUL-terminated). Returns the decoded
 * length, or -1 for bad input or a short out. */
long sim_base64_decode(const char *in, char *out, size_t outlen);

#endif
