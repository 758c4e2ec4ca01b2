// SPDX-License-Identifier: LGPL-2.1-or-later
/* Moved from tools/kexecq.c (verb_plan, verb_check) for kexecqd to share. */
#include <errno.h>

#include "check-output.h"
#include "driver-table.h"
#include "exit-status.h"
#include "log.h"
#include "plan-output.h"
#include "plan.h"
#include "policy-set.h"
#include "query.h"
#include "risk.h"
#include "snapshot.h"
#include "string-util.h"

/*
 * The policies a run acts on.  A broken or untrusted file stops the run
 * (EXIT_POLICY) unless told to skip it: protection must never disappear
 * without a word.  Returns EXIT_OK or the exit status.
 */
static int load_policies(const struct query *q, struct policy_set **ret)
{
	unsigned n_errors = 0;
	unsigned flags = (q->policy_dirs ? POLICY_DIRS_EXPLICIT : 0) |
			 (q->ignore_policy_errors ? POLICY_SKIP_BROKEN : 0);
	int r;

	r = policy_set_load(q->policy_dirs ? q->policy_dirs : policy_default_dirs, flags, ret,
			    &n_errors);
	if (r < 0)
		return r == -ENOENT || r == -ENOTDIR ? EXIT_USAGE : EXIT_FAIL;
	if (n_errors && !q->ignore_policy_errors) {
		*ret = policy_set_free(*ret);
		log_error("%u problem%s in the policy files; fix %s, or run with "
			  "--ignore-policy-errors to skip the broken files.",
			  n_errors, n_errors == 1 ? "" : "s", n_errors == 1 ? "it" : "them");
		return EXIT_POLICY;
	}
	return EXIT_OK;
}

/* The inventory to plan for: given, a snapshot, or scanned; *owned is what to free. */
static int get_inventory(const struct query *q, const struct inventory **ret,
			 struct inventory **owned)
{
	int r;

	*owned = NULL;
	if (q->inventory && !q->snapshot) {
		*ret = q->inventory;
		return 0;
	}
	r = q->snapshot ? inventory_load_json(q->snapshot, owned) : inventory_scan(q->scan, owned);
	if (r < 0)
		return r;
	*ret = *owned;
	return 0;
}

static int build(const struct query *q, struct policy_set **ret_ps,
		 const struct inventory **ret_inv, struct inventory **owned, struct plan **ret_plan)
{
	_cleanup_free_ char *error = NULL;
	int r;

	r = load_policies(q, ret_ps);
	if (r != EXIT_OK)
		return r;
	if (get_inventory(q, ret_inv, owned) < 0)
		return EXIT_FAIL;
	r = plan_build(*ret_inv, *ret_ps, ret_plan, &error);
	if (r == -ELOOP) {
		log_error("Cannot order the plan: %s", strna(error));
		return EXIT_PLAN;
	}
	if (r < 0) {
		log_error_errno(r, "Failed to build the plan: %m");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int query_plan(const struct query *q, FILE *out)
{
	_cleanup_(inventory_freep) struct inventory *owned = NULL;
	_cleanup_(policy_set_freep) struct policy_set *ps = NULL;
	_cleanup_(plan_freep) struct plan *plan = NULL;
	const struct inventory *inv = NULL;
	int r;

	r = build(q, &ps, &inv, &owned, &plan);
	if (r != EXIT_OK)
		return r;
	r = q->dot  ? plan_write_dot(plan, inv, out) :
	    q->json ? plan_write_json(plan, inv, out) :
		      plan_print_text(plan, inv, ps, q->explain, out);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}

int query_check(const struct query *q, FILE *out)
{
	_cleanup_(inventory_freep) struct inventory *owned = NULL;
	_cleanup_(policy_set_freep) struct policy_set *ps = NULL;
	_cleanup_(plan_freep) struct plan *plan = NULL;
	_cleanup_(driver_table_freep) struct driver_table *table = NULL;
	_cleanup_(risk_report_freep) struct risk_report *rep = NULL;
	const struct inventory *inv = NULL;
	const char *tables = q->tables ? q->tables : DRIVER_TABLE_DIR;
	bool exact = false;
	int r;

	r = build(q, &ps, &inv, &owned, &plan);
	if (r != EXIT_OK)
		return r;
	/* A kernel with the patches says it per device; the tables are for stock ones. */
	if (!inv->kernel_per_device_method) {
		r = driver_table_load_for(tables, inventory_kernel_version(inv), &table, &exact);
		if (r == -ENOENT && q->tables_explicit) {
			log_error("%s: no table of PCI drivers (pci-drivers-SERIES.tsv) there.",
				  tables);
			return EXIT_USAGE;
		}
		if (r < 0 && r != -ENOENT)
			return EXIT_FAIL;
	}
	r = risk_assess(inv, plan, table, exact, &rep);
	if (r < 0)
		return log_oom(), EXIT_FAIL;
	r = q->json ? check_write_json(rep, inv, plan, table, out) :
		      check_print_text(rep, inv, plan, table, out);
	if (r < 0)
		return EXIT_FAIL;
	return rep->n_risks ? EXIT_AT_RISK : EXIT_OK;
}
