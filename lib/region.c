/*
 * region.c - the region table and the URL policy.
 *
 * The table follows the platform's published list of regions. The URL
 * check parses just enough of a URL to find its host: scheme, optional
 * user info, then a bracketed IPv6 literal or a name up to the port, path,
 * query or fragment.
 */
#include "region.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *region;
	const char *domain;
} regions[] = {
    {"us-east-1", "mypurecloud.com"},       {"eu-west-1", "mypurecloud.ie"},
    {"eu-central-1", "mypurecloud.de"},     {"ap-southeast-2", "mypurecloud.com.au"},
    {"ap-northeast-1", "mypurecloud.jp"},   {"us-west-2", "usw2.pure.cloud"},
    {"ca-central-1", "cac1.pure.cloud"},    {"eu-west-2", "euw2.pure.cloud"},
    {"ap-south-1", "aps1.pure.cloud"},      {"ap-northeast-2", "apne2.pure.cloud"},
    {"ap-northeast-3", "apne3.pure.cloud"}, {"sa-east-1", "sae1.pure.cloud"},
    {"eu-central-2", "euc2.pure.cloud"},    {"me-central-1", "mec1.pure.cloud"},
};
#define NREGIONS (sizeof regions / sizeof regions[0])

static int looks_like_domain(const char *s)
{
	size_t n = strlen(s);
	int dot = 0;

	if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-' || s[n - 1] == '.' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (s[i + 1] == '.')
				return 0;
			dot = 1;
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		             (c >= '0' && c <= '9') || c == '-')) {
			return 0;
		}
	}
	return dot;
}

int gcu_region_domain(const char *region, const char **domain)
{
	if (region == NULL || *region == '\0')
		return -1;
	for (size_t i = 0; i < NREGIONS; i++) {
		if (strcasecmp(region, regions[i].region) == 0) {
			*domain = regions[i].domain;
			return 0;
		}
	}
	if (!looks_like_domain(region))
		return -1;
	*domain = region;
	return 0;
}

static void set_err(char *err, size_t errlen, const char *msg, const char *host, size_t hostlen)
{
	if (err == NULL || errlen == 0)
		return;
	if (hostlen > 64)
		hostlen = 64;
	if (host != NULL)
		(void)snprintf(err, errlen, "%s %.*s", msg, (int)hostlen, host);
	else
		(void)snprintf(err, errlen, "%s", msg);
}

static int is_loopback(const char *host, size_t len)
{
	char buf[64];
	struct in_addr a4;
	struct in6_addr a6;

	if (len == 0 || len >= sizeof buf)
		return 0;
	memcpy(buf, host, len);
	buf[len] = '\0';
	if (len > 1 && buf[len - 1] == '.')
		buf[len - 1] = '\0';
	if (strcasecmp(buf, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, buf, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, buf, &a6) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&a6))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
	}
	return 0;
}

int gcu_url_allowed(const char *url, char *err, size_t errlen)
{
	const char *p, *host, *end;
	size_t hostlen;

	if (url == NULL) {
		set_err(err, errlen, "no URL", NULL, 0);
		return 0;
	}
	if (strncasecmp(url, "https://", 8) == 0) {
		if (url[8] == '\0' || url[8] == '/') {
			set_err(err, errlen, "URL has no host", NULL, 0);
			return 0;
		}
		return 1;
	}
	if (strncasecmp(url, "http://", 7) != 0) {
		set_err(err, errlen,
		        "URL must start with https:// (or http:// for a loopback host)", NULL, 0);
		return 0;
	}
	p = url + 7;
	end = p + strcspn(p, "/?#");
	/* skip user info: the last '@' before the path */
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			p = q + 1;
	if (*p == '[') {
		host = p + 1;
		const char *close = memchr(host, ']', (size_t)(end - host));
		if (close == NULL) {
			set_err(err, errlen, "malformed IPv6 host in URL", NULL, 0);
			return 0;
		}
		hostlen = (size_t)(close - host);
	} else {
		host = p;
		const char *colon = memchr(host, ':', (size_t)(end - host));
		hostlen = (size_t)((colon ? colon : end) - host);
	}
	if (is_loopback(host, hostlen))
		return 1;
	set_err(err, errlen, "plain http is allowed only to a loopback host, not", host, hostlen);
	return 0;
}
