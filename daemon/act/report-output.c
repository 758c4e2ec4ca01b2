// SPDX-License-Identifier: LGPL-2.1-or-later
/* The run report as JSON (moved from plan-output.c: it renders exec.h's report). */
#include <errno.h>

#include "exec.h"
#include "json-util.h"
#include "kexec-load.h"
#include "plan-output.h"
#include "report-output.h"
#include "strv.h"

int exec_report_write_json(const struct exec_report *rep, const struct kexec_image *image,
			   const char *outcome, FILE *f)
{
	_cleanup_json_ json_object *root = json_object_new_object();
	json_object *steps, *cp, *counts;
	int r = 0;

	if (!root)
		return -ENOMEM;
	r |= json_add_str(root, "format", "kexecq-report");
	r |= json_add(root, "version", json_object_new_int(1));
	r |= json_add_str(root, "outcome", outcome);
	if (image) {
		json_object *k = json_object_new_object();

		r |= json_add(root, "kernel", k);
		if (!k)
			return -ENOMEM;
		r |= json_add_str(k, "image", image->kernel);
		if (image->initrds) {
			/* Every initrd, in the order they are concatenated. */
			json_object *a = json_object_new_array();

			r |= json_add(k, "initrds", a);
			if (!a)
				return -ENOMEM;
			STRV_FOREACH (i, image->initrds)
				r |= json_object_array_add(a, json_object_new_string(*i));
		}
		r |= json_add_str(k, "cmdline", image->cmdline);
		r |= json_add_str(k, "origin", image->origin);
	}
	if (rep) {
		r |= json_add(root, "aborted", json_object_new_boolean(rep->aborted));
		if (rep->aborted)
			r |= json_add(root, "abort_step",
				      json_object_new_int64((int64_t)rep->abort_step));
		r |= json_add(root, "deadline_passed",
			      json_object_new_boolean(rep->deadline_passed));
		r |= json_add(root, "still_running", json_object_new_int((int)rep->still_running));
		r |= json_add(root, "wall_usec", json_object_new_int64((int64_t)rep->wall_usec));
		r |= json_add(root, "critical_usec",
			      json_object_new_int64((int64_t)rep->critical_usec));
		cp = json_object_new_array();
		counts = json_object_new_object();
		steps = json_object_new_array();
		r |= json_add(root, "critical_path", cp);
		r |= json_add(root, "counts", counts);
		r |= json_add(root, "steps", steps);
		if (!cp || !counts || !steps || r)
			return -ENOMEM;
		for (size_t i = 0; i < rep->n_critical; i++)
			r |= json_object_array_add(
				cp, json_object_new_int64((int64_t)rep->critical_path[i]));
		for (int s = 0; s < _STATE_MAX; s++)
			if (rep->count[s])
				r |= json_add(counts, step_state_to_string((enum step_state)s),
					      json_object_new_int64((int64_t)rep->count[s]));
		for (size_t i = 0; i < rep->n; i++) {
			const struct step_result *res = &rep->results[i];
			json_object *o = plan_step_to_json(&rep->plan->steps[i]);

			if (!o || json_object_array_add(steps, o) < 0)
				return -ENOMEM;
			r |= json_add_str(o, "state", step_state_to_string(res->state));
			if (res->state != STATE_NOT_RUN) {
				r |= json_add(o, "start_usec",
					      json_object_new_int64((int64_t)res->start_usec));
				r |= json_add(o, "end_usec",
					      json_object_new_int64((int64_t)res->end_usec));
			}
			if (res->error)
				r |= json_add(o, "error", json_object_new_int(res->error));
			r |= json_add_str(o, "message", res->message);
			r |= json_add_str(o, "undo", res->undo_message);
		}
	}
	if (r)
		return -ENOMEM;
	return json_write(root, f);
}
