/*
 * test_region.c - region names to domains, bare domains, and which URLs
 * gcu will connect to.
 */
#include <string.h>

#include "region.h"
#include "tap.h"

static const char *domain_of(const char *region)
{
	const char *d = NULL;

	return gcu_region_domain(region, &d) == 0 ? d : "(error)";
}

int main(void)
{
	static const char *const table[][2] = {
	    {"us-east-1", "mypurecloud.com"},       {"eu-west-1", "mypurecloud.ie"},
	    {"eu-central-1", "mypurecloud.de"},     {"ap-southeast-2", "mypurecloud.com.au"},
	    {"ap-northeast-1", "mypurecloud.jp"},   {"us-west-2", "usw2.pure.cloud"},
	    {"ca-central-1", "cac1.pure.cloud"},    {"eu-west-2", "euw2.pure.cloud"},
	    {"ap-south-1", "aps1.pure.cloud"},      {"ap-northeast-2", "apne2.pure.cloud"},
	    {"ap-northeast-3", "apne3.pure.cloud"}, {"sa-east-1", "sae1.pure.cloud"},
	    {"eu-central-2", "euc2.pure.cloud"},    {"me-central-1", "mec1.pure.cloud"},
	};
	char err[200];

	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		is_str(domain_of(table[i][0]), table[i][1], table[i][0]);
	is_str(domain_of("EU-WEST-1"), "mypurecloud.ie", "region names ignore case");
	is_str(domain_of("mypurecloud.ie"), "mypurecloud.ie", "bare domain accepted");
	is_str(domain_of("usw2.pure.cloud"), "usw2.pure.cloud", "bare pure.cloud domain accepted");

	const char *d = "untouched";
	ok(gcu_region_domain("mars-north-1", &d) < 0 && strcmp(d, "untouched") == 0,
	   "unknown region refused, domain untouched");
	ok(gcu_region_domain("", &d) < 0, "empty region refused");
	ok(gcu_region_domain(NULL, &d) < 0, "NULL region refused");
	ok(gcu_region_domain("evil.com/x", &d) < 0, "a domain with a slash refused");
	ok(gcu_region_domain(".com", &d) < 0, "a domain starting with a dot refused");

	ok(gcu_url_allowed("https://api.mypurecloud.com", err, sizeof err), "https allowed");
	ok(gcu_url_allowed("HTTPS://api.mypurecloud.ie/api/v2/users", err, sizeof err),
	   "https any case allowed");
	ok(gcu_url_allowed("http://127.0.0.1:8080", err, sizeof err), "http://127.0.0.1 allowed");
	ok(gcu_url_allowed("http://127.1.2.3/api", err, sizeof err), "http://127.1.2.3 allowed");
	ok(gcu_url_allowed("http://localhost:9000/x", err, sizeof err), "http://localhost allowed");
	ok(gcu_url_allowed("http://[::1]:9000", err, sizeof err), "http://[::1] allowed");
	ok(gcu_url_allowed("http://user@127.0.0.1:1/", err, sizeof err),
	   "user info before a loopback host is skipped");

	err[0] = '\0';
	ok(!gcu_url_allowed("http://10.0.0.1/api", err, sizeof err), "http://10.0.0.1 refused");
	ok(strstr(err, "10.0.0.1") != NULL && strstr(err, "loopback") != NULL,
	   "the message names the host and the rule");
	ok(!gcu_url_allowed("http://example.com", err, sizeof err), "http://example.com refused");
	ok(!gcu_url_allowed("http://127.0.0.1.example.com/", err, sizeof err),
	   "a name starting with 127.0.0.1 refused");
	ok(!gcu_url_allowed("http://localhost.evil.com/", err, sizeof err),
	   "a name starting with localhost refused");
	ok(!gcu_url_allowed("http://127.0.0.1@evil.com/", err, sizeof err),
	   "loopback as user info refused");
	err[0] = '\0';
	ok(!gcu_url_allowed("http://user:s3cret@evil.com/", err, sizeof err) &&
	       strstr(err, "s3cret") == NULL,
	   "refusal never repeats the user info");
	ok(!gcu_url_allowed("http://[::2]/", err, sizeof err), "http://[::2] refused");
	ok(!gcu_url_allowed("ftp://127.0.0.1/", err, sizeof err), "other schemes refused");
	ok(!gcu_url_allowed("https://", err, sizeof err), "https without host refused");
	ok(!gcu_url_allowed(NULL, NULL, 0), "NULL refused, NULL err is fine");
	return done_testing();
}
