// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "risk.h"
#include "string-util.h"

static const char *const kind_names[_RISK_KIND_MAX] = {
	[RISK_LEFT_RUNNING] = "left-running",
	[RISK_WRITE_CACHE] = "write-cache",
	[RISK_IN_USE] = "in-use",
	[RISK_UNSAFE] = "unsafe",
	[RISK_NOT_CHECKED] = "not-checked",
};

const char *risk_kind_to_string(enum risk_kind k)
{
	return k >= 0 && k < _RISK_KIND_MAX ? kind_names[k] : NULL;
}

const char *risk_note_to_string(enum risk_note n)
{
	switch (n) {
	case NOTE_COVERED:
		return "covered";
	case NOTE_KERNEL_QUIESCES:
		return "kernel-quiesces";
	case NOTE_UNKNOWN_DRIVER:
		return "unknown-driver";
	case NOTE_AMBIGUOUS:
		return "ambiguous";
	case NOTE_NO_BASIS:
		return "no-basis";
	case NOTE_PRESERVED:
		return "preserved";
	default:
		return NULL;
	}
}

struct risk_report *risk_report_free(struct risk_report *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_risks; i++)
		free(r->risks[i].text);
	for (size_t i = 0; i < r->n_notes; i++)
		free(r->notes[i].text);
	free(r->risks);
	free(r->notes);
	free(r);
	return NULL;
}

_printf_(5, 6) static int add_risk(struct risk_report *rep, enum risk_kind kind,
				   const struct device *dev, const struct plan_device *pd,
				   const char *fmt, ...)
{
	struct risk *n;
	va_list ap;
	char *t;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&t, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	n = reallocarray(rep->risks, rep->n_risks + 1, sizeof(*n));
	if (!n) {
		free(t);
		return -ENOMEM;
	}
	rep->risks = n;
	rep->risks[rep->n_risks++] = (struct risk){
		.kind = kind,
		.device = dev,
		.function = pd->device,
		.policy = pd->policy,
		.text = t,
	};
	return 0;
}

_printf_(4, 5) static int add_note(struct risk_report *rep, enum risk_note note,
				   const struct plan_device *pd, const char *fmt, ...)
{
	struct risk_finding *n;
	va_list ap;
	char *t;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&t, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	n = reallocarray(rep->notes, rep->n_notes + 1, sizeof(*n));
	if (!n) {
		free(t);
		return -ENOMEM;
	}
	rep->notes = n;
	rep->notes[rep->n_notes++] = (struct risk_finding){
		.device = pd->device,
		.note = note,
		.policy = pd->policy,
		.text = t,
	};
	return 0;
}

/* The step of the plan that takes the function away before the kexec (an
 * unbind, reset or module unload), or NULL. */
static const struct step *removing_step(const struct plan *plan, const struct device *d)
{
	for (size_t i = 0; i < plan->n; i++) {
		const struct step *s = &plan->steps[i];

		if ((s->type == STEP_UNBIND || s->type == STEP_RESET) && s->device == d)
			return s;
		if (s->type == STEP_UNLOAD_MODULE && streq_ptr(s->object, d->module))
			return s;
	}
	return NULL;
}

/* The step of the plan that sets d's kexec_method to remove, or NULL. */
static const struct step *remove_method_step(const struct plan *plan, const struct device *d)
{
	for (size_t i = 0; i < plan->n; i++) {
		const struct step *k = &plan->steps[i];

		if (k->type == STEP_SET_KERNEL_METHOD && k->device == d &&
		    k->method == KMETHOD_REMOVE)
			return k;
	}
	return NULL;
}

/* The step of the plan that turns SR-IOV off on d before the kexec, or NULL. */
static const struct step *sriov_step(const struct plan *plan, const struct device *d)
{
	for (size_t i = 0; i < plan->n; i++)
		if (plan->steps[i].type == STEP_SRIOV_DISABLE && plan->steps[i].device == d)
			return &plan->steps[i];
	return NULL;
}

/*
 * Why a function left running is not quiesced, after "its policy": what
 * its policy does not do, or why its KernelMethod=remove does not apply.
 * Malloc'd, NULL when out of memory.
 */
static char *not_quiesced(const struct inventory *inv, const struct plan_device *pd)
{
	const struct policy *p = pd->policy;
	const char *refused;
	char *t;

	if (!p)
		return strdup("no policy governs it");
	if (pd->hold != HOLD_NONE)
		return strdup("its policy cannot act: it is left alone");
	if (p->kernel_method == KMETHOD_REMOVE && !inv->kernel_per_device_method)
		return strdup("its policy's KernelMethod=remove needs a kernel with the kexecq "
			      "patches");
	refused = p->kernel_method == KMETHOD_REMOVE ? kexec_remove_refused(pd->device) : NULL;
	if (refused)
		return asprintf(&t, "the kernel refuses its policy's KernelMethod=remove: %s",
				refused) < 0 ?
			       NULL :
			       t;
	return strdup("its policy does not quiesce it (no Action=unbind, reset or unload, no "
		      "KernelMethod=remove)");
}

/* Does the kernel leave d as its driver has it?  1 yes, 0 no, or a note (negative: none). */
static int left_running(const struct inventory *inv, const struct driver_table *t, bool exact,
			const struct device *d, enum risk_note *note, const char **why)
{
	const struct driver_row *row;

	*note = NOTE_NONE;
	if (inv->kernel_per_device_method) {
		*why = "kexec_action is clear-master: no ->shutdown(), not released";
		return d->kexec_action == KACTION_CLEAR_MASTER;
	}
	/* pci-stub claims a device to keep others off it and never enables it. */
	if (streq(d->driver, "pci-stub"))
		return 0;
	if (!t) {
		*note = NOTE_NO_BASIS;
		return 0;
	}
	row = driver_table_find(t, d->driver);
	if (!row) {
		*note = NOTE_UNKNOWN_DRIVER;
		return 0;
	}
	if (row->ambiguous) {
		*note = NOTE_AMBIGUOUS;
		return 0;
	}
	*why = exact ? "no ->shutdown() in this kernel series' table" :
		       "no ->shutdown() in the nearest kernel series' table";
	return !row->shutdown;
}

int risk_assess(const struct inventory *inv, const struct plan *plan,
		const struct driver_table *table, bool exact, struct risk_report **ret)
{
	_cleanup_(risk_report_freep) struct risk_report *rep = calloc(1, sizeof(*rep));
	_cleanup_free_ const struct plan_device **by_index = calloc(inv->n + 1, sizeof(*by_index));
	int r = 0;

	if (!rep || !by_index)
		return -ENOMEM;
	rep->basis = inv->kernel_per_device_method ? BASIS_PATCHED :
		     !table			   ? BASIS_NONE :
		     exact			   ? BASIS_TABLE :
						     BASIS_TABLE_OTHER;
	for (size_t i = 0; i < plan->n_devices; i++)
		by_index[plan->devices[i].device->index] = &plan->devices[i];

	for (size_t i = 0; i < plan->n_devices && r >= 0; i++) {
		const struct plan_device *pd = &plan->devices[i];
		const struct device *d = pd->device;
		const struct policy *p = pd->policy;
		_cleanup_free_ char *veto = NULL, *tail = NULL;
		const char *why = NULL;
		enum risk_note note;
		const struct step *s;
		int lr;

		if (pd->unsafe) {
			r = add_risk(rep, RISK_UNSAFE, d, pd, "%s says a kexec is unsafe: %s",
				     pd->unsafe->name, pd->unsafe->unsafe);
			if (r < 0)
				break;
		}
		if (!d->driver)
			continue;
		if (d->liveupdate_preserved) {
			r = add_note(
				rep, NOTE_PRESERVED, pd,
				"taken as preserved by a live update, and kept running on purpose: "
				"a session is open and the kernel does not list what it preserves; "
				"if this function is not among it, what uses it must stop before "
				"the kexec");
			continue;
		}
		if (pd->hold == HOLD_USERSPACE) {
			/* uio_pci_generic enables the device at probe: the count tells nothing. */
			if (!driver_is_vfio(d->driver))
				r = add_risk(
					rep, RISK_IN_USE, d, pd,
					"bound to %s, which lets userspace drive it%s%s: kexecq "
					"cannot tell whether a program does, and leaves it alone; "
					"stop that program before the kexec",
					d->driver, d->physfn ? ", a VF of " : "",
					d->physfn ? d->physfn->name : "");
			else if (d->enable_count > 0)
				r = add_risk(
					rep, RISK_IN_USE, d, pd,
					"bound to %s and in use (enabled %u time%s)%s%s: a VM or "
					"userspace driver still drives it, and nothing here stops "
					"it; shut it down before the kexec",
					d->driver, d->enable_count, d->enable_count == 1 ? "" : "s",
					d->physfn ? ", a VF of " : "",
					d->physfn ? d->physfn->name : "");
			continue;
		}
		if (inv->kernel_per_device_method && d->kexec_action == KACTION_UNKNOWN) {
			/* Not known is not safe: only what needs no answer from the kernel covers it. */
			s = removing_step(plan, d);
			if (s) {
				_cleanup_free_ char *step = step_describe(s);

				r = add_note(
					rep, NOTE_COVERED, pd,
					"kexec_action not known; quiesced by step %zu: %s (%s)",
					s->id, strna(step), s->policy ? s->policy->name : "?");
			} else if (p && p->kernel_quiesces)
				r = add_note(rep, NOTE_KERNEL_QUIESCES, pd,
					     "kexec_action not known, but %s says the kernel "
					     "quiesces it anyway: %s",
					     p->name, strna(p->description));
			else
				r = add_risk(rep, RISK_NOT_CHECKED, d, pd,
					     "%s: what a kexec does to it cannot be told, and no "
					     "step takes %s away; %s",
					     inv->live ?
						     "its kexec_action could not be read (EBUSY "
						     "while a driver is bound or unbound) or "
						     "reads a value this kexecq does not know" :
						     "the snapshot has no kexec_action for it",
					     d->driver,
					     inv->live ? "check again" : "take the snapshot again");
			continue;
		}
		lr = left_running(inv, table, exact, d, &note, &why);
		if (note != NOTE_NONE) {
			const char *v = table ? table->version : "?";

			r = add_note(
				rep, note, pd, "%s",
				note == NOTE_NO_BASIS ?
					"not checked: the kernel lacks the kexecq patches and "
					"there is no table of PCI drivers" :
				note == NOTE_UNKNOWN_DRIVER ?
					(exact ? "not checked: the driver is not in the table "
						 "(out of tree?)" :
						 "not checked: the driver is not in the table of "
						 "another kernel series") :
					"not checked: the table has several definitions that "
					"disagree on ->shutdown()");
			(void)v;
			continue;
		}
		if (!lr)
			continue;
		s = removing_step(plan, d);
		if (s) {
			_cleanup_free_ char *step = step_describe(s);

			r = add_note(rep, NOTE_COVERED, pd, "%s; quiesced by step %zu: %s (%s)",
				     why, s->id, strna(step), s->policy ? s->policy->name : "?");
			continue;
		}
		/*
		 * KernelMethod=remove covers it only if the kernel will honour it:
		 * not while a device below is bound or VFs stay enabled.
		 */
		s = remove_method_step(plan, d);
		if (inv->kernel_per_device_method &&
		    (s || (p && p->kernel_method == KMETHOD_REMOVE &&
			   d->kexec_method == KMETHOD_REMOVE))) {
			r = kexec_remove_vetoed(inv, d, sriov_step(plan, d) != NULL, &veto);
			if (r < 0)
				break;
			/* Marked remove already: what lets the kernel release it is the SR-IOV step. */
			if (r == 0 && !s)
				s = sriov_step(plan, d);
			if (r == 0 && s) {
				const struct step *v =
					s->type == STEP_SRIOV_DISABLE ? NULL : sriov_step(plan, d);
				_cleanup_free_ char *step = step_describe(s);
				char after[64] = "";

				if (v)
					snprintf(after, sizeof(after),
						 ", once step %zu has turned its VFs off", v->id);
				r = add_note(rep, NOTE_COVERED, pd,
					     "%s; quiesced by step %zu: %s (%s)%s", why, s->id,
					     strna(step), s->policy ? s->policy->name : "?", after);
				continue;
			}
		}
		if (p && p->kernel_quiesces) {
			r = add_note(rep, NOTE_KERNEL_QUIESCES, pd,
				     "%s, but %s says the kernel quiesces it anyway: %s", why,
				     p->name, strna(p->description));
			continue;
		}
		if (veto) {
			r = add_risk(rep, RISK_LEFT_RUNNING, d, pd,
				     "%s; KernelMethod=remove will not be honoured: %s; the "
				     "kernel only turns bus mastering off, and the next kernel "
				     "finds the device as %s left it",
				     why, veto, d->driver);
			continue;
		}
		tail = not_quiesced(inv, pd);
		if (!tail) {
			r = -ENOMEM;
			break;
		}
		r = add_risk(rep, RISK_LEFT_RUNNING, d, pd,
			     "%s: the kernel only turns bus mastering off, and the next kernel "
			     "finds the device as %s left it; %s",
			     why, d->driver, tail);
	}

	/* Volatile caches a policy told kexecq not to flush. */
	for (size_t i = 0; i < inv->n && r >= 0; i++) {
		const struct device *x = inv->devices[i], *f;
		const struct plan_device *pd;

		if (x->kind != DEVICE_DISK || x->write_cache != CACHE_WRITE_BACK)
			continue;
		for (f = x->parent; f && f->kind != DEVICE_PCI; f = f->parent)
			;
		pd = f ? by_index[f->index] : NULL;
		if (!pd || !pd->policy || pd->policy->flush_cache != TRI_NO)
			continue;
		r = add_risk(rep, RISK_WRITE_CACHE, x, pd,
			     "%s has a volatile write cache and %s says FlushCache=no (line %u)",
			     x->devnode ? x->devnode : x->name, pd->policy->name,
			     pd->policy->line[KEY_FLUSH_CACHE]);
	}
	if (r < 0)
		return r;
	*ret = TAKE_PTR(rep);
	return 0;
}
