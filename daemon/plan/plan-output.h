/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Plans for people and for programs: the text that 'kexecq plan' prints,
 * the JSON of 'kexecq plan --json' (json-c; the snapshot module is the
 * other json-c user) and the Graphviz graph of 'kexecq plan --dot'.
 * Front ends call these; the planner knows nothing of them.
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

/*
 * The step DAG for Graphviz (dot): a node "s<id>" per step, filled with its
 * action's colour (class: the action's name, as in the JSON "type") and
 * labelled with its description and the policy and key that caused it;
 * an edge from each step to every step that waits for it (the "after"
 * relation the executor honours); a legend of the actions present.  Every
 * string is escaped: a name from a snapshot or a policy file cannot break
 * out of its label.
 */
int plan_write_dot(const struct plan *plan, const struct inventory *inv, FILE *f);
/* The fill colour of an action's nodes ("#rrggbb"). */
const char *plan_dot_color(enum step_type t) _pure_;

/* "host debian (live)" or "snapshot /path/x.json": what a plan or inventory is for. */
char *inventory_title(const struct inventory *inv);

/* One step as a JSON object (json-c), as in the plan's and the run report's "steps". */
json_object *plan_step_to_json(const struct step *s);
