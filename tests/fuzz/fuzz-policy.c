// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness: one policy file (daemon/input/policy.c) as `kexecq policy
 * verify` parses it, then the After=/Before= check on a set of one; and the
 * same bytes as a frozen plan's run.conf (daemon/input/freeze.c), which the
 * shutdown hook reads as root with the same parser, and as a table of PCI
 * drivers (daemon/input/driver-table.c), which `kexecq check` reads as root,
 * and as kexecq's settings (daemon/input/settings.c), which kexecqd reads.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "driver-table.h"
#include "freeze.h"
#include "settings.h"
#include "fuzz-common.h"
#include "policy-set.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *p = NULL;
	unsigned n_errors = 0;

	if (policy_parse_buffer("fuzz.policy", "50-fuzz.policy", (const char *)data, size,
				POLICY_VERIFY, &p, &n_errors) == 0) {
		struct policy_set set = { .policies = &p, .n = 1 };

		(void)policy_set_check_order(&set, POLICY_VERIFY);
	}
	policy_free(p);
	{
		struct freeze_settings fs;

		(void)freeze_settings_parse("run.conf", (const char *)data, size, &fs);
	}
	{
		struct settings st;

		(void)settings_parse("kexecq.conf", (const char *)data, size, &st);
	}
	{
		struct driver_table *t = NULL;

		if (driver_table_parse("pci-drivers-6.12.tsv", "6.12", (const char *)data, size,
				       &t) == 0) {
			for (size_t i = 0; i < t->n; i++)
				(void)driver_table_find(t, t->rows[i].name);
			driver_table_free(t);
		}
	}
	return 0;
}
