/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The read-only commands, `plan` and `check`, as one function each that
 * writes its report to a stream and returns an exit status
 * (exit-status.h); problems go through log.h.  kexecq runs them in
 * process, kexecqd for a caller on the bus: the same code, so the same
 * bytes.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "inventory.h"
#include "scan.h"

struct query {
	char *const *policy_dirs; /* NULL: the default search path */
	bool ignore_policy_errors; /* skip broken or untrusted files, with a warning */
	const char *snapshot; /* plan for this snapshot instead of the machine */
	const struct scan_options *scan; /* how to read the machine */
	const struct inventory *inventory; /* given, e.g. the daemon's live one; else loaded */
	bool json;
	bool explain; /* plan */
	bool dot; /* plan: the step DAG for Graphviz */
	const char *tables; /* check: the driver tables' directory */
	bool tables_explicit; /* check: it was asked for, so it must have a table */
};

int query_plan(const struct query *q, FILE *out);
int query_check(const struct query *q, FILE *out);
