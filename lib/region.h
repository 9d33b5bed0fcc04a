/*
 * region.h - Genesys Cloud region names, their domains, and which URLs gcu
 * is willing to talk to.
 *
 * A region (us-east-1, eu-west-1, ...) names a domain; the API lives on
 * https://api.<domain> and the login service on https://login.<domain>.
 * The same check guards every URL gcu connects to: https always, plain
 * http only to a loopback host (the simulator, a test server).
 */
#ifndef GCU_REGION_H
#define GCU_REGION_H

#include <stddef.h>

/*
 * Resolves region to its domain. region is a region name from the table
 * (case-insensitive) or a bare domain such as "mypurecloud.ie" (any name
 * with a dot made of letters, digits, dots and dashes). On success sets
 * *domain (to static storage for a region name, to region itself for a
 * bare domain) and returns 0; returns -1 for NULL, empty or unknown names.
 */
int gcu_region_domain(const char *region, const char **domain);

/*
 * Whether gcu may connect to url: 1 for https://, 1 for http:// to
 * 127.0.0.0/8, ::1 or localhost, 0 otherwise with a message in err (which
 * names the host, never the rest of the URL). err may be NULL.
 */
int gcu_url_allowed(const char *url, char *err, size_t errlen);

#endif
