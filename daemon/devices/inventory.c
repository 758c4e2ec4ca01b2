// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "log.h"
#include "strv.h"

static const char *const kind_names[_DEVICE_KIND_MAX] = {
	[DEVICE_PCI] = "pci",	[DEVICE_SCSI_HOST] = "scsi_host",
	[DEVICE_NVME] = "nvme", [DEVICE_DISK] = "disk",
	[DEVICE_NET] = "net",
};

const char *device_kind_to_string(enum device_kind k)
{
	return k >= 0 && k < _DEVICE_KIND_MAX ? kind_names[k] : NULL;
}

int device_kind_from_string(const char *s)
{
	for (int i = 0; i < _DEVICE_KIND_MAX; i++)
		if (streq(s, kind_names[i]))
			return i;
	return -EINVAL;
}

const char *write_cache_to_string(enum write_cache c)
{
	return c == CACHE_WRITE_BACK	? "write back" :
	       c == CACHE_WRITE_THROUGH ? "write through" :
					  "unknown";
}

int write_cache_from_string(const char *s)
{
	if (streq(s, "write back"))
		return CACHE_WRITE_BACK;
	if (streq(s, "write through"))
		return CACHE_WRITE_THROUGH;
	if (streq(s, "unknown"))
		return CACHE_UNKNOWN;
	return -EINVAL;
}

struct device *device_new(enum device_kind kind, const char *syspath, const char *name)
{
	struct device *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->kind = kind;
	d->kexec_method = KMETHOD_UNSET;
	d->kexec_action = KACTION_UNKNOWN;
	d->syspath = strdup(syspath);
	d->name = strdup(name);
	if (!d->syspath || !d->name)
		return device_free(d);
	return d;
}

void device_mount_done(struct device_mount *m)
{
	if (!m)
		return;
	free(m->mount_point);
	free(m->fstype);
	free(m->source);
	strv_free(m->via);
	strv_free(m->md);
	*m = (struct device_mount){};
}

int device_add_mount(struct device *d, struct device_mount *m)
{
	struct device_mount *n = realloc(d->mounts, (d->n_mounts + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	d->mounts = n;
	d->mounts[d->n_mounts++] = *m;
	*m = (struct device_mount){};
	return 0;
}

struct device *device_free(struct device *d)
{
	if (!d)
		return NULL;
	for (size_t i = 0; i < d->n_mounts; i++)
		device_mount_done(&d->mounts[i]);
	free(d->mounts);
	free(d->syspath);
	free(d->name);
	free(d->driver);
	free(d->module);
	strv_free(d->properties);
	free(d->vendor);
	free(d->device_id);
	free(d->subsystem_vendor);
	free(d->subsystem_device);
	free(d->class);
	free(d->modalias);
	free(d->slot);
	free(d->id_path);
	free(d->physfn_syspath);
	free(d->bound_below);
	free(d->bound_below_driver);
	free(d->devnode);
	free(d->children);
	free(d);
	return NULL;
}

struct inventory *inventory_new(void)
{
	return calloc(1, sizeof(struct inventory));
}

struct inventory *inventory_free(struct inventory *inv)
{
	if (!inv)
		return NULL;
	for (size_t i = 0; i < inv->n; i++)
		device_free(inv->devices[i]);
	free(inv->devices);
	free(inv->kernel_release);
	free(inv->kernel_upstream);
	free(inv->source);
	strv_free(inv->liveupdate_sessions);
	free(inv);
	return NULL;
}

int inventory_add(struct inventory *inv, struct device *d)
{
	if (inv->n == inv->allocated) {
		size_t na = inv->allocated ? inv->allocated * 2 : 64;
		struct device **nd = realloc(inv->devices, na * sizeof(*nd));

		if (!nd)
			return -ENOMEM;
		inv->devices = nd;
		inv->allocated = na;
	}
	inv->devices[inv->n++] = d;
	return 0;
}

static int cmp_syspath(const void *a, const void *b)
{
	const struct device *x = *(struct device *const *)a, *y = *(struct device *const *)b;

	return strcmp(x->syspath, y->syspath);
}

struct device *inventory_find(const struct inventory *inv, const char *syspath)
{
	struct device key = { .syspath = (char *)syspath }, *kp = &key, **r;

	r = bsearch(&kp, inv->devices, inv->n, sizeof(*inv->devices), cmp_syspath);
	return r ? *r : NULL;
}

struct device *inventory_find_name(const struct inventory *inv, enum device_kind kind,
				   const char *name)
{
	for (size_t i = 0; i < inv->n; i++)
		if (inv->devices[i]->kind == kind && streq(inv->devices[i]->name, name))
			return inv->devices[i];
	return NULL;
}

/* Nearest ancestor by syspath: strip components until one is known. */
static struct device *find_parent(const struct inventory *inv, const char *syspath)
{
	_cleanup_free_ char *p = strdup(syspath);
	char *slash;

	if (!p)
		return NULL;
	while ((slash = strrchr(p, '/')) && slash != p) {
		struct device *d;

		*slash = 0;
		d = inventory_find(inv, p);
		if (d)
			return d;
	}
	return NULL;
}

int inventory_link(struct inventory *inv)
{
	if (inv->n > 1)
		qsort(inv->devices, inv->n, sizeof(*inv->devices), cmp_syspath);

	for (size_t i = 0; i < inv->n; i++) {
		struct device *d = inv->devices[i];

		d->index = i;
		d->n_children = 0;
		free(d->children);
		d->children = NULL;
		if (i > 0 && streq(inv->devices[i - 1]->syspath, d->syspath))
			return log_error_errno(EEXIST, "Device %s is listed twice.", d->syspath);
	}
	/* Two passes so each children array is allocated once. */
	for (size_t i = 0; i < inv->n; i++) {
		struct device *d = inv->devices[i];

		d->parent = find_parent(inv, d->syspath);
		if (d->parent)
			d->parent->n_children++;
		d->physfn = NULL;
	}
	for (size_t i = 0; i < inv->n; i++) {
		struct device *d = inv->devices[i];
		struct device *pf;

		if (!d->physfn_syspath)
			continue;
		if (d->kind != DEVICE_PCI)
			return log_error_errno(EINVAL, "%s: only a PCI function can have a physfn.",
					       d->syspath);
		if (streq(d->physfn_syspath, d->syspath))
			return log_error_errno(EINVAL, "%s: physfn names the device itself.",
					       d->syspath);
		pf = inventory_find(inv, d->physfn_syspath);
		if (!pf)
			return log_error_errno(EINVAL,
					       "%s: physfn %s is not a device of the inventory.",
					       d->syspath, d->physfn_syspath);
		if (pf->kind != DEVICE_PCI || pf->physfn_syspath)
			return log_error_errno(
				EINVAL, "%s: physfn %s is not a physical function (%s).",
				d->syspath, pf->syspath,
				pf->physfn_syspath ? "it is a VF itself" : "not a PCI function");
		d->physfn = pf;
	}
	for (size_t i = 0; i < inv->n; i++) {
		struct device *d = inv->devices[i];

		if (d->n_children) {
			d->children = calloc(d->n_children, sizeof(*d->children));
			if (!d->children)
				return -ENOMEM;
			d->n_children = 0;
		}
	}
	for (size_t i = 0; i < inv->n; i++) {
		struct device *d = inv->devices[i];

		if (d->parent)
			d->parent->children[d->parent->n_children++] = d;
	}
	return 0;
}

const char *device_get_property(const struct device *d, const char *key)
{
	size_t l = strlen(key);

	STRV_FOREACH (p, d->properties)
		if (strncmp(*p, key, l) == 0 && (*p)[l] == '=')
			return *p + l + 1;
	return NULL;
}

/* ---- what a driver's name says ---- */

/*
 * Linux 6.12's PCI drivers with .driver_managed_dma (contrib/pci-drivers-
 * 6.12.tsv, column driver_managed_dma) are vfio-pci and the variants
 * *_vfio_pci, besides pcieport and pci-stub; the globs also take the
 * spelling with dashes.  uio_pci_generic does not set the flag, yet lets
 * userspace turn bus mastering on (DPDK does).
 */
static const char *const userspace_drivers[] = {
	"vfio-pci", "vfio_pci", "*_vfio_pci", "*-vfio-pci", "uio_pci_generic", "igb_uio",
};

bool driver_gives_dma_to_userspace(const char *driver)
{
	if (!driver)
		return false;
	for (size_t i = 0; i < ELEMENTSOF(userspace_drivers); i++)
		if (fnmatch(userspace_drivers[i], driver, 0) == 0)
			return true;
	return false;
}

bool driver_is_vfio(const char *driver)
{
	return driver &&
	       (fnmatch("vfio-pci", driver, 0) == 0 || fnmatch("vfio_pci", driver, 0) == 0 ||
		fnmatch("*_vfio_pci", driver, 0) == 0 || fnmatch("*-vfio-pci", driver, 0) == 0);
}

/*
 * A PCI-to-PCI (0604, semi-transparent 0609) or CardBus (0607) bridge by
 * its class, or a function with PCI functions below it: the kernel's
 * pdev->subordinate.
 */
static bool is_bridge(const struct device *d)
{
	if (d->class && (startswith(d->class, "0604") || startswith(d->class, "0607") ||
			 startswith(d->class, "0609")))
		return true;
	for (size_t i = 0; i < d->n_children; i++)
		if (d->children[i]->kind == DEVICE_PCI)
			return true;
	return false;
}

const char *kexec_remove_refused(const struct device *d)
{
	if (d->kind != DEVICE_PCI)
		return NULL;
	if (is_bridge(d))
		return "it is a bridge";
	if (driver_is_vfio(d->driver) || streq_ptr(d->driver, "pci-stub") ||
	    streq_ptr(d->driver, "pcieport"))
		return "its driver sets driver_managed_dma";
	if (d->driver && d->suppress_bind_attrs)
		return "its driver cannot be unbound (suppress_bind_attrs: no unbind in "
		       "/sys/bus/pci/drivers)";
	return NULL;
}

/*
 * The syspath of the device that disk or interface x hangs off: its
 * parent directory, less the class's glue directory ("block", "net").
 * Malloc'd, NULL when out of memory.
 */
static char *hung_off(const struct device *x)
{
	char *p = strdup(x->syspath), *slash;

	if (!p)
		return NULL;
	slash = strrchr(p, '/');
	if (slash)
		*slash = 0;
	slash = strrchr(p, '/');
	if (slash && (streq(slash + 1, "block") || streq(slash + 1, "net")))
		*slash = 0;
	return p;
}

/* 1 and *ret when x, below d, shows a device bound to a driver; else 0 or -ENOMEM. */
static int shows_bound(const struct inventory *inv, const struct device *d, const struct device *x,
		       char **ret)
{
	_cleanup_free_ char *at = NULL;
	const struct device *holder;
	const char *name;

	if (x->driver)
		return asprintf(ret, "%s (%s)", x->name, x->driver) < 0 ? -ENOMEM : 1;
	if (x->kind != DEVICE_DISK && x->kind != DEVICE_NET)
		return 0;
	at = hung_off(x);
	if (!at)
		return -ENOMEM;
	if (streq(at, d->syspath) || !startswith(at, d->syspath) || at[strlen(d->syspath)] != '/')
		return 0;
	holder = inventory_find(inv, at);
	if (holder && holder->driver)
		return asprintf(ret, "%s (%s)", holder->name, holder->driver) < 0 ? -ENOMEM : 1;
	if (holder && (holder->kind == DEVICE_NVME || holder->kind == DEVICE_SCSI_HOST))
		return 0;
	name = strrchr(at, '/') + 1;
	return asprintf(ret, "%s (which %s hangs off)", name, x->name) < 0 ? -ENOMEM : 1;
}

int device_bound_below(const struct inventory *inv, const struct device *d, char **ret)
{
	_cleanup_free_ const struct device **stack = NULL;
	size_t n = 0;
	int r;

	*ret = NULL;
	if (d->kind != DEVICE_PCI)
		return 0;
	if (d->bound_below)
		return asprintf(ret, "%s (%s)", d->bound_below, strna(d->bound_below_driver)) < 0 ?
			       -ENOMEM :
			       1;
	if (d->n_children == 0)
		return 0;
	/* Parents are strict prefixes: the tree below d has no loop, and fits in inv->n. */
	stack = calloc(inv->n + 1, sizeof(*stack));
	if (!stack)
		return -ENOMEM;
	stack[n++] = d;
	while (n > 0) {
		const struct device *x = stack[--n];

		if (x != d) {
			r = shows_bound(inv, d, x, ret);
			if (r != 0)
				return r;
		}
		for (size_t c = x->n_children; c-- > 0;)
			if (x->children[c]->kind != DEVICE_PCI && n < inv->n)
				stack[n++] = x->children[c];
	}
	return 0;
}

int kexec_remove_vetoed(const struct inventory *inv, const struct device *d, bool vfs_go_first,
			char **ret)
{
	_cleanup_free_ char *below = NULL;
	int r;

	*ret = NULL;
	if (d->kind != DEVICE_PCI || !d->driver)
		return 0;
	r = device_bound_below(inv, d, &below);
	if (r < 0)
		return r;
	if (r > 0)
		return asprintf(ret, "%s is bound below it", below) < 0 ? -ENOMEM : 1;
	if (d->sriov_numvfs > 0 && !vfs_go_first)
		return asprintf(ret, "its %u VF%s %s enabled", d->sriov_numvfs,
				d->sriov_numvfs == 1 ? "" : "s",
				d->sriov_numvfs == 1 ? "is" : "are") < 0 ?
			       -ENOMEM :
			       1;
	if (d->kexec_method == KMETHOD_REMOVE && d->kexec_action != KACTION_REMOVE &&
	    d->kexec_action != KACTION_UNKNOWN && d->sriov_numvfs == 0)
		return asprintf(ret,
				"its kexec_method is remove already, yet its kexec_action reads "
				"%s (a device below or a device-link consumer is bound)",
				kexec_action_to_string(d->kexec_action)) < 0 ?
			       -ENOMEM :
			       1;
	return 0;
}
