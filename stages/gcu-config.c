/*
 * gcu-config - print gcu's settings as the stages see them, the platform
 * they would talk to, or a token for it.
 *
 * The settings come from lib/config.c (built-in defaults, then -c FILE or
 * $GCU_CONFIG, then GCU_* variables), the platform and the token from
 * lib/auth.c (the region table, the URL policy, the client-credentials
 * grant), so that a script such as run.sh asks the code the stages use
 * instead of reading YAML or posting secrets itself.
 */
#include <err.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include <curl/curl.h>

#include "auth.h"
#include "clock.h"
#include "config.h"
#include "stage.h"
#include "stage_main.h"

/* Logins gcu-config --token tries while the login service is unavailable. */
#define TOKEN_ATTEMPTS 3
/* --get options at most in one call (there are fewer settings). */
#define MAX_KEYS 64

static int verbosity = 1;

static void usage(void)
{
	fprintf(stderr, "usage: gcu-config [-qv] [-c config] [--get key]...\n"
	                "       gcu-config [-qv] [-c config] --platform\n"
	                "       gcu-config [-qv] [-c config] --token\n");
	exit(EX_USAGE);
}

static void help(void)
{
	printf("usage: gcu-config [options] [--get key]... | --platform | --token\n"
	       "\n"
	       "Print the settings as every gcu stage sees them: the built-in defaults,\n"
	       "then the settings file, then GCU_* variables. Alone, print every setting\n"
	       "as \"key = value\" (a secret as \"(set)\").\n"
	       "\n"
	       "  -c, --config FILE   settings file (default: $GCU_CONFIG, else built-in)\n"
	       "      --get KEY       print the value of KEY (e.g. platform.limit) alone;\n"
	       "                      several --get print one value a line, in order\n"
	       "      --platform      print the API base the stages would use, after\n"
	       "                      checking it, the login URL and the credentials\n"
	       "      --token         obtain an access token and print it, then the\n"
	       "                      seconds it lasts (an empty line when not known),\n"
	       "                      for a script: TOKEN=$(gcu-config --token)\n"
	       "  -q, --quiet         with --platform: nothing on stderr when nothing is set\n"
	       "  -v, --verbose       with --platform: say where the login goes\n"
	       "  -h, --help          this text\n"
	       "  -V, --version       the version\n"
	       "\n"
	       "Credentials: GCU_CLIENT_ID and GCU_CLIENT_SECRET (a new token every time),\n"
	       "or GCU_ACCESS_TOKEN (printed back as it is); GCU_REGION or GCU_API_BASE,\n"
	       "GCU_LOGIN_BASE. Plain http is refused for any host that is not loopback.\n"
	       "\n"
	       "Exit: 0 done; 1 --platform: no platform and no credentials set at all;\n"
	       "64 usage, a bad settings file, an unknown key, an unknown region, a URL\n"
	       "gcu will not use, missing credentials; 69 the login service is\n"
	       "unavailable; 77 the credentials were refused.\n");
	exit(0);
}

/* --platform: where the stages would go, or why they could not. */
static int platform(const struct gcu_config *cfg)
{
	struct gcu_auth auth;
	char why[512];
	int rc;

	if (!gcu_auth_configured(cfg)) {
		if (verbosity > 0)
			warnx("no platform and no credentials set (GCU_REGION or GCU_API_BASE, "
			      "GCU_CLIENT_ID and GCU_CLIENT_SECRET)");
		return 1;
	}
	rc = gcu_auth_init(&auth, cfg, why, sizeof why);
	if (rc != GCU_AUTH_OK)
		errx(rc, "%s", why);
	printf("%s\n", auth.api_base);
	if (verbosity > 1)
		warnx("login at %s with %s", auth.token_url,
		      auth.client_id ? "client credentials" : "GCU_ACCESS_TOKEN");
	gcu_auth_free(&auth);
	return 0;
}

/* --token: a fresh token (or the one given) and how long it lasts. */
static int token(const struct gcu_config *cfg)
{
	struct gcu_auth auth;
	char why[512];
	int rc;

	if (isatty(STDOUT_FILENO))
		errx(EX_USAGE, "--token prints a secret: read it into a variable, "
		               "TOKEN=$(gcu-config --token), never onto a terminal");
	rc = gcu_auth_init(&auth, cfg, why, sizeof why);
	if (rc == GCU_AUTH_OK)
		rc = gcu_auth_renew(&auth, TOKEN_ATTEMPTS, why, sizeof why);
	if (rc != GCU_AUTH_OK) {
		gcu_auth_free(&auth);
		errx(rc, "%s", why);
	}
	double left = gcu_auth_expires_in(&auth, gcu_now());
	printf("%s\n", gcu_auth_bearer(&auth));
	if (isinf(left))
		printf("\n");
	else
		printf("%.0f\n", floor(left));
	gcu_auth_free(&auth);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
	                                         {"get", required_argument, NULL, 'g'},
	                                         {"platform", no_argument, NULL, 'p'},
	                                         {"token", no_argument, NULL, 't'},
	                                         {"quiet", no_argument, NULL, 'q'},
	                                         {"verbose", no_argument, NULL, 'v'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {"version", no_argument, NULL, 'V'},
	                                         {NULL, 0, NULL, 0}};
	struct gcu_config cfg;
	struct gcu_stage_cli cli = {
	    .name = "gcu-config", .usage = usage, .help = help, .verbosity = 1};
	char errbuf[1024];
	const char *keys[MAX_KEYS];
	int ch, rc = 0, mode = 0, nkeys = 0;

	while ((ch = getopt_long(argc, argv, GCU_STAGE_SHORTOPTS, longopts, NULL)) != -1) {
		switch (ch) {
		case 'g':
			if (nkeys == MAX_KEYS)
				usage();
			keys[nkeys++] = optarg;
			break;
		case 'p':
		case 't':
			if (mode != 0 && mode != ch)
				usage();
			mode = ch;
			break;
		default: /* -c, -q, -v, -h, -V as every stage, else a usage error */
			gcu_stage_default_option(&cli, ch, optarg);
		}
	}
	verbosity = cli.verbosity;
	if (optind != argc || (mode != 0 && nkeys > 0))
		usage();

	if (gcu_stage_config(&cfg, cli.config, NULL, NULL, errbuf, sizeof errbuf) < 0)
		errx(EX_USAGE, "%s", errbuf);
	if (mode == 'p') {
		rc = platform(&cfg);
	} else if (mode == 't') {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		rc = token(&cfg);
		curl_global_cleanup();
	} else if (nkeys > 0) {
		/* Every key first: a script reading N lines gets N or none. */
		for (int i = 0; i < nkeys; i++)
			if (gcu_config_print(&cfg, keys[i], NULL) < 0)
				errx(EX_USAGE, "unknown setting '%s' (gcu-config lists them all)",
				     keys[i]);
		for (int i = 0; i < nkeys; i++)
			gcu_config_print(&cfg, keys[i], stdout);
	} else {
		gcu_config_dump(&cfg, stdout);
	}
	gcu_config_free(&cfg);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(EX_IOERR, "stdout");
	return rc;
}
