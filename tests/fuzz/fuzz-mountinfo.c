// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness: /proc/self/mountinfo as the inventory scan and the
 * readonly action read it (daemon/devices/mountinfo.c), and the escape decoder
 * on the raw input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz-common.h"
#include "mountinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mountinfo *mi = NULL;
	char *s = NULL;

	if (mountinfo_parse("fuzz.mountinfo", (const char *)data, size, &mi) == 0) {
		for (size_t i = 0; i < mi->n; i++)
			fprintf(devnull, "%u %u:%u %s %s %s %d\n", mi->entries[i].id,
				mi->entries[i].major, mi->entries[i].minor,
				mi->entries[i].mount_point, mi->entries[i].fstype,
				mi->entries[i].source, mi->entries[i].read_only);
		mountinfo_free(mi);
	}
	if (size <= 4096 && mountinfo_unescape((const char *)data, size, &s) == 0)
		free(s);
	return 0;
}
