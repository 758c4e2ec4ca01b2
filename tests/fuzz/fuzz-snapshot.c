// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness: an inventory snapshot (daemon/input/snapshot.c) as
 * `kexecq plan --inventory FILE` loads it, including inventory_link();
 * a snapshot that loads is saved again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "snapshot.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inventory *inv = NULL;

	if (inventory_load_json_buffer("fuzz.json", (const char *)data, size, &inv) == 0) {
		(void)inventory_save_json(inv, devnull);
		inventory_free(inv);
	}
	return 0;
}
