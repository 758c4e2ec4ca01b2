// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <string.h>

#include "check-output.h"
#include "json-util.h"
#include "plan-output.h"
#include "string-util.h"

static void print_basis(const struct risk_report *rep, const struct inventory *inv,
			const struct driver_table *t, FILE *f)
{
	_cleanup_free_ char *shown = NULL;
	const char *rel = strna(inv->kernel_release);

	/* "6.1.0-57-amd64 (Linux 6.1.192)" where the release does not say the version. */
	if (inv->kernel_upstream) {
		if (asprintf(&shown, "%s (Linux %s)", rel, inv->kernel_upstream) < 0)
			shown = NULL;
		else
			rel = shown;
	}

	switch (rep->basis) {
	case BASIS_PATCHED:
		fprintf(f,
			"Kernel %s has the kexecq patches: it says per device what a kexec does "
			"(kexec_action).\n",
			rel);
		break;
	case BASIS_TABLE:
		fprintf(f,
			"Kernel %s lacks the kexecq patches: what a kexec does to each driver comes "
			"from the table of Linux %s (%s).\n",
			rel, t->version, t->path);
		break;
	case BASIS_TABLE_OTHER:
		fprintf(f,
			"Kernel %s lacks the kexecq patches and there is no table for its series: "
			"what a kexec does to each driver comes from the table of Linux %s (%s), "
			"the nearest %s series; drivers may have gained or lost ->shutdown() since.\n",
			rel, t->version, t->path,
			inventory_kernel_version(inv) &&
					strverscmp(t->series, inventory_kernel_version(inv)) < 0 ?
				"older" :
				"newer");
		break;
	case BASIS_NONE:
	default:
		fprintf(f,
			"Kernel %s lacks the kexecq patches and no table of PCI drivers was found: "
			"what a kexec does to the devices cannot be checked.\n",
			rel);
		break;
	}
}

int check_print_text(const struct risk_report *rep, const struct inventory *inv,
		     const struct plan *plan, const struct driver_table *table, FILE *f)
{
	_cleanup_free_ char *title = inventory_title(inv);
	size_t n_unchecked = 0;

	if (!title)
		return -ENOMEM;
	fprintf(f, "Check of %s: %zu PCI functions\n", title, plan->n_devices);
	print_basis(rep, inv, table, f);
	if (rep->n_risks) {
		fprintf(f, "\nAt risk:\n");
		for (size_t i = 0; i < rep->n_risks; i++) {
			const struct risk *r = &rep->risks[i];

			fprintf(f, "  %-14s %-14s %-12s %s\n", r->function->name,
				strna(r->function->driver), risk_kind_to_string(r->kind), r->text);
		}
	}
	for (size_t i = 0, n = 0; i < rep->n_notes; i++) {
		const struct risk_finding *x = &rep->notes[i];

		if (x->note == NOTE_UNKNOWN_DRIVER || x->note == NOTE_AMBIGUOUS ||
		    x->note == NOTE_NO_BASIS) {
			n_unchecked++;
			continue;
		}
		if (n++ == 0)
			fprintf(f, "\nLeft running by the kernel, but taken care of:\n");
		fprintf(f, "  %-14s %-14s %s\n", x->device->name, strna(x->device->driver),
			x->text);
	}
	if (n_unchecked) {
		fprintf(f, "\nNot checked:\n");
		for (size_t i = 0; i < rep->n_notes; i++) {
			const struct risk_finding *x = &rep->notes[i];

			if (x->note == NOTE_UNKNOWN_DRIVER || x->note == NOTE_AMBIGUOUS ||
			    x->note == NOTE_NO_BASIS)
				fprintf(f, "  %-14s %-14s %s\n", x->device->name,
					strna(x->device->driver), x->text);
		}
	}
	for (size_t i = 0, n = 0; i < plan->n_devices; i++) {
		const struct plan_device *pd = &plan->devices[i];

		if (pd->hold == HOLD_NONE)
			continue;
		if (n++ == 0)
			fprintf(f, "\nLeft alone by kexecq (never unbound, reset or unloaded):\n");
		fprintf(f, "  %-14s %-14s %s\n", pd->device->name, strna(pd->device->driver),
			pd->left_alone);
	}
	for (size_t i = 0, n = 0; i < rep->n_notes; i++)
		if (rep->notes[i].note == NOTE_PRESERVED && n++ == 0)
			fprintf(f,
				"\nLive update: %s; the vfio functions above are taken as preserved "
				"(a guess: a session may keep only memory).\n",
				inv->live ? "a session is open" :
					    "the snapshot marks them preserved");
	if (rep->n_risks)
		fprintf(f, "\n%zu at risk.\n", rep->n_risks);
	else
		fprintf(f, "\nNothing at risk%s.\n",
			n_unchecked ? " among the devices that could be checked" : "");
	return ferror(f) ? -EIO : 0;
}

int check_write_json(const struct risk_report *rep, const struct inventory *inv,
		     const struct plan *plan, const struct driver_table *table, FILE *f)
{
	static const char *const basis[] = {
		[BASIS_PATCHED] = "patched-kernel",
		[BASIS_TABLE] = "table",
		[BASIS_TABLE_OTHER] = "table-of-nearest-series",
		[BASIS_NONE] = "none",
	};
	_cleanup_json_ json_object *root = json_object_new_object();
	json_object *risks, *notes, *alone;
	int r = 0;

	if (!root)
		return -ENOMEM;
	r |= json_add_str(root, "format", "kexecq-check");
	r |= json_add(root, "version", json_object_new_int(1));
	r |= json_add_str(root, "inventory", inv->source);
	r |= json_add_str(root, "kernel", inv->kernel_release);
	if (inv->kernel_upstream)
		r |= json_add_str(root, "kernel_upstream", inv->kernel_upstream);
	r |= json_add_str(root, "basis", basis[rep->basis]);
	if (table) {
		json_object *t = json_object_new_object();

		r |= json_add(root, "table", t);
		if (!t)
			return -ENOMEM;
		r |= json_add_str(t, "path", table->path);
		r |= json_add_str(t, "linux", table->version);
		r |= json_add_str(t, "series", table->series);
	}
	r |= json_add(root, "at_risk", json_object_new_int64((int64_t)rep->n_risks));
	risks = json_object_new_array();
	notes = json_object_new_array();
	alone = json_object_new_array();
	r |= json_add(root, "risks", risks);
	r |= json_add(root, "notes", notes);
	r |= json_add(root, "left_alone", alone);
	if (r || !risks || !notes || !alone)
		return -ENOMEM;
	for (size_t i = 0; i < rep->n_risks; i++) {
		const struct risk *x = &rep->risks[i];
		json_object *o = json_object_new_object();

		if (!o || json_object_array_add(risks, o) < 0)
			return -ENOMEM;
		r |= json_add_str(o, "device", x->function->name);
		if (x->device != x->function)
			r |= json_add_str(o, "disk", x->device->name);
		r |= json_add_str(o, "driver", x->function->driver);
		r |= json_add_str(o, "kexec_action",
				  kexec_action_to_string(x->function->kexec_action));
		r |= json_add_str(o, "kind", risk_kind_to_string(x->kind));
		r |= json_add_str(o, "policy", x->policy ? x->policy->name : NULL);
		r |= json_add_str(o, "why", x->text);
	}
	for (size_t i = 0; i < rep->n_notes; i++) {
		const struct risk_finding *x = &rep->notes[i];
		json_object *o = json_object_new_object();

		if (!o || json_object_array_add(notes, o) < 0)
			return -ENOMEM;
		r |= json_add_str(o, "device", x->device->name);
		r |= json_add_str(o, "driver", x->device->driver);
		r |= json_add_str(o, "kexec_action",
				  kexec_action_to_string(x->device->kexec_action));
		r |= json_add_str(o, "note", risk_note_to_string(x->note));
		r |= json_add_str(o, "policy", x->policy ? x->policy->name : NULL);
		r |= json_add_str(o, "why", x->text);
	}
	for (size_t i = 0; i < plan->n_devices; i++) {
		const struct plan_device *pd = &plan->devices[i];
		json_object *o;

		if (pd->hold == HOLD_NONE)
			continue;
		o = json_object_new_object();
		if (!o || json_object_array_add(alone, o) < 0)
			return -ENOMEM;
		r |= json_add_str(o, "device", pd->device->name);
		r |= json_add_str(o, "driver", pd->device->driver);
		r |= json_add_str(o, "why", pd->left_alone);
	}
	if (r)
		return -ENOMEM;
	return json_write(root, f);
}
