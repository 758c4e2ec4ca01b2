// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "owner.h"
#include "string-util.h"

void holds_free(struct hold *h, size_t n)
{
	if (!h)
		return;
	for (size_t i = 0; i < n; i++)
		free(h[i].reason);
	free(h);
}

static int set_hold(struct hold *h, enum hold_kind kind, const struct device *cause,
		    const char *fmt, ...) _printf_(4, 5);
static int set_hold(struct hold *h, enum hold_kind kind, const struct device *cause,
		    const char *fmt, ...)
{
	va_list ap;
	char *m;
	int r;

	/* The first reason found stays: a function's own beats one inherited. */
	if (h->kind != HOLD_NONE)
		return 0;
	va_start(ap, fmt);
	r = vasprintf(&m, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	*h = (struct hold){ .kind = kind, .cause = cause, .reason = m };
	return 0;
}

static bool lifted(const struct policy *p, enum hold_kind kind)
{
	return p && p->quiesce_userspace && kind != HOLD_PRESERVED;
}

int holds_compute(const struct inventory *inv, const struct policy *const *gov, struct hold **ret)
{
	struct hold *h = calloc(inv->n + 1, sizeof(*h));
	int r = 0;

	if (!h)
		return -ENOMEM;
	/* A function's own state first: preserved, or given to userspace. */
	for (size_t i = 0; i < inv->n && r >= 0; i++) {
		const struct device *d = inv->devices[i];

		if (d->kind != DEVICE_PCI)
			continue;
		if (d->liveupdate_preserved)
			r = set_hold(&h[i], HOLD_PRESERVED, d,
				     "preserved across the kexec by a live update");
		else if (driver_gives_dma_to_userspace(d->driver) &&
			 !lifted(gov ? gov[i] : NULL, HOLD_USERSPACE))
			r = set_hold(&h[i], HOLD_USERSPACE, d,
				     "bound to %s, which gives its DMA to userspace (a VM or a "
				     "userspace driver)",
				     d->driver);
	}
	/* Then what they need: their PF's SR-IOV and driver, and the bridges above. */
	for (size_t i = 0; i < inv->n && r >= 0; i++) {
		const struct device *d = inv->devices[i];
		const char *what;

		if (h[i].cause != d)
			continue;
		what = h[i].kind == HOLD_PRESERVED ? "preserved by a live update" :
						     "given to userspace";
		if (d->physfn && !lifted(gov ? gov[d->physfn->index] : NULL, h[i].kind))
			r = set_hold(&h[d->physfn->index], HOLD_VF_IN_USE, d,
				     "its VF %s is %s (%s): SR-IOV and the PF's driver stay",
				     d->name, what, strna(d->driver));
		for (const struct device *a = (d->physfn ?: d)->parent; a && r >= 0; a = a->parent)
			/* A bridge's own policy cannot lift it: its reset takes the function below too. */
			if (a->kind == DEVICE_PCI)
				r = set_hold(&h[a->index], HOLD_ABOVE, d, "above %s, which is %s",
					     d->name, what);
	}
	if (r < 0) {
		holds_free(h, inv->n);
		return r;
	}
	*ret = h;
	return 0;
}
