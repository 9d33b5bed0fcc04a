/*
 * change_input.c - a change file read twice, and its bad records kept
 * (see change_input.h).
 */
#include "change_input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int gcu_change_input_rewindable(int fd, int *owned, char *err, size_t errlen)
{
	char buf[65536];
	char path[] = "/tmp/gcu-input.XXXXXX";
	const char *tmpdir = getenv("TMPDIR");
	char tpl[4096];
	int tmp;

	*owned = -1;
	if (lseek(fd, 0, SEEK_CUR) >= 0)
		return fd;
	if (tmpdir && *tmpdir) {
		int n = snprintf(tpl, sizeof tpl, "%s/gcu-input.XXXXXX", tmpdir);
		if (n < 0 || (size_t)n >= sizeof tpl)
			tmpdir = NULL;
	}
	tmp = mkstemp(tmpdir && *tmpdir ? tpl : path);
	if (tmp < 0) {
		snprintf(err, errlen, "temporary file: %s", strerror(errno));
		return -1;
	}
	unlink(tmpdir && *tmpdir ? tpl : path);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "reading input: %s", strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(tmp, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				snprintf(err, errlen, "spooling input: %s", strerror(errno));
				goto fail;
			}
			off += w;
		}
	}
	if (lseek(tmp, 0, SEEK_SET) < 0) {
		snprintf(err, errlen, "spooling input: %s", strerror(errno));
		goto fail;
	}
	*owned = tmp;
	return tmp;
fail:
	close(tmp);
	return -1;
}

int gcu_rejects_write(struct gcu_rejects *rj, const char *header, const char *raw, size_t len,
                      char *err, size_t errlen)
{
	struct ndjson_writer *w = rj->w;

	if (w == NULL)
		return 0;
	if (header && !rj->header_written) {
		rj->header_written = 1;
		if (ndjson_write_raw(w, header, strlen(header)) < 0)
			goto fail;
	}
	if (ndjson_write_raw(w, raw, len) == 0)
		return 0;
fail:
	snprintf(err, errlen, "%s: %s", w->name, strerror(w->error));
	return -1;
}
