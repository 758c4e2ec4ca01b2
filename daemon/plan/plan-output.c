// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"
#include "match.h"
#include "plan-output.h"
#include "string-util.h"
#include "strv.h"

char *inventory_title(const struct inventory *inv)
{
	char *t;

	if (asprintf(&t, inv->live ? "host %s (live)" : "snapshot %s", strna(inv->source)) < 0)
		return NULL;
	return t;
}

/* ---- text ---------------------------------------------------------------- */

/* For --explain: each file system of a readonly step, and why it matters. */
static void print_mounts(const struct step *s, FILE *f)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct device_mount *m = s->mounts[i].mount;
		_cleanup_free_ char *mp = cescape(m->mount_point), *src = cescape(m->source);
		_cleanup_free_ char *via = strv_join(m->via, " on ");
		_cleanup_free_ char *fs = cescape(m->fstype);

		fprintf(f, "      %s: %s from %s, read-write, on %s%s%s\n", strna(mp), strna(fs),
			strna(src), !isempty(via) ? strna(via) : "", !isempty(via) ? " on " : "",
			s->mounts[i].disk->name);
	}
	STRV_FOREACH (md, s->md)
		fprintf(f, "      %s: md array, waited for until its array_state is clean\n", *md);
	if (s->n_mounts)
		fprintf(f, "      if a file system cannot be made read-only, %s stays bound\n",
			s->object);
}

static void print_step(const struct step *s, bool explain, FILE *f)
{
	_cleanup_free_ char *desc = step_describe(s);

	fprintf(f, "%4zu  %-17s %s", s->id, step_type_to_string(s->type), strna(desc));
	if (s->n_deps) {
		fprintf(f, "  [after");
		for (size_t i = 0; i < s->n_deps; i++)
			fprintf(f, "%s%zu", i ? "," : " ", s->deps[i]);
		fprintf(f, "]");
	}
	fputc('\n', f);
	if (!s->policy) {
		/* kexecq's own rule, not a policy's (owner.h): say so and why. */
		if (explain)
			fprintf(f, "      because kexecq leaves devices alone: %s\n",
				strna(s->reason));
		else
			fprintf(f, "      <- kexecq (a device left alone)\n");
		return;
	}
	unsigned line = s->policy->line[s->key];

	if (explain) {
		fprintf(f, "      because %s", s->policy->path);
		if (line)
			fprintf(f, ":%u", line);
		fprintf(f, " %s: %s\n", policy_key_to_string(s->key), strna(s->reason));
		fprintf(f, "      timeout %llus, on failure %s\n",
			(unsigned long long)(s->timeout_usec / 1000000),
			on_failure_to_string(s->on_failure));
		if (s->type == STEP_FS_READONLY)
			print_mounts(s, f);
	} else {
		fprintf(f, "      <- %s %s%s", s->policy->name, policy_key_to_string(s->key),
			line ? "" : " (default)");
		if (line)
			fprintf(f, " (line %u)", line);
		fputc('\n', f);
	}
}

int plan_print_text(const struct plan *plan, const struct inventory *inv,
		    const struct policy_set *ps, bool explain, FILE *f)
{
	_cleanup_free_ char *title = inventory_title(inv);
	unsigned level = (unsigned)-1;

	if (!title)
		return -ENOMEM;
	fprintf(f, "Plan for %s: %zu PCI functions, %zu polic%s, %zu step%s in %u level%s\n", title,
		plan->n_devices, ps->n, ps->n == 1 ? "y" : "ies", plan->n, plan->n == 1 ? "" : "s",
		plan->n_levels, plan->n_levels == 1 ? "" : "s");
	fprintf(f, "Kernel kexec_method: %s\n",
		inv->kernel_per_device_method ?
			"per device (/sys/bus/pci/devices/*/kexec_method)" :
			"not available (kernel without the kexecq patches)");
	if (plan->n_unsafe) {
		fprintf(f, "\nKexec refused (kexecq reboot goes on only with --force):\n");
		for (size_t i = 0; i < plan->n_devices; i++) {
			const struct plan_device *pd = &plan->devices[i];

			if (pd->unsafe)
				fprintf(f, "  %s (%s): %s [%s, line %u]\n", pd->device->name,
					strna(pd->device->driver), pd->unsafe->unsafe,
					pd->unsafe->name, pd->unsafe->line[KEY_UNSAFE]);
		}
	}
	if (plan->n == 0)
		fprintf(f, "\nNothing to do: every device is left to the kernel's own shutdown.\n");
	for (size_t i = 0; i < plan->n; i++) {
		if (plan->steps[i].level != level) {
			level = plan->steps[i].level;
			fprintf(f, "\nLevel %u%s:\n", level,
				level == 0 ? " (no prerequisites)" : "");
		}
		print_step(&plan->steps[i], explain, f);
	}
	for (size_t i = 0, n = 0; i < plan->n_devices; i++) {
		const struct plan_device *pd = &plan->devices[i];

		if (pd->hold == HOLD_NONE)
			continue;
		if (n++ == 0)
			fprintf(f, "\nLeft alone (nothing unbinds, resets or unloads them):\n");
		fprintf(f, "  %s (%s): %s\n", pd->device->name, strna(pd->device->driver),
			pd->left_alone);
	}
	if (explain) {
		fprintf(f, "\nDevices:\n");
		for (size_t i = 0; i < plan->n_devices; i++) {
			const struct plan_device *pd = &plan->devices[i];
			_cleanup_free_ char *why = pd->policy ?
							   match_explain(pd->policy, pd->device,
									 inv->kernel_release,
									 inv->kernel_upstream) :
							   NULL;

			fprintf(f, "  %-14s %-16s %s", pd->device->name, strna(pd->device->driver),
				pd->policy ? pd->policy->name : "(default: kernel)");
			if (pd->policy)
				fprintf(f, " Action=%s: %s",
					policy_action_to_string(pd->policy->action), strna(why));
			fputc('\n', f);
		}
	}
	if (plan->notes) {
		fprintf(f, "\nNotes:\n");
		STRV_FOREACH (n, plan->notes)
			fprintf(f, "  %s\n", *n);
	}
	if (plan->warnings) {
		fprintf(f, "\nWarnings:\n");
		STRV_FOREACH (w, plan->warnings)
			fprintf(f, "  %s\n", *w);
	}
	return ferror(f) ? -EIO : 0;
}

/* ---- JSON ---------------------------------------------------------------- */

json_object *plan_step_to_json(const struct step *s)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	_cleanup_free_ char *desc = step_describe(s);
	json_object *deps;
	int r = 0;

	if (!o || !desc)
		return NULL;
	r |= json_add(o, "id", json_object_new_int64((int64_t)s->id));
	r |= json_add_str(o, "type", step_type_to_string(s->type));
	r |= json_add_str(o, "object", s->object);
	r |= json_add_str(o, "description", desc);
	if (s->device)
		r |= json_add_str(o, "syspath", s->device->syspath);
	r |= json_add_str(o, "driver", s->driver);
	if (s->type == STEP_SET_KERNEL_METHOD) {
		r |= json_add_str(o, "method", kernel_method_to_string(s->method));
		r |= json_add_str(o, "previous_method",
				  kernel_method_to_string(s->previous_method));
	}
	if (s->type == STEP_FS_READONLY) {
		json_object *ms = json_object_new_array(), *md = json_object_new_array();

		r |= json_add(o, "mounts", ms);
		r |= json_add(o, "md", md);
		if (!ms || !md)
			return NULL;
		for (size_t i = 0; i < s->n_mounts; i++) {
			const struct device_mount *m = s->mounts[i].mount;
			json_object *mo = json_object_new_object();
			char dev[32];

			if (!mo || json_object_array_add(ms, mo) < 0)
				return NULL;
			snprintf(dev, sizeof(dev), "%u:%u", m->major, m->minor);
			r |= json_add_str(mo, "mount_point", m->mount_point);
			r |= json_add_str(mo, "fstype", m->fstype);
			r |= json_add_str(mo, "source", m->source);
			r |= json_add_str(mo, "dev", dev);
			r |= json_add_str(mo, "disk", s->mounts[i].disk->name);
		}
		STRV_FOREACH (a, s->md)
			r |= json_object_array_add(md, json_object_new_string(*a));
		r |= json_add(o, "guard", json_object_new_boolean(s->guard));
	}
	r |= json_add(o, "level", json_object_new_int((int)s->level));
	deps = json_object_new_array();
	r |= json_add(o, "after", deps);
	if (!deps)
		return NULL;
	for (size_t i = 0; i < s->n_deps; i++)
		r |= json_object_array_add(deps, json_object_new_int64((int64_t)s->deps[i]));
	r |= json_add(o, "timeout_usec", json_object_new_int64((int64_t)s->timeout_usec));
	r |= json_add_str(o, "on_failure", on_failure_to_string(s->on_failure));
	if (s->policy) {
		r |= json_add_str(o, "policy", s->policy->name);
		r |= json_add_str(o, "policy_path", s->policy->path);
		r |= json_add_str(o, "key", policy_key_to_string(s->key));
		if (s->policy->line[s->key])
			r |= json_add(o, "line", json_object_new_int((int)s->policy->line[s->key]));
	}
	r |= json_add_str(o, "reason", s->reason);
	return r ? NULL : TAKE_PTR(o);
}

int plan_write_json(const struct plan *plan, const struct inventory *inv, FILE *f)
{
	_cleanup_json_ json_object *root = json_object_new_object();
	json_object *steps, *devs, *warn, *notes;
	int r = 0;

	if (!root)
		return -ENOMEM;
	r |= json_add_str(root, "format", "kexecq-plan");
	/* 2: the kexecq series' v3 ABI: set-kernel-method acts on a device. */
	r |= json_add(root, "version", json_object_new_int(2));
	r |= json_add_str(root, "inventory", inv->source);
	r |= json_add(root, "live", json_object_new_boolean(inv->live));
	r |= json_add(root, "kernel_per_device_kexec_method",
		      json_object_new_boolean(inv->kernel_per_device_method));
	r |= json_add(root, "levels", json_object_new_int((int)plan->n_levels));
	r |= json_add(root, "kexec_refused", json_object_new_boolean(plan->n_unsafe > 0));
	steps = json_object_new_array();
	devs = json_object_new_array();
	warn = json_object_new_array();
	notes = json_object_new_array();
	r |= json_add(root, "steps", steps);
	r |= json_add(root, "devices", devs);
	r |= json_add(root, "warnings", warn);
	r |= json_add(root, "notes", notes);
	if (!steps || !devs || !warn || !notes || r)
		return -ENOMEM;
	for (size_t i = 0; i < plan->n; i++) {
		json_object *s = plan_step_to_json(&plan->steps[i]);

		if (!s || json_object_array_add(steps, s) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < plan->n_devices; i++) {
		const struct plan_device *pd = &plan->devices[i];
		json_object *o = json_object_new_object();

		if (!o || json_object_array_add(devs, o) < 0)
			return -ENOMEM;
		r |= json_add_str(o, "name", pd->device->name);
		r |= json_add_str(o, "driver", pd->device->driver);
		r |= json_add_str(o, "policy", pd->policy ? pd->policy->name : NULL);
		if (pd->policy) {
			_cleanup_free_ char *why = match_explain(
				pd->policy, pd->device, inv->kernel_release, inv->kernel_upstream);

			r |= json_add_str(o, "action", policy_action_to_string(pd->policy->action));
			r |= json_add_str(o, "match", why);
		} else {
			r |= json_add_str(o, "action", "kernel");
		}
		if (pd->unsafe)
			r |= json_add_str(o, "unsafe", pd->unsafe->unsafe);
		if (pd->left_alone)
			r |= json_add_str(o, "left_alone", pd->left_alone);
	}
	STRV_FOREACH (w, plan->warnings)
		r |= json_object_array_add(warn, json_object_new_string(*w));
	STRV_FOREACH (n, plan->notes)
		r |= json_object_array_add(notes, json_object_new_string(*n));
	if (r)
		return -ENOMEM;
	return json_write(root, f);
}

/* ---- Graphviz ------------------------------------------------------------ */

static const char *const dot_colors[_STEP_TYPE_MAX] = {
	[STEP_SET_KERNEL_METHOD] = "#d9c6f0",
	[STEP_FS_READONLY] = "#ffd98e",
	[STEP_FLUSH_CACHE] = "#b9dcf2",
	[STEP_NET_DOWN] = "#c6e8b0",
	[STEP_SRIOV_DISABLE] = "#f9c0c0",
	[STEP_UNBIND] = "#fff0a0",
	[STEP_RESET] = "#f6a38e",
	[STEP_UNLOAD_MODULE] = "#d0d0d0",
	[STEP_BARRIER] = "#ffffff",
};

const char *plan_dot_color(enum step_type t)
{
	return t >= 0 && t < _STEP_TYPE_MAX ? dot_colors[t] : "#ffffff";
}

/*
 * s as the body of a DOT double-quoted string, without the quotes.  What
 * is not printable is first made visible (cescape_markup(): a newline
 * shows as "\n", invalid UTF-8 as "\xNN"), then what DOT gives meaning
 * inside quotes is escaped: '"'; '\', which would otherwise start an
 * escape of its own in a label (\n, \l, \N, \G ...); and '&', which
 * Graphviz reads as the start of an entity ("&amp;" would show as "&").
 */
static void dot_puts(const char *s, FILE *f)
{
	_cleanup_free_ char *shown = cescape_markup(strna(s));

	for (const char *p = strna(shown); *p; p++) {
		if (*p == '&') {
			fputs("&amp;", f);
			continue;
		}
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		fputc(*p, f);
	}
}

static void dot_step(const struct step *s, FILE *f)
{
	_cleanup_free_ char *desc = step_describe(s);

	fprintf(f, "\ts%zu [class=\"%s\", fillcolor=\"%s\"%s, label=\"%zu: ", s->id,
		step_type_to_string(s->type), plan_dot_color(s->type),
		s->type == STEP_BARRIER ? ", style=\"rounded,filled,dashed\"" : "", s->id);
	dot_puts(desc, f);
	/* "\n" here is DOT's line break, the only one in a label. */
	fputs("\\n", f);
	if (s->policy) {
		unsigned line = s->policy->line[s->key];

		dot_puts(s->policy->name, f);
		fprintf(f, " %s", policy_key_to_string(s->key));
		if (line)
			fprintf(f, " (line %u)", line);
		else
			fputs(" (default)", f);
		fputs("\", tooltip=\"", f);
		dot_puts(s->policy->path, f);
		if (line)
			fprintf(f, ":%u", line);
		fputs(": ", f);
	} else
		fputs("kexecq: a device left alone\", tooltip=\"", f);
	dot_puts(s->reason, f);
	fputs("\"];\n", f);
}

int plan_write_dot(const struct plan *plan, const struct inventory *inv, FILE *f)
{
	_cleanup_free_ char *title = inventory_title(inv);
	bool present[_STEP_TYPE_MAX] = {};

	if (!title)
		return -ENOMEM;
	fputs("digraph \"kexecq-plan\" {\n\tgraph [rankdir=LR, labelloc=t, fontname=\"sans-serif\", "
	      "fontsize=12, label=\"Plan for ",
	      f);
	dot_puts(title, f);
	fprintf(f, ": %zu step%s in %u level%s%s\"];\n", plan->n, plan->n == 1 ? "" : "s",
		plan->n_levels, plan->n_levels == 1 ? "" : "s",
		plan->n == 0 ? "; nothing to do" : "");
	fputs("\tnode [shape=box, style=\"rounded,filled\", fontname=\"sans-serif\", fontsize=10];\n"
	      "\tedge [color=\"#555555\"];\n",
	      f);
	for (size_t i = 0; i < plan->n; i++) {
		const struct step *s = &plan->steps[i];

		dot_step(s, f);
		if (s->type >= 0 && s->type < _STEP_TYPE_MAX)
			present[s->type] = true;
	}
	/* Prerequisite first: the arrows run in the order of execution. */
	for (size_t i = 0; i < plan->n; i++)
		for (size_t d = 0; d < plan->steps[i].n_deps; d++)
			fprintf(f, "\ts%zu -> s%zu;\n", plan->steps[i].deps[d], plan->steps[i].id);
	if (plan->n) {
		fputs("\tsubgraph cluster_legend {\n\t\tlabel=\"Actions\";\n\t\tstyle=dashed;\n",
		      f);
		for (int t = 0; t < _STEP_TYPE_MAX; t++)
			if (present[t])
				fprintf(f,
					"\t\t\"legend-%s\" [class=\"legend %s\", fillcolor=\"%s\", "
					"label=\"%s\"];\n",
					step_type_to_string((enum step_type)t),
					step_type_to_string((enum step_type)t),
					plan_dot_color((enum step_type)t),
					step_type_to_string((enum step_type)t));
		fputs("\t}\n", f);
	}
	fputs("}\n", f);
	return ferror(f) ? -EIO : 0;
}
