/*
 * replay.c - runs one fuzz target over files, without libFuzzer.
 *
 * Linked with a tests/fuzz/fuzz_*.c target, it feeds each file named on
 * the command line (or each file in a directory so named) to
 * LLVMFuzzerTestOneInput once, so that the seeds and every crash the
 * fuzzers ever found are replayed by `make test` with any compiler, and
 * under AddressSanitizer by `make check-asan`. Prints TAP.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int n;

static int replay_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = -1;

	if (fp == NULL)
		goto out;
	for (;;) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			unsigned char *grown = realloc(buf, ncap);
			if (grown == NULL)
				goto out;
			buf = grown;
			cap = ncap;
		}
		size_t got = fread(buf + len, 1, cap - len, fp);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(fp))
		goto out;
	LLVMFuzzerTestOneInput(buf, len);
	rc = 0;
out:
	printf("%s %d - %s\n", rc == 0 ? "ok" : "not ok", ++n, path);
	if (fp)
		fclose(fp);
	free(buf);
	return rc;
}

static int replay(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int bad = 0;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			char sub[4096];
			int k;
			if (de->d_name[0] == '.')
				continue;
			k = snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
			if (k < 0 || (size_t)k >= sizeof sub) {
				printf("not ok %d - %s/%s: path too long\n", ++n, path, de->d_name);
				bad = 1;
				continue;
			}
			bad |= replay(sub) != 0;
		}
		closedir(d);
		return bad ? -1 : 0;
	}
	return replay_file(path);
}

int main(int argc, char **argv)
{
	int bad = 0;

	for (int i = 1; i < argc; i++)
		bad |= replay(argv[i]) != 0;
	printf("1..%d\n", n);
	return bad;
}
