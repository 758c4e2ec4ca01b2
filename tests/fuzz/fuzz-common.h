/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every harness shares: quiet logging and a sink for output. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where harnesses print what they render, so that rendering runs too. */
static FILE *devnull _unused_;

static void log_drop(int level, const char *msg, void *userdata)
{
	(void)level;
	(void)msg;
	(void)userdata;
}

/* Messages are still formatted (that code runs), only not printed; KEXECQ_FUZZ_LOG=1 prints. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!getenv("KEXECQ_FUZZ_LOG"))
		log_set_fn(log_drop, NULL);
	devnull = fopen("/dev/null", "we");
	return devnull ? 0 : -1;
}
