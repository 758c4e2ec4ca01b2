// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness: an inventory snapshot (daemon/json.c) as
 * `kexecq plan --inventory FILE` loads it, including inventory_link();
 * a snapshot that loads is saved again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "snapshot.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

static void log_drop(int level, const char *msg, void *userdata)
{
	(void)level;
	(void)msg;
	(void)userdata;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!getenv("KEXECQ_FUZZ_LOG"))
		log_set_fn(log_drop, NULL);
	devnull = fopen("/dev/null", "we");
	return devnull ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inventory *inv = NULL;

	if (inventory_load_json_buffer("fuzz.json", (const char *)data, size, &inv) == 0) {
		(void)inventory_save_json(inv, devnull);
		inventory_free(inv);
	}
	return 0;
}
