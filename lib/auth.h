/*
 * auth.h - where to reach the platform and the bearer token to do it
 * with.
 *
 * The API base comes from GCU_API_BASE (auth.api_base) or from the region;
 * the token comes from the OAuth client-credentials grant (client id and
 * secret, HTTP Basic) or, failing credentials, from an existing token in
 * GCU_ACCESS_TOKEN. A token is renewed shortly before it expires and on
 * demand after a 401. Secrets and tokens live only in memory that is wiped
 * when freed; they never enter an error message, a URL or argv.
 */
#ifndef GCU_AUTH_H
#define GCU_AUTH_H

#include <stddef.h>

#include "config.h"

/* Results, equal to the exit code a stage should use for each. */
enum gcu_auth_status {
	GCU_AUTH_OK = 0,
	GCU_AUTH_USAGE = 64,       /* no credentials, no region, a refused URL */
	GCU_AUTH_UNAVAILABLE = 69, /* login service unreachable, 5xx, 429, bad answer */
	GCU_AUTH_SOFTWARE = 70,    /* out of memory */
	GCU_AUTH_DENIED = 77,      /* credentials or token refused */
};

/* Renew this long before expiry at the most (less for short-lived tokens). */
#define GCU_AUTH_MARGIN 60.0

struct gcu_auth {
	char *api_base;      /* "https://api.<domain>" or GCU_API_BASE, no trailing / */
	char *token_url;     /* where the client-credentials grant is posted */
	char *client_id;     /* NULL when none */
	char *client_secret; /* NULL when none; wiped on free */
	char *token;         /* current access token or NULL; wiped on free */
	int token_from_env;  /* token came from GCU_ACCESS_TOKEN */
	double obtained_at;  /* monotonic time the token was obtained */
	double expires_at;   /* monotonic expiry, INFINITY when unknown */
	double lifetime;     /* expires_in of the last grant, INFINITY when unknown */
	double connect_timeout, request_timeout;
	long grants; /* tokens obtained from the login service */
};

/*
 * Resolves endpoints and credentials from c and the environment
 * (GCU_LOGIN_BASE, GCU_ACCESS_TOKEN). Makes no request. The API base is
 * c->auth_api_base when set, else https://api.<domain> of c->auth_region;
 * the token URL is $GCU_LOGIN_BASE/oauth/token when set, else
 * <api base>/oauth/token for an explicit API base, else
 * https://login.<domain>/oauth/token. Every URL must pass
 * gcu_url_allowed and carry no user info. Returns GCU_AUTH_OK, or
 * GCU_AUTH_USAGE / GCU_AUTH_SOFTWARE with a message in err (never a
 * secret). a is always safe to pass to gcu_auth_free afterwards.
 */
int gcu_auth_init(struct gcu_auth *a, const struct gcu_config *c, char *err, size_t errlen);

/*
 * Whether c and the environment name anything to connect to: a platform
 * (auth.api_base, auth.region), client credentials or GCU_ACCESS_TOKEN.
 * When nothing is named, a caller may choose a default (run.sh runs
 * against the simulator); when anything is, gcu_auth_init says what is
 * missing or wrong.
 */
int gcu_auth_configured(const struct gcu_config *c);

/*
 * Makes sure a holds a usable token: obtains one by client credentials
 * when there is none or it is within GCU_AUTH_MARGIN seconds (or a tenth
 * of its life, whichever is less) of expiry. An environment token without
 * client credentials is used as is. Blocking (at most the configured
 * timeouts). Returns GCU_AUTH_OK, GCU_AUTH_DENIED (credentials refused:
 * 400/401/403), GCU_AUTH_UNAVAILABLE (no connection, timeout, 5xx, 429,
 * an answer without a token) or GCU_AUTH_SOFTWARE, with a message in err.
 */
int gcu_auth_token(struct gcu_auth *a, char *err, size_t errlen);

/*
 * Obtains a new token now, after the platform refused the current one
 * (401). Without client credentials this fails with GCU_AUTH_DENIED and a
 * message saying the token was refused and cannot be renewed. Same
 * returns as gcu_auth_token.
 */
int gcu_auth_refresh(struct gcu_auth *a, char *err, size_t errlen);

/*
 * Obtains a new token now, for a caller that hands it on (gcu-config
 * --token): as gcu_auth_refresh, but tried again, 2, 4, ... seconds
 * later, while the login service is unavailable, attempts times in all
 * (at least once). Without client credentials the token from
 * GCU_ACCESS_TOKEN is kept as it is, since it cannot be renewed, and
 * GCU_AUTH_OK returned. Same returns as gcu_auth_token.
 */
int gcu_auth_renew(struct gcu_auth *a, int attempts, char *err, size_t errlen);

/* The current token (owned by a, valid until the next call), or NULL. */
const char *gcu_auth_bearer(const struct gcu_auth *a);

/* Seconds left before the token expires at monotonic now; INFINITY when unknown. */
double gcu_auth_expires_in(const struct gcu_auth *a, double now);

/* Wipes and frees what a holds; a can be initialised again. NULL is a no-op. */
void gcu_auth_free(struct gcu_auth *a);

#endif
