// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness: a journal (daemon/act/journal-read.c) as `kexecq plot`
 * reads it as root from /run/kexecq/journal, which any step's message or a
 * crafted device name may have put text into; a journal that parses is
 * drawn (daemon/act/plot-output.c), when its run is of a size a plan has.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "journal-read.h"
#include "plot-output.h"
#include "fuzz-common.h"

/* Drawing is linear in the steps; a run claiming 100000 of them would only be slow. */
#define DRAWN_STEPS_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal_run *run = NULL;

	if (journal_run_parse("fuzz.journal", (const char *)data, size, &run) < 0)
		return 0;
	if (run->n <= DRAWN_STEPS_MAX)
		(void)plot_write_svg(run, "fuzz.journal", devnull);
	journal_run_free(run);
	return 0;
}
