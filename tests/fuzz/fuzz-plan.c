// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness: snapshot + policies -> plan (daemon/plan/plan.c, match.c),
 * as `kexecq plan --inventory FILE --json` runs it, then `kexecq check` on
 * the result (risk.c, check-output.c) with a small table of PCI drivers.
 *
 * Input: the snapshot JSON, then policy files, each introduced by a line
 * that is exactly "----".  Policy K is named "NN-fuzzK.policy" (NN = K,
 * two digits) so the set is in lexical order; After=01-fuzz1 names one.
 * Policies that fail to parse are skipped, as at run time.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"
#include "fuzz-common.h"
#include "check-output.h"
#include "plan-output.h"
#include "plan.h"
#include "policy-set.h"

#define MAX_POLICIES 16 /* one input must not take seconds */

/* Length of the chunk at s (up to the next "----" line) and where the next one starts. */
static size_t chunk(const char *s, const char *end, const char **next)
{
	for (const char *l = s; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l));
		const char *eol = nl ? nl : end;

		if (eol - l == 4 && memcmp(l, "----", 4) == 0) {
			*next = nl ? nl + 1 : end;
			return (size_t)(l - s);
		}
		l = nl ? nl + 1 : end;
	}
	*next = NULL;
	return (size_t)(end - s);
}

static const char table_text[] = "# PCI drivers of Linux 6.12.117, by fuzz-plan\n"
				 "name\tfile\tremove\tshutdown\tdriver_managed_dma\tnotes\n"
				 "lpfc\ta.c\t1\t0\t0\t\n"
				 "nvme\tb.c\t1\t1\t0\t\n"
				 "vfio-pci\tc.c\t1\t0\t1\t\n"
				 "e1000e\td.c\t1\t1\t0\t\n"
				 "e1000e\te.c\t1\t0\t0\t\n";

static void check(const struct inventory *inv, const struct plan *plan)
{
	struct driver_table *t = NULL;

	(void)driver_table_parse("fuzz.tsv", "6.12", table_text, sizeof(table_text) - 1, &t);
	for (int k = 0; k < 2; k++) {
		struct risk_report *rep = NULL;

		if (risk_assess(inv, plan, k ? t : NULL, k, &rep) == 0) {
			(void)check_print_text(rep, inv, plan, k ? t : NULL, devnull);
			(void)check_write_json(rep, inv, plan, k ? t : NULL, devnull);
		}
		risk_report_free(rep);
	}
	driver_table_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size, *next;
	struct policy_set *set = calloc(1, sizeof(*set));
	struct inventory *inv = NULL;
	struct plan *plan = NULL;
	char *err = NULL;
	size_t len;

	if (!set || !(set->policies = calloc(MAX_POLICIES, sizeof(*set->policies)))) {
		free(set);
		return 0;
	}
	len = chunk(s, end, &next);
	for (size_t k = 0; next && k < MAX_POLICIES; k++) {
		const char *p = next;
		size_t plen = chunk(p, end, &next);
		char name[32];

		snprintf(name, sizeof(name), "%02zu-fuzz%zu.policy", k, k);
		if (policy_parse_buffer(name, name, p, plen, POLICY_RUNTIME, &set->policies[set->n],
					NULL) == 0)
			set->n++;
	}
	(void)policy_set_check_order(set, POLICY_RUNTIME);

	if (inventory_load_json_buffer("fuzz.json", s, len, &inv) == 0) {
		if (plan_build(inv, set, &plan, &err) == 0) {
			for (size_t i = 0; i < plan->n; i++)
				free(step_describe(&plan->steps[i]));
			(void)plan_write_json(plan, inv, devnull);
			(void)plan_print_text(plan, inv, set, true, devnull);
			(void)plan_write_dot(plan, inv, devnull);
			check(inv, plan);
		}
		plan_free(plan);
		free(err);
		inventory_free(inv);
	}
	policy_set_free(set);
	return 0;
}
