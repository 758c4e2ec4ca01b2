/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Plans for people and for programs: the text that 'kexecq plan' prints
 * and the JSON of 'kexecq plan --json' (json-c; the snapshot module is
 * the other json-c user).  Front ends call these; the planner knows
 * nothing of them.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "inventory.h"
#include "plan.h"
#include "policy-set.h"

/* Levels and steps with their causes; with explain, every device's policy too. */
int plan_print_text(const struct plan *plan, const struct inventory *inv,
		    const struct policy_set *ps, bool explain, FILE *f);

int plan_write_json(const struct plan *plan, const struct inventory *inv, FILE *f);

/* "host debian (live)" or "snapshot /path/x.json": what a plan or inventory is for. */
char *inventory_title(const struct inventory *inv);

/* One step as a JSON object (json-c), as in the plan's and the run report's "steps". */
json_object *plan_step_to_json(const struct step *s);
