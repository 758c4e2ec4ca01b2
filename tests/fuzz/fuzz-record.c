// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness: a boot record (daemon/verify/record.c) as `kexecq verify`
 * reads it as root after a kexec; a record that loads is written again,
 * compared with itself and with nothing (daemon/verify/verify.c), and the
 * result rendered as text and JSON.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "record.h"
#include "verify-output.h"
#include "verify.h"
#include "fuzz-common.h"

static void compare(const struct record *before, const struct record *now)
{
	struct verify_result *v = NULL;

	if (verify_compare(before, now, &v) < 0)
		return;
	(void)verify_print_text(before->boot_id, before, v, devnull);
	(void)verify_write_json(before->boot_id, "fuzz.json", before, v, devnull);
	verify_result_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record *rec = NULL, *empty;

	if (record_parse_buffer("fuzz.json", (const char *)data, size, &rec) < 0)
		return 0;
	(void)record_write_json(rec, devnull);
	compare(rec, rec);
	empty = record_new();
	if (empty) {
		compare(rec, empty);
		compare(empty, rec);
		record_free(empty);
	}
	record_free(rec);
	return 0;
}
