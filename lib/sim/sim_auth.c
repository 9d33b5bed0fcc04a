/*
 * sim_auth.c - credentials and tokens (see sim_auth.h).
 *
 * Tokens live in a plain array: a run issues a handful of them, and the
 * lookup compares 40 bytes per token. Secrets are compared in constant
 * time and never copied anywhere but the stack.
 */
#include "sim_auth.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "grow.h"

int sim_auth_init(struct sim_auth *a, const char *client_id, const char *client_secret, double ttl)
{
	memset(a, 0, sizeof *a);
	a->client_id = client_id;
	a->client_secret = client_secret;
	a->ttl = ttl;
	return pthread_mutex_init(&a->lock, NULL) == 0 ? 0 : -1;
}

void sim_auth_free(struct sim_auth *a)
{
	for (size_t i = 0; i < a->n; i++) {
		sim_window_free(&a->tokens[i]->window);
		free(a->tokens[i]);
	}
	free(a->tokens);
	pthread_mutex_destroy(&a->lock);
	a->tokens = NULL;
	a->n = a->cap = 0;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long sim_base64_decode(const char *in, char *out, size_t outlen)
{
	unsigned long acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *in && *in != '='; in++) {
		int v = b64val((unsigned char)*in);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= outlen)
				return -1;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	for (; *in == '='; in++)
		;
	if (*in)
		return -1;
	out[n] = '\0';
	return (long)n;
}

static int same(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	unsigned diff = (unsigned)(alen ^ blen);
	for (size_t i = 0; i < alen; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i % (blen ? blen : 1)];
	return diff == 0;
}

int sim_auth_basic_ok(const struct sim_auth *a, const char *header)
{
	char plain[512] = {0};
	const char *colon;
	long n;
	int ok = 0;

	if (header == NULL || strncasecmp(header, "Basic ", 6) != 0)
		return 0;
	header += 6;
	while (*header == ' ')
		header++;
	n = sim_base64_decode(header, plain, sizeof plain);
	if (n < 0)
		goto out;
	colon = memchr(plain, ':', (size_t)n);
	if (colon == NULL)
		goto out;
	ok = same(plain, (size_t)(colon - plain), a->client_id) &
	     same(colon + 1, (size_t)(n - (colon + 1 - plain)), a->client_secret);
out:
	explicit_bzero(plain, sizeof plain);
	return ok;
}

int sim_auth_issue(struct sim_auth *a, double now, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[SIM_TOKEN_LEN / 2];
	struct sim_token *t = NULL;
	size_t got = 0;
	int fd, rc = -1;

	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto out;
	while (got < sizeof raw) {
		ssize_t r = read(fd, raw + got, sizeof raw - got);
		if (r <= 0)
			goto out;
		got += (size_t)r;
	}
	t = calloc(1, sizeof *t);
	if (t == NULL)
		goto out;
	for (size_t i = 0; i < sizeof raw; i++) {
		t->token[2 * i] = hex[raw[i] >> 4];
		t->token[2 * i + 1] = hex[raw[i] & 15];
	}
	t->expires = now + a->ttl;
	pthread_mutex_lock(&a->lock);
	/* An array of pointers: each item is a struct sim_token *. */
	if (gcu_grow(&a->tokens, &a->cap, a->n, sizeof(struct sim_token *), 16) < 0) {
		pthread_mutex_unlock(&a->lock);
		goto out;
	}
	a->tokens[a->n++] = t;
	memcpy(out, t->token, SIM_TOKEN_LEN + 1);
	t = NULL;
	pthread_mutex_unlock(&a->lock);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(t);
	explicit_bzero(raw, sizeof raw);
	return rc;
}

struct sim_token *sim_auth_lookup(struct sim_auth *a, const char *header, double now)
{
	if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
		return NULL;
	header += 7;
	while (*header == ' ')
		header++;
	if (strlen(header) != SIM_TOKEN_LEN)
		return NULL;
	for (size_t i = a->n; i-- > 0;) {
		struct sim_token *t = a->tokens[i];
		if (memcmp(t->token, header, SIM_TOKEN_LEN) == 0)
			return now < t->expires ? t : NULL;
	}
	return NULL;
}
