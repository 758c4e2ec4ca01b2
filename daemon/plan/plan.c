// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The planner.  Pure: inventory + policies in, DAG of steps out.
 *
 * Each device keeps a chain of its destructive steps (SR-IOV off, unbind,
 * reset, module unload), linked in that order.  Any step on a device
 * (a flush on a disk, a link-down on an interface, the unbind of a VF)
 * must finish before the first destructive step of the nearest ancestor
 * that has one, and before the first of its PF's.  Because chains link up
 * the same way, edges to the nearest such step are enough: the rest
 * follows by transitivity.
 *
 * A device whose destructive steps would remove disks with file systems
 * mounted read-write from them (the nearest such device above each disk,
 * by the same walk as those edges) first gets a readonly step: sync and
 * remount read-only, wait for md arrays to be clean.  It goes before the
 * device's first destructive step and before the flush of those disks,
 * and it guards: if it fails, nothing after it runs (see struct step).
 *
 * Inventories may come from crafted snapshots, so no walk here trusts the
 * device graph to be a tree: walks are iterative, and each visits a device
 * at most once (a physfn loop ends where it meets a device already seen).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "match.h"
#include "plan.h"
#include "string-util.h"
#include "strv.h"

static const char *const step_names[_STEP_TYPE_MAX] = {
	[STEP_SET_KERNEL_METHOD] = "set-kernel-method",
	[STEP_FS_READONLY] = "readonly",
	[STEP_FLUSH_CACHE] = "flush-cache",
	[STEP_NET_DOWN] = "net-down",
	[STEP_SRIOV_DISABLE] = "sriov-disable",
	[STEP_UNBIND] = "unbind",
	[STEP_RESET] = "reset",
	[STEP_UNLOAD_MODULE] = "unload-module",
	[STEP_BARRIER] = "barrier",
};

const char *step_type_to_string(enum step_type t)
{
	return t >= 0 && t < _STEP_TYPE_MAX ? step_names[t] : NULL;
}

/*
 * A mount point as step lines show it: escaped for a terminal (cescape())
 * and with ": " written ":\x20".  Mount points are the one part of a step's
 * description that users choose (a removable disk's label), and a step
 * line is "DESCRIPTION: STATE ...": "/media/x: done; ..." must not read as
 * a state in the journal (journal-read.c).
 */
static char *mount_point_shown(const char *mount_point)
{
	_cleanup_free_ char *e = cescape(mount_point);
	char *out, *o;
	size_t n = 0;

	if (!e)
		return NULL;
	for (const char *q = e; (q = strstr(q, ": ")); q++)
		n++;
	out = malloc(strlen(e) + 3 * n + 1);
	if (!out)
		return NULL;
	o = out;
	for (const char *q = e; *q; q++) {
		if (q[0] == ':' && q[1] == ' ') {
			o = stpcpy(o, ":\\x20");
			q++;
			continue;
		}
		*o++ = *q;
	}
	*o = '\0';
	return out;
}

/* "/data/cache, /data and 3 more", escaped for a terminal. */
static char *mount_list(const struct step *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < s->n_mounts && i < 4; i++) {
		_cleanup_free_ char *mp = mount_point_shown(s->mounts[i].mount->mount_point);

		fprintf(f, "%s%s", i ? ", " : "", strna(mp));
	}
	if (s->n_mounts > 4)
		fprintf(f, " and %zu more", s->n_mounts - 4);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

char *step_describe(const struct step *s)
{
	_cleanup_free_ char *list = NULL, *md = NULL;
	char *r = NULL;
	int n = -1;

	switch (s->type) {
	case STEP_FS_READONLY:
		list = mount_list(s);
		md = strv_join(s->md, ", ");
		if (!list || !md)
			return NULL;
		n = asprintf(&r, "make %s read-only (disks below %s)%s%s%s", list, s->object,
			     s->md ? ", wait until " : "", md, s->md ? " clean" : "");
		break;
	case STEP_SET_KERNEL_METHOD:
		if (s->previous_method == KMETHOD_UNSET)
			n = asprintf(&r, "set kexec_method of %s (%s) to %s", s->object,
				     strna(s->driver), kernel_method_to_string(s->method));
		else
			n = asprintf(&r, "set kexec_method of %s (%s) to %s (was %s)", s->object,
				     strna(s->driver), kernel_method_to_string(s->method),
				     kernel_method_to_string(s->previous_method));
		break;
	case STEP_FLUSH_CACHE:
		n = asprintf(&r, "flush write cache of %s", s->object);
		break;
	case STEP_NET_DOWN:
		n = asprintf(&r, "bring interface %s down", s->object);
		break;
	case STEP_SRIOV_DISABLE:
		n = asprintf(&r, "disable SR-IOV on %s (%u VFs)", s->object,
			     s->device ? s->device->sriov_numvfs : 0);
		break;
	case STEP_UNBIND:
		n = asprintf(&r, "unbind %s from %s", s->object, strna(s->driver));
		break;
	case STEP_RESET:
		n = asprintf(&r, "reset PCI function %s", s->object);
		break;
	case STEP_UNLOAD_MODULE:
		n = asprintf(&r, "unload module %s", s->object);
		break;
	case STEP_BARRIER:
		n = asprintf(&r, "wait for all steps of %s", s->object);
		break;
	default:
		break;
	}
	return n < 0 ? NULL : r;
}

struct plan *plan_free(struct plan *p)
{
	if (!p)
		return NULL;
	for (size_t i = 0; i < p->n; i++) {
		free(p->steps[i].object);
		free(p->steps[i].driver);
		free(p->steps[i].reason);
		free(p->steps[i].mounts);
		strv_free(p->steps[i].md);
		free(p->steps[i].deps);
	}
	free(p->steps);
	for (size_t i = 0; i < p->n_devices; i++)
		free(p->devices[i].left_alone);
	free(p->devices);
	strv_free(p->warnings);
	strv_free(p->notes);
	free(p);
	return NULL;
}

/* ---- builder ------------------------------------------------------------- */

struct builder {
	const struct inventory *inv;
	const struct policy_set *ps; /* &sorted, or NULL */
	struct policy_set sorted; /* the caller's policies in name order; not owned */
	struct step *steps;
	size_t n, allocated;
	/* Per device index: first and last destructive step, as index + 1. */
	size_t *first_destr;
	size_t *last_destr;
	const struct policy **gov; /* governing policy per device index */
	const struct policy **unloader; /* policy unloading the device's module */
	struct hold *holds; /* per device index: owner.h */
	bool *keep_module; /* per device index: its module must not be unloaded */
	char **warnings;
	char **notes;
	/* Device walks: a stack, and mark[i] == walk when device i was seen in this one. */
	const struct device **stack;
	size_t *mark;
	size_t walk;
};

/* Add a line to *list once. */
_printf_(2, 0) static int add_line(char ***list, const char *fmt, va_list ap)
{
	char *m;
	int r;

	r = vasprintf(&m, fmt, ap);
	if (r < 0)
		return -ENOMEM;
	if (strv_contains(*list, m)) {
		free(m);
		return 0;
	}
	r = strv_consume(list, m);
	if (r < 0)
		free(m);
	return r;
}

_printf_(2, 3) static int warn(struct builder *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = add_line(&b->warnings, fmt, ap);
	va_end(ap);
	return r;
}

_printf_(2, 3) static int note(struct builder *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = add_line(&b->notes, fmt, ap);
	va_end(ap);
	return r;
}

static int add_step(struct builder *b, enum step_type type, const struct device *d,
		    const char *object, const struct policy *p, enum policy_key key, char *reason,
		    size_t *ret)
{
	struct step *s;

	if (!reason)
		return -ENOMEM;
	if (b->n == b->allocated) {
		size_t na = b->allocated ? b->allocated * 2 : 64;

		s = realloc(b->steps, na * sizeof(*s));
		if (!s) {
			free(reason);
			return -ENOMEM;
		}
		b->steps = s;
		b->allocated = na;
	}
	s = &b->steps[b->n];
	*s = (struct step){
		.type = type,
		.device = d,
		.object = strdup(object),
		.driver = d && d->driver ? strdup(d->driver) : NULL,
		.method = KMETHOD_UNSET,
		.previous_method = KMETHOD_UNSET,
		.policy = p,
		.key = key,
		.reason = reason,
		.timeout_usec = p ? p->timeout_usec : POLICY_TIMEOUT_DEFAULT_USEC,
		.on_failure = p ? p->on_failure : ONFAIL_CONTINUE,
	};
	if (!s->object || (d && d->driver && !s->driver)) {
		free(s->object);
		free(s->driver);
		free(reason);
		return -ENOMEM;
	}
	*ret = b->n++;
	return 0;
}

static char *fmt(const char *f, ...) _printf_(1, 2);
static char *fmt(const char *f, ...)
{
	char *r;
	va_list ap;
	int n;

	va_start(ap, f);
	n = vasprintf(&r, f, ap);
	va_end(ap);
	return n < 0 ? NULL : r;
}

/* "from" must finish before "to" starts. */
static int add_edge(struct builder *b, size_t from, size_t to)
{
	struct step *s = &b->steps[to];
	size_t *nd;

	if (from == to)
		return 0;
	for (size_t i = 0; i < s->n_deps; i++)
		if (s->deps[i] == from)
			return 0;
	/* Grow in powers of two; n_deps doubles as the fill mark. */
	if ((s->n_deps & (s->n_deps - 1)) == 0) {
		nd = realloc(s->deps, (s->n_deps ? s->n_deps * 2 : 2) * sizeof(*nd));
		if (!nd)
			return -ENOMEM;
		s->deps = nd;
	}
	s->deps[s->n_deps++] = from;
	return 0;
}

/* Append step to the device's chain of destructive steps. */
static int chain_append(struct builder *b, const struct device *d, size_t step)
{
	size_t i = d->index;
	int r;

	if (b->last_destr[i]) {
		r = add_edge(b, b->last_destr[i] - 1, step);
		if (r < 0)
			return r;
	} else {
		b->first_destr[i] = step + 1;
	}
	b->last_destr[i] = step + 1;
	return 0;
}

/* Start a walk over devices: none is marked as seen in it yet. */
static void walk_begin(struct builder *b)
{
	b->walk++;
}

/* Mark d as seen in this walk; false if it already was. */
static bool walk_visit(struct builder *b, const struct device *d)
{
	if (b->mark[d->index] == b->walk)
		return false;
	b->mark[d->index] = b->walk;
	return true;
}

typedef int (*destroyer_fn)(struct builder *b, const struct device *owner, void *userdata);

/*
 * The devices whose destructive steps remove x: x's nearest ancestor that
 * has one, and x's PF (or, if the PF has none, the PF's nearest ancestor
 * with one and its PF's).  fn is called once for each.
 *
 * Walks up the parent links from x and from every PF met on the way that
 * has no destructive step of its own; each device is visited once, so the
 * stack never holds more than inv->n entries.
 */
static int for_each_destroyer(struct builder *b, const struct device *x, destroyer_fn fn,
			      void *userdata)
{
	size_t n_stack = 0;
	int r;

	walk_begin(b);
	walk_visit(b, x);
	b->stack[n_stack++] = x;
	while (n_stack > 0) {
		const struct device *start = b->stack[--n_stack];

		for (const struct device *y = start; y; y = y->parent) {
			const struct device *pf = y->physfn;

			if (y != start) {
				/* Seen: what lies above it is walked already (or will be). */
				if (!walk_visit(b, y))
					break;
				if (b->first_destr[y->index]) {
					r = fn(b, y, userdata);
					if (r < 0)
						return r;
					break;
				}
			}
			if (!pf || !walk_visit(b, pf))
				continue;
			if (b->first_destr[pf->index]) {
				r = fn(b, pf, userdata);
				if (r < 0)
					return r;
			} else
				b->stack[n_stack++] = pf;
		}
	}
	return 0;
}

static int edge_to_first(struct builder *b, const struct device *owner, void *userdata)
{
	return add_edge(b, *(size_t *)userdata, b->first_destr[owner->index] - 1);
}

/*
 * Step s acts on device x (or below it): it must finish before the first
 * destructive step of each device whose steps remove x.
 */
static int edges_up(struct builder *b, size_t s, const struct device *x)
{
	return for_each_destroyer(b, x, edge_to_first, &s);
}

static enum policy_action action_of(const struct policy *p)
{
	return p ? p->action : ACTION_KERNEL;
}

/* The policy whose knobs apply to what hangs below d. */
static const struct policy *effective(const struct builder *b, const struct device *d)
{
	return b->gov[d->index] ? b->gov[d->index] : b->unloader[d->index];
}

static bool module_unloadable(const struct device *d)
{
	return d->driver && d->module && !d->module_builtin;
}

static bool held(const struct builder *b, const struct device *d)
{
	return b->holds[d->index].kind != HOLD_NONE;
}

/*
 * The plan takes d's driver away before the kexec: Action=unbind or
 * reset, Action=unload (or the unbind it falls back to), or the unload of
 * its module by another function's policy.  plan_modules() must have run.
 */
static bool plan_removes_driver(const struct builder *b, const struct device *d)
{
	enum policy_action a = action_of(b->gov[d->index]);

	if (!d->driver || held(b, d))
		return false;
	return a == ACTION_UNBIND || a == ACTION_RESET || a == ACTION_UNLOAD ||
	       b->unloader[d->index];
}

/*
 * The kernel is asked to release d's driver at the kexec (KernelMethod=
 * remove in the policy that governs it), and may: the kernel has the
 * attribute, and takes remove for d.  Not for a function left alone.
 */
static bool kernel_asked_to_release(const struct builder *b, const struct device *d)
{
	const struct policy *p = b->gov[d->index];

	return b->inv->kernel_per_device_method && p && p->kernel_method == KMETHOD_REMOVE &&
	       d->driver && !held(b, d) && !kexec_remove_refused(d);
}

/*
 * A module that drives a function left alone stays: its unload would
 * remove that function too.  The functions p governs are unbound instead
 * (plan_pci()).  1 when the module stays.
 */
static int keep_held_module(struct builder *b, const struct policy *p, const struct device *d)
{
	const struct inventory *inv = b->inv;
	const struct device *h = NULL;
	int r;

	for (size_t j = 0; j < inv->n && !h; j++) {
		const struct device *o = inv->devices[j];

		if (o->kind == DEVICE_PCI && o->driver && streq_ptr(o->module, d->module) &&
		    held(b, o))
			h = o;
	}
	if (!h)
		return 0;
	for (size_t j = 0; j < inv->n; j++)
		if (inv->devices[j]->kind == DEVICE_PCI &&
		    streq_ptr(inv->devices[j]->module, d->module))
			b->keep_module[j] = true;
	r = warn(b,
		 "%s: module %s is not unloaded: it drives %s, which is left alone (%s); the "
		 "functions this policy governs are unbound instead",
		 p->name, d->module, h->name, b->holds[h->index].reason);
	return r < 0 ? r : 1;
}

static int plan_modules(struct builder *b)
{
	const struct inventory *inv = b->inv;
	int r;

	/* Which modules go, and which devices go with them. */
	for (size_t i = 0; i < inv->n; i++) {
		const struct device *d = inv->devices[i];
		const struct policy *p = b->gov[i];

		if (d->kind != DEVICE_PCI || action_of(p) != ACTION_UNLOAD || !d->driver)
			continue;
		if (!module_unloadable(d)) {
			r = warn(
				b,
				"%s: Action=unload for %s, but driver %s is built in; unbinding instead",
				p->name, d->name, d->driver);
			if (r < 0)
				return r;
			continue;
		}
		/* Its module is already going, taken by an earlier device. */
		if (b->unloader[i] || b->keep_module[i])
			continue;
		r = keep_held_module(b, p, d);
		if (r != 0) {
			if (r < 0)
				return r;
			continue;
		}
		for (size_t j = 0; j < inv->n; j++) {
			const struct device *o = inv->devices[j];

			if (o->kind != DEVICE_PCI || !o->driver || !streq_ptr(o->module, d->module))
				continue;
			if (!b->unloader[j])
				b->unloader[j] = p;
			if (b->gov[j] != p) {
				r = warn(b,
					 "%s: unloading module %s also removes %s (governed by %s)",
					 p->name, d->module, o->name,
					 b->gov[j] ? b->gov[j]->name : "the built-in default");
				if (r < 0)
					return r;
			}
		}
	}
	return 0;
}

static int plan_pci(struct builder *b, const struct device *d)
{
	const struct policy *p = b->gov[d->index];
	const struct policy *ep = effective(b, d);
	enum policy_action a = action_of(p);
	bool removed, released;
	size_t s;
	int r;

	if (a == ACTION_UNLOAD && (!module_unloadable(d) || b->keep_module[d->index]))
		a = ACTION_UNBIND; /* warned about in plan_modules() */
	if (held(b, d)) {
		/* Nothing removes, resets or unloads it, nor turns its SR-IOV off. */
		if ((d->driver && a != ACTION_KERNEL) ||
		    (ep && d->sriov_numvfs > 0 && ep->disable_sriov == TRI_YES))
			return warn(b, "%s: nothing done to %s (%s): %s", ep ? ep->name : p->name,
				    d->name, strna(d->driver), b->holds[d->index].reason);
		return 0;
	}
	removed = plan_removes_driver(b, d);
	/* Enabled VFs keep the kernel from releasing the PF's driver: they go first. */
	released = !removed && kernel_asked_to_release(b, d);

	if (ep && d->sriov_numvfs > 0 &&
	    (ep->disable_sriov == TRI_YES ||
	     (ep->disable_sriov == TRI_AUTO && (removed || released)))) {
		r = add_step(
			b, STEP_SRIOV_DISABLE, d, d->name, ep, KEY_DISABLE_SRIOV,
			ep->disable_sriov == TRI_YES ?
				fmt("DisableSRIOV=yes and %u VFs are enabled", d->sriov_numvfs) :
			removed ?
				fmt("%u VFs are enabled and driver %s goes away (DisableSRIOV=auto)",
				    d->sriov_numvfs, strna(d->driver)) :
				fmt("%u VFs are enabled, which would keep the kernel from releasing "
				    "%s at the kexec (KernelMethod=remove, DisableSRIOV=auto)",
				    d->sriov_numvfs, strna(d->driver)),
			&s);
		if (r < 0)
			return r;
		r = chain_append(b, d, s);
		if (r < 0)
			return r;
	}

	if (d->driver && (a == ACTION_UNBIND || a == ACTION_RESET)) {
		if (d->suppress_bind_attrs) {
			r = warn(b,
				 "%s: unbinding %s from %s will fail: the driver cannot be "
				 "unbound (suppress_bind_attrs: no unbind in /sys/bus/pci/drivers)",
				 p->name, d->name, d->driver);
			if (r < 0)
				return r;
		}
		r = add_step(b, STEP_UNBIND, d, d->name, p, KEY_ACTION,
			     p->action == ACTION_UNLOAD ?
				     (b->keep_module[d->index] ?
					      fmt("Action=unload, but module %s stays: it drives "
						  "a function left alone",
						  strna(d->module)) :
					      fmt("Action=unload, but %s is built in", d->driver)) :
				     fmt("Action=%s", policy_action_to_string(p->action)),
			     &s);
		if (r < 0)
			return r;
		r = chain_append(b, d, s);
		if (r < 0)
			return r;
	}
	if (a == ACTION_RESET) {
		r = add_step(b, STEP_RESET, d, d->name, p, KEY_ACTION, fmt("Action=reset"), &s);
		if (r < 0)
			return r;
		r = chain_append(b, d, s);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * A held function that the kernel would release at the kexec (its
 * kexec_action says remove, or its kexec_method does and only a veto that
 * may lift during the shutdown walk holds it back, such as a device below
 * that is released first) gets kexec_method shutdown: releasing it there
 * would pull a device from a VM or a live update, and vfio's ->remove()
 * would wait for userspace.
 */
static int plan_held_methods(struct builder *b)
{
	const struct inventory *inv = b->inv;
	int r;

	for (size_t i = 0; i < inv->n; i++) {
		const struct device *d = inv->devices[i];
		bool done = false;
		size_t s;

		if (d->kind != DEVICE_PCI || !d->driver || !held(b, d) ||
		    (d->kexec_action != KACTION_REMOVE && d->kexec_method != KMETHOD_REMOVE))
			continue;
		for (size_t k = 0; k < b->n && !done; k++)
			done = b->steps[k].type == STEP_SET_KERNEL_METHOD &&
			       b->steps[k].device == d;
		if (done)
			continue;
		r = add_step(b, STEP_SET_KERNEL_METHOD, d, d->name, NULL, KEY_KERNEL_METHOD,
			     d->kexec_action == KACTION_REMOVE ?
				     fmt("the kernel would release %s from %s at the kexec, and "
					 "it is left alone: %s",
					 d->driver, d->name, b->holds[i].reason) :
				     fmt("kexec_method of %s is remove, and it is left alone: %s",
					 d->name, b->holds[i].reason),
			     &s);
		if (r < 0)
			return r;
		b->steps[s].method = KMETHOD_SHUTDOWN;
		b->steps[s].previous_method = d->kexec_method;
	}
	return 0;
}

/*
 * KernelMethod= sets the kexec_method of each bound PCI function that its
 * policy governs: one step per function whose kexec_method differs, so
 * that two functions of one driver may get different methods.  remove is
 * not asked for a function that is left alone (plan_held_methods() keeps
 * those at shutdown) nor for one the kernel refuses it for (a bridge,
 * vfio-pci): a warning instead of a step that would fail.  Nor is any
 * method set on a function whose driver the plan takes away itself (an
 * unbind, reset or unload): the kernel forgets the method on unbind, and a
 * refused write must not fail a reboot that the unbind makes safe; a note
 * says so.
 */
/*
 * The functions whose KernelMethod= the plan makes moot, grouped by policy
 * and by what the plan does instead: one note per group, not one per
 * function (a policy for a NIC with 255 VFs would otherwise say it 256
 * times).
 */
enum moot_why { MOOT_UNBIND, MOOT_RESET, MOOT_UNLOAD };

struct moot {
	const struct policy *p;
	enum moot_why why;
	const struct device *first;
	size_t n;
};

static int moot_add(struct moot **list, size_t *n, const struct policy *p, enum moot_why why,
		    const struct device *d)
{
	struct moot *m;

	for (size_t k = 0; k < *n; k++)
		if ((*list)[k].p == p && (*list)[k].why == why) {
			(*list)[k].n++;
			return 0;
		}
	m = reallocarray(*list, *n + 1, sizeof(**list));
	if (!m)
		return -ENOMEM;
	*list = m;
	m[(*n)++] = (struct moot){ .p = p, .why = why, .first = d, .n = 1 };
	return 0;
}

static int moot_notes(struct builder *b, const struct moot *list, size_t n)
{
	static const char *const one[] = {
		[MOOT_UNBIND] = "unbinds it",
		[MOOT_RESET] = "unbinds and resets it",
		[MOOT_UNLOAD] = "unloads its module",
	};
	static const char *const many[] = {
		[MOOT_UNBIND] = "unbinds them",
		[MOOT_RESET] = "unbinds and resets them",
		[MOOT_UNLOAD] = "unloads their modules",
	};
	int r;

	for (size_t k = 0; k < n; k++) {
		const struct moot *m = &list[k];
		const char *method = kernel_method_to_string(m->p->kernel_method);

		if (m->n == 1)
			r = note(b, "%s: KernelMethod=%s for %s (%s) not needed: the plan %s",
				 m->p->name, method, m->first->name, m->first->driver, one[m->why]);
		else
			r = note(b,
				 "%s: KernelMethod=%s for %zu functions (%s (%s) and %zu more) "
				 "not needed: the plan %s",
				 m->p->name, method, m->n, m->first->name, m->first->driver,
				 m->n - 1, many[m->why]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int plan_kernel_methods(struct builder *b)
{
	const struct inventory *inv = b->inv;
	_cleanup_free_ struct moot *moot = NULL;
	size_t n_moot = 0;
	int r;

	for (size_t i = 0; i < inv->n; i++) {
		const struct device *d = inv->devices[i];
		const struct policy *p = b->gov[i];
		const char *refused;
		size_t s;

		if (d->kind != DEVICE_PCI || !p || p->kernel_method == KMETHOD_UNSET || !d->driver)
			continue;
		if (!inv->kernel_per_device_method) {
			r = warn(b,
				 "%s: KernelMethod=%s ignored: the running kernel has no "
				 "kexec_method (it lacks the kexecq patches)",
				 p->name, kernel_method_to_string(p->kernel_method));
			if (r < 0)
				return r;
			continue;
		}
		if (plan_removes_driver(b, d)) {
			r = moot_add(&moot, &n_moot, p,
				     b->unloader[i]		  ? MOOT_UNLOAD :
				     action_of(p) == ACTION_RESET ? MOOT_RESET :
								    MOOT_UNBIND,
				     d);
			if (r < 0)
				return r;
			continue;
		}
		if (p->kernel_method == KMETHOD_REMOVE && held(b, d)) {
			r = warn(
				b,
				"%s: KernelMethod=remove for %s (%s) not applied: it is left alone "
				"(%s)",
				p->name, d->name, d->driver, b->holds[i].reason);
			if (r < 0)
				return r;
			continue;
		}
		refused = p->kernel_method == KMETHOD_REMOVE ? kexec_remove_refused(d) : NULL;
		if (refused) {
			r = warn(
				b,
				"%s: KernelMethod=remove for %s (%s) not set: the kernel refuses it, "
				"%s",
				p->name, d->name, d->driver, refused);
			if (r < 0)
				return r;
			continue;
		}
		if (p->kernel_method == KMETHOD_REMOVE) {
			_cleanup_free_ char *veto = NULL;

			/* DisableSRIOV=auto turns SR-IOV off for it (plan_pci()); =no does not. */
			r = kexec_remove_vetoed(inv, d, p->disable_sriov != TRI_NO, &veto);
			if (r < 0)
				return r;
			if (r > 0) {
				r = warn(b,
					 "%s: KernelMethod=remove for %s (%s) will not be honoured "
					 "at the kexec: %s, and the kernel keeps the driver then "
					 "(->shutdown(), or only bus mastering off without one)",
					 p->name, d->name, d->driver, veto);
				if (r < 0)
					return r;
			}
		}
		if (d->kexec_method == p->kernel_method)
			continue;
		r = add_step(b, STEP_SET_KERNEL_METHOD, d, d->name, p, KEY_KERNEL_METHOD,
			     fmt("KernelMethod=%s", kernel_method_to_string(p->kernel_method)), &s);
		if (r < 0)
			return r;
		b->steps[s].method = p->kernel_method;
		b->steps[s].previous_method = d->kexec_method;
	}
	r = moot_notes(b, moot, n_moot);
	if (r < 0)
		return r;
	return plan_held_methods(b);
}

static int plan_unloads(struct builder *b)
{
	const struct inventory *inv = b->inv;
	_cleanup_free_ bool *done = calloc(inv->n + 1, sizeof(bool));
	int r;

	if (!done)
		return -ENOMEM;
	for (size_t i = 0; i < inv->n; i++) {
		const struct device *d = inv->devices[i];
		const struct policy *p = b->unloader[i];
		size_t s;

		/* One step per module, made at its first device. */
		if (!p || done[i])
			continue;
		r = add_step(b, STEP_UNLOAD_MODULE, NULL, d->module, p, KEY_ACTION,
			     fmt("Action=unload (first device %s)", d->name), &s);
		if (r < 0)
			return r;
		for (size_t j = i; j < inv->n; j++) {
			const struct device *o = inv->devices[j];

			if (!b->unloader[j] || !streq_ptr(o->module, d->module))
				continue;
			done[j] = true;
			/* A VF whose PF turns SR-IOV off is gone before the unload. */
			if (o->physfn && b->first_destr[o->physfn->index] &&
			    b->steps[b->first_destr[o->physfn->index] - 1].type ==
				    STEP_SRIOV_DISABLE)
				continue;
			r = chain_append(b, o, s);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/*
 * Flush and link-down for what hangs below PCI function pci, in pre-order
 * (a device, then what is below it, children in order), not descending
 * into PCI functions: they are governed on their own.
 */
static int plan_children(struct builder *b, const struct device *pci)
{
	const struct policy *ep = effective(b, pci);
	size_t n_stack = 0;
	int r;

	if (!ep)
		return 0;
	walk_begin(b);
	walk_visit(b, pci);
	b->stack[n_stack++] = pci;
	while (n_stack > 0) {
		const struct device *x = b->stack[--n_stack];
		size_t s;

		if (x != pci) {
			if (x->kind == DEVICE_DISK &&
			    (ep->flush_cache == TRI_YES ||
			     (ep->flush_cache == TRI_AUTO && x->write_cache == CACHE_WRITE_BACK))) {
				r = add_step(
					b, STEP_FLUSH_CACHE, x, x->name, ep, KEY_FLUSH_CACHE,
					ep->flush_cache == TRI_YES ?
						fmt("FlushCache=yes (cache: %s)",
						    write_cache_to_string(x->write_cache)) :
						fmt("volatile write cache below %s (FlushCache=auto)",
						    pci->name),
					&s);
				if (r < 0)
					return r;
			}
			if (x->kind == DEVICE_NET && ep->network_down && x->up && !held(b, pci)) {
				r = add_step(b, STEP_NET_DOWN, x, x->name, ep, KEY_NETWORK_DOWN,
					     fmt("NetworkDown=yes and %s is up", x->name), &s);
				if (r < 0)
					return r;
			}
		}
		/* Pushed last to first, so the first child comes off the stack first. */
		for (size_t c = x->n_children; c-- > 0;) {
			const struct device *y = x->children[c];

			if (y->kind != DEVICE_PCI && walk_visit(b, y))
				b->stack[n_stack++] = y;
		}
	}
	return 0;
}

/* ---- file systems ---------------------------------------------------------- */

/* A disk and a device whose destructive steps remove it. */
struct removal {
	size_t owner, disk; /* device indexes */
};

struct removals {
	struct removal *v;
	size_t n, allocated;
	size_t disk;
};

static int collect_removal(struct builder *b, const struct device *owner, void *userdata)
{
	struct removals *rs = userdata;

	if (rs->n == rs->allocated) {
		size_t na = rs->allocated ? rs->allocated * 2 : 16;
		struct removal *nv = realloc(rs->v, na * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		rs->v = nv;
		rs->allocated = na;
	}
	rs->v[rs->n++] = (struct removal){ .owner = owner->index, .disk = rs->disk };
	return 0;
}

static int cmp_removal(const void *a, const void *b)
{
	const struct removal *x = a, *y = b;

	if (x->owner != y->owner)
		return x->owner < y->owner ? -1 : 1;
	return x->disk < y->disk ? -1 : x->disk > y->disk;
}

static bool has_rw_mount(const struct device *d)
{
	for (size_t i = 0; i < d->n_mounts; i++)
		if (!d->mounts[i].read_only)
			return true;
	return false;
}

static size_t path_depth(const char *p)
{
	size_t n = 0;

	for (; *p; p++)
		n += *p == '/' && p[1];
	return n;
}

/* Innermost mount point first: deeper paths before the paths they are under. */
static int cmp_step_mount(const void *a, const void *b)
{
	const struct step_mount *x = a, *y = b;
	size_t dx = path_depth(x->mount->mount_point), dy = path_depth(y->mount->mount_point);

	if (dx != dy)
		return dx > dy ? -1 : 1;
	return strcmp(x->mount->mount_point, y->mount->mount_point);
}

static bool same_mount(const struct device_mount *a, const struct device_mount *b)
{
	return a->major == b->major && a->minor == b->minor &&
	       streq(a->mount_point, b->mount_point);
}

/* One readonly step for the device owner, over disks rs[0..n). */
static int add_readonly_step(struct builder *b, const struct removal *rs, size_t n)
{
	const struct inventory *inv = b->inv;
	const struct device *owner = inv->devices[rs[0].owner];
	const struct step *first = &b->steps[b->first_destr[owner->index] - 1];
	_cleanup_free_ struct step_mount *mounts = NULL;
	_cleanup_strv_free_ char **md = NULL, **disks = NULL;
	_cleanup_free_ char *what = step_describe(first), *dl = NULL;
	size_t n_mounts = 0, allocated = 0, s;
	int r;

	if (!what)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct device *disk = inv->devices[rs[i].disk];

		if (strv_extend(&disks, disk->name) < 0)
			return -ENOMEM;
		for (size_t k = 0; k < disk->n_mounts; k++) {
			const struct device_mount *m = &disk->mounts[k];
			bool seen = false;

			if (m->read_only)
				continue;
			/* An md RAID1 over two disks of this device: one entry. */
			for (size_t j = 0; j < n_mounts && !seen; j++)
				seen = same_mount(mounts[j].mount, m);
			if (seen)
				continue;
			if (n_mounts == allocated) {
				size_t na = allocated ? allocated * 2 : 8;
				struct step_mount *nm = realloc(mounts, na * sizeof(*nm));

				if (!nm)
					return -ENOMEM;
				mounts = nm;
				allocated = na;
			}
			mounts[n_mounts++] = (struct step_mount){ .disk = disk, .mount = m };
			STRV_FOREACH (a, m->md)
				if (!strv_contains(md, *a) && strv_extend(&md, *a) < 0)
					return -ENOMEM;
		}
	}
	if (n_mounts > 1)
		qsort(mounts, n_mounts, sizeof(*mounts), cmp_step_mount);
	dl = strv_join(disks, ", ");
	if (!dl)
		return -ENOMEM;
	r = add_step(b, STEP_FS_READONLY, owner, owner->name, first->policy, first->key,
		     fmt("%s would remove %s under %zu read-write file system%s", what, dl,
			 n_mounts, n_mounts == 1 ? "" : "s"),
		     &s);
	if (r < 0)
		return r;
	b->steps[s].mounts = TAKE_PTR(mounts);
	b->steps[s].n_mounts = n_mounts;
	b->steps[s].md = TAKE_PTR(md);
	b->steps[s].guard = true;

	/* Before the device's removal, and before the flush of its disks. */
	r = add_edge(b, s, b->first_destr[owner->index] - 1);
	if (r < 0)
		return r;
	for (size_t t = 0; t < b->n; t++)
		if (b->steps[t].type == STEP_FLUSH_CACHE)
			for (size_t i = 0; i < n; i++)
				if (b->steps[t].device == inv->devices[rs[i].disk]) {
					r = add_edge(b, s, t);
					if (r < 0)
						return r;
				}
	return 0;
}

/*
 * Readonly steps: for each disk with a file system mounted read-write
 * from it, the devices whose steps would remove it; one step per device,
 * over all its disks.  Without mount information (a version 2 snapshot)
 * a warning per device instead: nothing can be made safe.
 */
static int plan_storage(struct builder *b)
{
	const struct inventory *inv = b->inv;
	struct removals rs = {};
	int r = 0;

	for (size_t i = 0; i < inv->n && r >= 0; i++) {
		const struct device *d = inv->devices[i];

		if (d->kind != DEVICE_DISK || (inv->mounts_known && !has_rw_mount(d)))
			continue;
		rs.disk = i;
		r = for_each_destroyer(b, d, collect_removal, &rs);
	}
	if (r >= 0 && rs.n > 1)
		qsort(rs.v, rs.n, sizeof(*rs.v), cmp_removal);
	for (size_t i = 0, j; r >= 0 && i < rs.n; i = j) {
		for (j = i + 1; j < rs.n && rs.v[j].owner == rs.v[i].owner; j++)
			;
		if (inv->mounts_known)
			r = add_readonly_step(b, rs.v + i, j - i);
		else
			r = warn(b,
				 "%s: the inventory does not say what is mounted (a version 2 "
				 "snapshot): file systems on its disks are not made read-only "
				 "before it goes",
				 inv->devices[rs.v[i].owner]->name);
	}
	free(rs.v);
	return r;
}

/* After=/Before= through one barrier step per policy involved. */
static int plan_explicit_order(struct builder *b)
{
	const struct policy_set *ps = b->ps;
	_cleanup_free_ size_t *barrier = NULL;
	_cleanup_free_ bool *has_steps = NULL;
	size_t n_before = b->n;
	int r;

	if (!ps || ps->n == 0)
		return 0;
	barrier = calloc(ps->n, sizeof(*barrier));
	has_steps = calloc(ps->n, sizeof(*has_steps));
	if (!barrier || !has_steps)
		return -ENOMEM;

	for (size_t i = 0; i < b->n; i++)
		for (size_t k = 0; k < ps->n; k++)
			if (b->steps[i].policy == ps->policies[k])
				has_steps[k] = true;

	for (size_t k = 0; k < ps->n; k++) {
		const struct policy *p = ps->policies[k];

		for (int dir = 0; dir < 2; dir++) {
			char **names = dir == 0 ? p->after : p->before;

			STRV_FOREACH (n, names) {
				size_t o, first, then;

				for (o = 0; o < ps->n; o++)
					if (streq(ps->policies[o]->name, *n))
						break;
				if (o == ps->n || !has_steps[k] || !has_steps[o])
					continue;
				/* After=: o first.  Before=: k first. */
				first = dir == 0 ? o : k;
				then = dir == 0 ? k : o;
				if (!barrier[first]) {
					size_t s;

					r = add_step(b, STEP_BARRIER, NULL,
						     ps->policies[first]->name, ps->policies[first],
						     dir == 0 ? KEY_AFTER : KEY_BEFORE,
						     fmt("%s=%s in %s",
							 dir == 0 ? "After" : "Before",
							 ps->policies[o]->name, p->name),
						     &s);
					if (r < 0)
						return r;
					barrier[first] = s + 1;
					for (size_t i = 0; i < n_before; i++)
						if (b->steps[i].policy == ps->policies[first]) {
							r = add_edge(b, i, s);
							if (r < 0)
								return r;
						}
				}
				for (size_t i = 0; i < n_before; i++)
					if (b->steps[i].policy == ps->policies[then]) {
						r = add_edge(b, barrier[first] - 1, i);
						if (r < 0)
							return r;
					}
			}
		}
	}
	return 0;
}

/* Find and describe a cycle among the steps Kahn's algorithm could not sort. */
static char *describe_cycle(const struct builder *b, const unsigned char *done)
{
	_cleanup_free_ size_t *seen_at = calloc(b->n, sizeof(size_t));
	_cleanup_free_ size_t *path = calloc(b->n + 1, sizeof(size_t));
	_cleanup_strv_free_ char **pols = NULL;
	char *out = NULL;
	size_t len = 0, v = 0, depth = 0;
	FILE *f;

	if (!seen_at || !path)
		return NULL;
	while (v < b->n && done[v])
		v++;
	/* Walk backwards along unsorted dependencies until a step repeats. */
	while (!seen_at[v]) {
		const struct step *s = &b->steps[v];

		seen_at[v] = ++depth;
		path[depth] = v;
		for (size_t i = 0; i < s->n_deps; i++)
			if (!done[s->deps[i]]) {
				v = s->deps[i];
				break;
			}
	}
	f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	fputs("ordering cycle:", f);
	/* path[seen_at[v]..depth] is the cycle, each waiting on the next; print in run order. */
	for (size_t k = depth + 1; k-- > seen_at[v];) {
		const struct step *s = &b->steps[path[k]];
		_cleanup_free_ char *d = step_describe(s);

		fprintf(f, " %s [%s %s] ->", strna(d), s->policy ? s->policy->name : "built-in",
			s->policy ? policy_key_to_string(s->key) : "");
		if (s->policy && !strv_contains(pols, s->policy->name))
			(void)strv_extend(&pols, s->policy->name);
	}
	{
		_cleanup_free_ char *d = step_describe(&b->steps[path[depth]]);
		_cleanup_free_ char *j = strv_join(pols, ", ");

		fprintf(f, " %s; policies involved: %s", strna(d), strempty(j));
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* Kahn's algorithm with levels; reorders steps and renumbers deps as ids. */
static int toposort(struct builder *b, struct plan *plan, char **ret_error)
{
	size_t n = b->n, head = 0, tail = 0;
	_cleanup_free_ size_t *indeg = calloc(n + 1, sizeof(size_t));
	_cleanup_free_ size_t *queue = calloc(n + 1, sizeof(size_t));
	_cleanup_free_ size_t *order_of = calloc(n + 1, sizeof(size_t));
	_cleanup_free_ unsigned *level = calloc(n + 1, sizeof(unsigned));
	_cleanup_free_ unsigned char *done = calloc(n + 1, 1);
	/* Reverse adjacency in CSR form. */
	_cleanup_free_ size_t *rstart = calloc(n + 2, sizeof(size_t));
	_cleanup_free_ size_t *radj = NULL;
	size_t n_edges = 0;
	unsigned max_level = 0;

	if (!indeg || !queue || !order_of || !level || !done || !rstart)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		indeg[i] = b->steps[i].n_deps;
		n_edges += b->steps[i].n_deps;
		for (size_t k = 0; k < b->steps[i].n_deps; k++)
			rstart[b->steps[i].deps[k] + 1]++;
	}
	for (size_t i = 0; i < n; i++)
		rstart[i + 1] += rstart[i];
	radj = calloc(n_edges + 1, sizeof(size_t));
	if (!radj)
		return -ENOMEM;
	{
		_cleanup_free_ size_t *fill = calloc(n + 1, sizeof(size_t));

		if (!fill)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < b->steps[i].n_deps; k++) {
				size_t d = b->steps[i].deps[k];

				radj[rstart[d] + fill[d]++] = i;
			}
	}

	for (size_t i = 0; i < n; i++)
		if (indeg[i] == 0)
			queue[tail++] = i;
	while (head < tail) {
		size_t v = queue[head++];

		done[v] = 1;
		for (size_t k = rstart[v]; k < rstart[v + 1]; k++) {
			size_t w = radj[k];

			if (level[w] < level[v] + 1)
				level[w] = level[v] + 1;
			if (--indeg[w] == 0)
				queue[tail++] = w;
		}
	}
	if (tail < n) {
		if (ret_error)
			*ret_error = describe_cycle(b, done);
		return -ELOOP;
	}

	/* Stable order by level, then creation order. */
	{
		size_t pos = 0;

		for (size_t i = 0; i < n; i++)
			if (level[i] > max_level)
				max_level = level[i];
		plan->steps = calloc(n + 1, sizeof(*plan->steps));
		if (!plan->steps)
			return -ENOMEM;
		for (unsigned l = 0; l <= max_level; l++)
			for (size_t i = 0; i < n; i++)
				if (level[i] == l) {
					order_of[i] = pos;
					plan->steps[pos] = b->steps[i];
					plan->steps[pos].level = l;
					plan->steps[pos].id = pos + 1;
					pos++;
				}
		for (size_t i = 0; i < n; i++) {
			struct step *s = &plan->steps[i];

			for (size_t k = 0; k < s->n_deps; k++)
				s->deps[k] = order_of[s->deps[k]] + 1;
		}
	}
	plan->n = n;
	plan->n_levels = n ? max_level + 1 : 0;
	/* The steps now belong to the plan. */
	free(b->steps);
	b->steps = NULL;
	b->n = 0;
	return 0;
}

static bool linked_device(const struct inventory *inv, const struct device *d)
{
	return d && d->index < inv->n && inv->devices[d->index] == d;
}

/*
 * The walks index per-device arrays by device->index and follow parent,
 * children and physfn links: all of them must point into this inventory,
 * as inventory_link() leaves them.  Loops among them are fine.
 */
static int check_links(const struct inventory *inv, char **ret_error)
{
	for (size_t i = 0; i < inv->n; i++) {
		const struct device *d = inv->devices[i];
		bool ok = d && d->index == i && (!d->parent || linked_device(inv, d->parent)) &&
			  (!d->physfn || linked_device(inv, d->physfn)) &&
			  (d->n_children == 0 || d->children);

		for (size_t c = 0; ok && c < d->n_children; c++)
			ok = linked_device(inv, d->children[c]);
		if (!ok) {
			if (ret_error && asprintf(ret_error,
						  "inventory not linked: device %zu (%s) points "
						  "outside it",
						  i, d ? strna(d->name) : "NULL") < 0)
				*ret_error = NULL;
			return -EINVAL;
		}
	}
	return 0;
}

struct ranked {
	struct policy *policy;
	size_t index; /* in the caller's array: ties keep that order */
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	int c = strcmp(strempty(x->policy->name), strempty(y->policy->name));

	return c != 0 ? c : x->index < y->index ? -1 : x->index > y->index;
}

/*
 * The set in name order, whatever order the caller's array is in:
 * everything here that depends on policy order (which policy governs a
 * device, the order of barriers) then depends on names only, as
 * documented.  policy_set_load() sorts already; this costs one sort of a
 * handful of pointers.
 */
static int sort_policies(struct builder *b, const struct policy_set *ps)
{
	_cleanup_free_ struct ranked *v = NULL;

	if (!ps)
		return 0;
	b->sorted.policies = calloc(ps->n + 1, sizeof(*b->sorted.policies));
	v = calloc(ps->n + 1, sizeof(*v));
	if (!b->sorted.policies || !v)
		return -ENOMEM;
	for (size_t i = 0; i < ps->n; i++)
		v[i] = (struct ranked){ .policy = ps->policies[i], .index = i };
	if (ps->n > 1)
		qsort(v, ps->n, sizeof(*v), cmp_ranked);
	for (size_t i = 0; i < ps->n; i++)
		b->sorted.policies[i] = v[i].policy;
	b->sorted.n = ps->n;
	b->ps = &b->sorted;
	return 0;
}

static void builder_done(struct builder *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->steps[i].object);
		free(b->steps[i].driver);
		free(b->steps[i].reason);
		free(b->steps[i].mounts);
		strv_free(b->steps[i].md);
		free(b->steps[i].deps);
	}
	free(b->steps);
	free(b->first_destr);
	free(b->last_destr);
	free(b->gov);
	free(b->unloader);
	holds_free(b->holds, b->inv ? b->inv->n : 0);
	free(b->keep_module);
	free(b->stack);
	free(b->mark);
	free(b->sorted.policies);
	strv_free(b->warnings);
	strv_free(b->notes);
}

int plan_build(const struct inventory *inv, const struct policy_set *policies, struct plan **ret,
	       char **ret_error)
{
	_cleanup_(builder_done) struct builder b = {
		.inv = inv,
	};
	_cleanup_(plan_freep) struct plan *plan = calloc(1, sizeof(*plan));
	size_t n = inv->n, n_pci = 0;
	int r;

	if (ret_error)
		*ret_error = NULL;
	b.first_destr = calloc(n + 1, sizeof(size_t));
	b.last_destr = calloc(n + 1, sizeof(size_t));
	b.gov = calloc(n + 1, sizeof(*b.gov));
	b.unloader = calloc(n + 1, sizeof(*b.unloader));
	b.stack = calloc(n + 1, sizeof(*b.stack));
	b.mark = calloc(n + 1, sizeof(*b.mark));
	b.keep_module = calloc(n + 1, sizeof(*b.keep_module));
	if (!plan || !b.first_destr || !b.last_destr || !b.gov || !b.unloader || !b.stack ||
	    !b.mark || !b.keep_module)
		return -ENOMEM;
	r = check_links(inv, ret_error);
	if (r < 0)
		return r;
	r = sort_policies(&b, policies);
	if (r < 0)
		return r;

	for (size_t i = 0; i < n; i++)
		if (inv->devices[i]->kind == DEVICE_PCI) {
			b.gov[i] = match_device(b.ps, inv->devices[i], inv->kernel_release,
						inv->kernel_upstream);
			n_pci++;
		}
	r = holds_compute(inv, b.gov, &b.holds);
	if (r < 0)
		return r;
	plan->devices = calloc(n_pci + 1, sizeof(*plan->devices));
	if (!plan->devices)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (inv->devices[i]->kind == DEVICE_PCI) {
			struct plan_device *pd = &plan->devices[plan->n_devices++];

			*pd = (struct plan_device){
				.device = inv->devices[i],
				.policy = b.gov[i],
				.hold = b.holds[i].kind,
			};
			if (b.holds[i].reason && !(pd->left_alone = strdup(b.holds[i].reason)))
				return -ENOMEM;
			for (size_t k = 0; b.ps && k < b.ps->n && !pd->unsafe; k++)
				if (b.ps->policies[k]->unsafe &&
				    policy_matches(b.ps->policies[k], inv->devices[i],
						   inv->kernel_release, inv->kernel_upstream))
					pd->unsafe = b.ps->policies[k];
			if (pd->unsafe)
				plan->n_unsafe++;
		}

	r = plan_modules(&b);
	if (r < 0)
		return r;
	r = plan_kernel_methods(&b);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (inv->devices[i]->kind == DEVICE_PCI) {
			r = plan_pci(&b, inv->devices[i]);
			if (r < 0)
				return r;
		}
	r = plan_unloads(&b);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (inv->devices[i]->kind == DEVICE_PCI) {
			r = plan_children(&b, inv->devices[i]);
			if (r < 0)
				return r;
		}
	r = plan_storage(&b);
	if (r < 0)
		return r;

	/*
	 * Implicit order: what is done to a device (a flush, a link-down, the
	 * last of its own destructive steps) before whatever removes its
	 * ancestors or its PF.
	 */
	for (size_t s = 0; s < b.n; s++)
		if (b.steps[s].type == STEP_FLUSH_CACHE || b.steps[s].type == STEP_NET_DOWN) {
			r = edges_up(&b, s, b.steps[s].device);
			if (r < 0)
				return r;
		}
	for (size_t i = 0; i < n; i++)
		if (b.last_destr[i]) {
			r = edges_up(&b, b.last_destr[i] - 1, inv->devices[i]);
			if (r < 0)
				return r;
		}

	r = plan_explicit_order(&b);
	if (r < 0)
		return r;

	r = toposort(&b, plan, ret_error);
	if (r < 0)
		return r;
	plan->warnings = TAKE_PTR(b.warnings);
	plan->notes = TAKE_PTR(b.notes);
	*ret = TAKE_PTR(plan);
	return 0;
}
