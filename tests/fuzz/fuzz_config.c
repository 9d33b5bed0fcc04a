/*
 * fuzz_config.c - libFuzzer target for the YAML config loader.
 *
 * The input is written to a private temporary file (mode 0600, so that
 * the permission check on secrets passes and the parser is reached) and
 * loaded over the defaults with gcu_config_load, as a stage does with
 * -c FILE. A crash, a leak or undefined behaviour is a bug; a message
 * "path:line: what is wrong" is the expected answer to a bad file.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gcu_config c;
	char path[] = "/tmp/gcu-fuzz-config.XXXXXX";
	char err[512];
	size_t off = 0;
	int fd = mkstemp(path);

	if (fd < 0)
		return 0;
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	if (off == size && gcu_config_defaults(&c) == 0) {
		(void)gcu_config_load(&c, path, err, sizeof err);
		gcu_config_free(&c);
	}
	unlink(path);
	return 0;
}
