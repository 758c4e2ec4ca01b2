// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Replay driver: runs a fuzz harness's LLVMFuzzerTestOneInput() on the
 * files named on the command line, without libFuzzer, so that 'make check'
 * (and its sanitizer build) feeds every regression input and seed to the
 * same code the fuzzer drives.  Exits non-zero if a file cannot be read; a
 * crash or a sanitizer report fails the test by itself.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	(void)LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	free(buf);
	printf("ok - %s\n", path);
	return 0;
}

int main(int argc, char *argv[])
{
	int failed = 0;

	if (LLVMFuzzerInitialize(&argc, &argv) < 0)
		return 1;
	for (int i = 1; i < argc; i++)
		failed |= replay(argv[i]) < 0;
	return failed;
}
