/*
 * stage.c - the set-up shared by the stages' main()s.
 */
#include "stage.h"

#include <stdio.h>
#include <string.h>

int gcu_stage_config(struct gcu_config *cfg, const char *path, const char *concurrency,
                     const char *max_line, char *err, size_t errlen)
{
	char why[512];

	if (gcu_config_init(cfg, path, err, errlen) < 0)
		return -1;
	if (concurrency && gcu_config_set(cfg, "concurrency", concurrency, why, sizeof why) < 0) {
		snprintf(err, errlen, "--concurrency: %s", why);
		return -1;
	}
	if (max_line && gcu_config_set(cfg, "max_line", max_line, why, sizeof why) < 0) {
		snprintf(err, errlen, "--max-line: %s", why);
		return -1;
	}
	return 0;
}

int gcu_stage_input(struct ndjson_reader *in, const char *path, size_t max_line)
{
	if (path == NULL)
		path = "-";
	if (ndjson_reader_open(in, path, max_line) < 0)
		return -1;
	if (strcmp(path, "-") == 0)
		in->name = "stdin";
	return 0;
}

int gcu_platform_open(const struct gcu_config *cfg, struct gcu_auth *auth, struct gcu_http **http,
                      char *err, size_t errlen)
{
	struct gcu_http_options ho;
	int rc;

	*http = NULL;
	rc = gcu_auth_init(auth, cfg, err, errlen);
	if (rc == GCU_AUTH_OK)
		rc = gcu_auth_token(auth, err, errlen);
	if (rc != GCU_AUTH_OK)
		return rc;
	gcu_http_options_from_config(&ho, cfg, auth->api_base);
	*http = gcu_http_new(&ho, err, errlen);
	if (*http == NULL)
		return GCU_AUTH_USAGE;
	if (gcu_http_set_bearer(*http, gcu_auth_bearer(auth)) < 0) {
		snprintf(err, errlen, "the access token cannot be sent (control characters?)");
		return GCU_AUTH_DENIED;
	}
	return 0;
}
