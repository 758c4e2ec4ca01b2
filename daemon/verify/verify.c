// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

static const char *const problem_names[_VERIFY_PROBLEM_MAX] = {
	[VERIFY_MISSING] = "missing",		[VERIFY_UNBOUND] = "unbound",
	[VERIFY_OTHER_DRIVER] = "other-driver", [VERIFY_DOWN] = "down",
	[VERIFY_RENAMED] = "renamed",		[VERIFY_SRIOV_OFF] = "sriov-off",
};

const char *verify_problem_to_string(enum verify_problem p)
{
	return p >= 0 && p < _VERIFY_PROBLEM_MAX ? problem_names[p] : NULL;
}

struct verify_result *verify_result_free(struct verify_result *v)
{
	if (!v)
		return NULL;
	for (size_t i = 0; i < v->n; i++) {
		free(v->findings[i].name);
		free(v->findings[i].pci);
		free(v->findings[i].expected);
		free(v->findings[i].found);
	}
	free(v->findings);
	free(v);
	return NULL;
}

struct ctx {
	const struct record *before, *now;
	struct verify_result *v;
	size_t allocated;
	bool *reported; /* per device of before: a PCI function reported */
};

static int add(struct ctx *c, enum verify_problem p, bool error, const struct record_device *d,
	       const char *expected, const char *found, unsigned vfs)
{
	struct verify_finding *f;

	if (c->v->n == c->allocated) {
		size_t na = c->allocated ? c->allocated * 2 : 16;
		struct verify_finding *nf = realloc(c->v->findings, na * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		c->v->findings = nf;
		c->allocated = na;
	}
	f = &c->v->findings[c->v->n];
	*f = (struct verify_finding){ .problem = p, .error = error, .kind = d->kind, .vfs = vfs };
	f->name = strdup(d->name);
	f->pci = d->pci ? strdup(d->pci) : NULL;
	f->expected = expected ? strdup(expected) : NULL;
	f->found = found ? strdup(found) : NULL;
	c->v->n++;
	if (error)
		c->v->n_errors++;
	else
		c->v->n_notices++;
	if (!f->name || (d->pci && !f->pci) || (expected && !f->expected) || (found && !f->found))
		return -ENOMEM;
	return 0;
}

static size_t index_of(const struct record *rec, const struct record_device *d)
{
	return (size_t)(d - rec->devices);
}

/* A PCI function of before against now; marks it reported when it is. */
static int check_pci(struct ctx *c, size_t i)
{
	const struct record_device *b = &c->before->devices[i];
	const struct record_device *n = record_find(c->now, DEVICE_PCI, b->name);
	int r = 0;

	if (!n)
		r = add(c, VERIFY_MISSING, b->driver != NULL, b, b->driver, NULL, 0);
	else if (b->driver && !n->driver)
		r = add(c, VERIFY_UNBOUND, true, b, b->driver, NULL, 0);
	else if (b->driver && !streq(b->driver, n->driver))
		r = add(c, VERIFY_OTHER_DRIVER, true, b, b->driver, n->driver, 0);
	else
		return 0;
	c->reported[i] = true;
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct pf_count {
	const struct record_device *pf;
	unsigned vfs;
};

static int cmp_pf_count(const void *a, const void *b)
{
	const struct pf_count *x = a, *y = b;

	return strcmp(x->pf->name, y->pf->name);
}

/* SR-IOV VFs, after their PFs: a PF back with no VF at all counts once. */
static int check_vfs(struct ctx *c)
{
	_cleanup_free_ const char **now_pfs = NULL;
	_cleanup_free_ struct pf_count *off = NULL;
	size_t n_now_pfs = 0, n_off = 0;
	int r;

	now_pfs = calloc(c->now->n + 1, sizeof(*now_pfs));
	off = calloc(c->before->n + 1, sizeof(*off));
	if (!now_pfs || !off)
		return -ENOMEM;
	for (size_t i = 0; i < c->now->n; i++)
		if (c->now->devices[i].kind == DEVICE_PCI && c->now->devices[i].physfn)
			now_pfs[n_now_pfs++] = c->now->devices[i].physfn;
	if (n_now_pfs > 1)
		qsort(now_pfs, n_now_pfs, sizeof(*now_pfs), cmp_str);

	for (size_t i = 0; i < c->before->n; i++) {
		const struct record_device *b = &c->before->devices[i], *pf;
		size_t k;

		if (b->kind != DEVICE_PCI || !b->physfn)
			continue;
		pf = record_find(c->before, DEVICE_PCI, b->physfn);
		if (pf && c->reported[index_of(c->before, pf)]) {
			c->reported[i] = true;
			continue;
		}
		if (pf && !record_find(c->now, DEVICE_PCI, b->name) &&
		    record_find(c->now, DEVICE_PCI, pf->name) &&
		    !bsearch(&pf->name, now_pfs, n_now_pfs, sizeof(*now_pfs), cmp_str)) {
			for (k = 0; k < n_off && off[k].pf != pf; k++)
				;
			if (k == n_off)
				off[n_off++].pf = pf;
			off[k].vfs++;
			c->reported[i] = true;
			continue;
		}
		r = check_pci(c, i);
		if (r < 0)
			return r;
	}
	if (n_off > 1)
		qsort(off, n_off, sizeof(*off), cmp_pf_count);
	for (size_t k = 0; k < n_off; k++) {
		r = add(c, VERIFY_SRIOV_OFF, false, off[k].pf, NULL, NULL, off[k].vfs);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Sorted by PCI function (none first), then name. */
static int cmp_child(const void *a, const void *b)
{
	const struct record_device *x = *(const struct record_device *const *)a;
	const struct record_device *y = *(const struct record_device *const *)b;
	int r;

	if (!x->pci != !y->pci)
		return x->pci ? 1 : -1;
	r = x->pci ? strcmp(x->pci, y->pci) : 0;
	return r ? r : strcmp(x->name, y->name);
}

static bool same_pci(const struct record_device *x, const struct record_device *y)
{
	return streq_ptr(x->pci, y->pci);
}

static int check_up(struct ctx *c, const struct record_device *b, const struct record_device *n)
{
	if (b->kind != DEVICE_NET || !b->up || n->up)
		return 0;
	return add(c, VERIFY_DOWN, true, b, "up", "down", 0);
}

/* Interfaces or disks: by name below the same PCI function, then paired as renamed. */
static int check_children(struct ctx *c, enum device_kind kind)
{
	_cleanup_free_ const struct record_device **lost = NULL, **spare = NULL;
	_cleanup_free_ bool *taken = NULL;
	size_t n_lost = 0, n_spare = 0, s = 0;
	int r;

	lost = calloc(c->before->n + 1, sizeof(*lost));
	spare = calloc(c->now->n + 1, sizeof(*spare));
	taken = calloc(c->now->n + 1, sizeof(*taken));
	if (!lost || !spare || !taken)
		return -ENOMEM;
	for (size_t i = 0; i < c->before->n; i++) {
		const struct record_device *b = &c->before->devices[i], *p, *n;

		if (b->kind != kind)
			continue;
		p = b->pci ? record_find(c->before, DEVICE_PCI, b->pci) : NULL;
		if (p && c->reported[index_of(c->before, p)])
			continue; /* its PCI function says it all */
		n = record_find(c->now, kind, b->name);
		if (n && same_pci(b, n)) {
			taken[index_of(c->now, n)] = true;
			r = check_up(c, b, n);
			if (r < 0)
				return r;
		} else
			lost[n_lost++] = b;
	}
	for (size_t i = 0; i < c->now->n; i++)
		if (c->now->devices[i].kind == kind && !taken[i])
			spare[n_spare++] = &c->now->devices[i];
	if (n_lost > 1)
		qsort(lost, n_lost, sizeof(*lost), cmp_child);
	if (n_spare > 1)
		qsort(spare, n_spare, sizeof(*spare), cmp_child);

	/* Both sorted by PCI function: walk them together. */
	for (size_t i = 0; i < n_lost; i++) {
		const struct record_device *b = lost[i];

		while (s < n_spare && cmp_child(&spare[s], &b) < 0 && !same_pci(spare[s], b))
			s++;
		if (s < n_spare && same_pci(spare[s], b)) {
			r = add(c, VERIFY_RENAMED, false, b, b->name, spare[s]->name, 0);
			if (r >= 0)
				r = check_up(c, b, spare[s]);
			s++;
		} else
			r = add(c, VERIFY_MISSING, true, b, b->name, NULL, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

int verify_compare(const struct record *before, const struct record *now,
		   struct verify_result **ret)
{
	_cleanup_(verify_result_freep) struct verify_result *v = calloc(1, sizeof(*v));
	_cleanup_free_ bool *reported = calloc(before->n + 1, sizeof(bool));
	struct ctx c = { .before = before, .now = now, .v = v, .reported = reported };
	int r;

	if (!v || !reported)
		return -ENOMEM;
	for (size_t i = 0; i < before->n; i++)
		v->recorded[before->devices[i].kind]++;
	for (size_t i = 0; i < before->n; i++)
		if (before->devices[i].kind == DEVICE_PCI && !before->devices[i].physfn) {
			r = check_pci(&c, i);
			if (r < 0)
				return r;
		}
	r = check_vfs(&c);
	if (r >= 0)
		r = check_children(&c, DEVICE_NET);
	if (r >= 0)
		r = check_children(&c, DEVICE_DISK);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(v);
	return 0;
}
