// SPDX-License-Identifier: LGPL-2.1-or-later
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <libudev.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "kmethod.h"
#include "string-util.h"
#include "strv.h"
#include "sysfs.h"
#include "udev-adapter.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev *, udev_unref)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_device *, udev_device_unref)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_enumerate *, udev_enumerate_unref)

/* "0x10DF\n" → "10df" */
static char *hex_attr(struct udev_device *d, const char *attr)
{
	const char *v = udev_device_get_sysattr_value(d, attr);
	char *r;

	if (!v)
		return NULL;
	if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X'))
		v += 2;
	r = strdup(v);
	if (!r)
		return NULL;
	for (char *c = r; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return r;
}

static unsigned uint_attr(struct udev_device *d, const char *attr)
{
	const char *v = udev_device_get_sysattr_value(d, attr);

	return v ? (unsigned)strtoul(v, NULL, 0) : 0;
}

static int dup_or_null(const char *s, char **ret)
{
	*ret = NULL;
	if (!s)
		return 0;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static int copy_properties(struct udev_device *ud, struct device *d)
{
	struct udev_list_entry *e;

	udev_list_entry_foreach (e, udev_device_get_properties_list_entry(ud)) {
		char *kv;

		if (asprintf(&kv, "%s=%s", udev_list_entry_get_name(e),
			     strempty(udev_list_entry_get_value(e))) < 0)
			return -ENOMEM;
		if (strv_consume(&d->properties, kv) < 0) {
			free(kv);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Per-driver facts from /sys/bus/pci/drivers/<drv>, looked up once each. */
struct driver_info {
	char *name;
	char *module;
	bool no_unbind; /* its directory has no unbind: suppress_bind_attrs */
};

struct scan {
	struct udev *udev;
	const char *sysfs;
	struct driver_info *drivers;
	size_t n_drivers;
	char **slots; /* "0000:03:00=SLOTNAME" */
	bool kexec_attributes; /* a PCI device had kexec_method: the kernel has the series */
};

static const struct driver_info *driver_info(struct scan *s, const char *drv)
{
	_cleanup_(udev_device_unrefp) struct udev_device *ud = NULL;
	_cleanup_free_ char *sysname = NULL;
	struct driver_info *di;
	const char *v;

	for (size_t i = 0; i < s->n_drivers; i++)
		if (streq(s->drivers[i].name, drv))
			return &s->drivers[i];
	di = realloc(s->drivers, (s->n_drivers + 1) * sizeof(*di));
	if (!di)
		return NULL;
	s->drivers = di;
	di = &s->drivers[s->n_drivers];
	*di = (struct driver_info){};
	di->name = strdup(drv);
	if (!di->name)
		return NULL;
	s->n_drivers++;

	/* Only a directory that is there tells: a driver without one is not known. */
	{
		_cleanup_free_ char *dir = NULL, *unbind = NULL;

		if (asprintf(&dir, "bus/pci/drivers/%s", drv) < 0 ||
		    asprintf(&unbind, "%s/unbind", dir) < 0)
			return NULL;
		di->no_unbind = sysfs_exists(s->sysfs, dir) == 1 &&
				sysfs_exists(s->sysfs, unbind) == 0;
	}
	if (asprintf(&sysname, "pci:%s", drv) < 0)
		return NULL;
	ud = udev_device_new_from_subsystem_sysname(s->udev, "drivers", sysname);
	if (!ud)
		return di;
	v = udev_device_get_sysattr_value(ud, "module");
	if (v && !(di->module = strdup(v)))
		return NULL;
	return di;
}

static void scan_done(struct scan *s)
{
	for (size_t i = 0; i < s->n_drivers; i++) {
		free(s->drivers[i].name);
		free(s->drivers[i].module);
	}
	free(s->drivers);
	strv_free(s->slots);
}

/* Physical slots: /sys/bus/pci/slots/<name>/address holds "0000:03:00". */
static int load_slots(struct scan *s)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	if (asprintf(&dir, "%s/bus/pci/slots", s->sysfs) < 0)
		return -ENOMEM;
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		_cleanup_free_ char *rel = NULL, *addr = NULL;
		char *kv;

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&rel, "bus/pci/slots/%s/address", de->d_name) < 0)
			return -ENOMEM;
		if (sysfs_read(s->sysfs, rel, &addr) < 0)
			continue;
		if (asprintf(&kv, "%s=%s", addr, de->d_name) < 0)
			return -ENOMEM;
		if (strv_consume(&s->slots, kv) < 0) {
			free(kv);
			return -ENOMEM;
		}
	}
	return 0;
}

static const char *slot_of(const struct scan *s, const char *bdf)
{
	/* Slot addresses omit the function: "0000:03:00" for 0000:03:00.1. */
	const char *dot = strrchr(bdf, '.');
	size_t l = dot ? (size_t)(dot - bdf) : strlen(bdf);

	STRV_FOREACH (kv, s->slots)
		if (strncmp(*kv, bdf, l) == 0 && (*kv)[l] == '=')
			return *kv + l + 1;
	return NULL;
}

/*
 * One of the device's kexec attributes, read directly (libudev does not
 * tell a missing attribute from a failed read): 1 and its text, 0 when the
 * kernel has no such attribute, or -errno (EBUSY while a driver is bound
 * to or unbound from the device: reads do not wait for its lock).
 */
static int read_kexec_attribute(const struct scan *s, const struct device *d, const char *attr,
				char **ret)
{
	_cleanup_free_ char *rel = NULL;
	int r;

	*ret = NULL;
	if (!startswith(d->syspath, "/sys/"))
		return 0;
	if (asprintf(&rel, "%s/%s", d->syspath + strlen("/sys/"), attr) < 0)
		return -ENOMEM;
	r = sysfs_read(s->sysfs, rel, ret);
	if (r == -ENOENT)
		return 0;
	return r < 0 ? r : 1;
}

/*
 * The device's own kexec_method ("[shutdown] remove": the bracketed word)
 * and kexec_action ("clear-master"), from a kernel with the series.  An
 * unreadable or unknown value is left unknown, said at debug level with
 * the device's name; the attribute being there, even unreadable, says the
 * kernel has them.
 */
static int read_kexec_attributes(struct scan *s, struct device *d)
{
	_cleanup_free_ char *v = NULL, *a = NULL;
	int r, k;

	r = read_kexec_attribute(s, d, "kexec_method", &v);
	if (r == -ENOMEM)
		return r;
	if (r != 0)
		s->kexec_attributes = true;
	if (r < 0)
		log_debug_errno(r, "%s: cannot read kexec_method, taken as unknown: %m", d->name);
	if (r > 0) {
		k = kernel_method_from_sysfs(v);
		if (k < 0) {
			_cleanup_free_ char *shown = cescape(v);

			log_debug("%s: kexec_method \"%s\" not understood, taken as unknown",
				  d->name, strna(shown));
		}
		d->kexec_method = k >= 0 ? (enum kernel_method)k : KMETHOD_UNSET;
	}
	r = read_kexec_attribute(s, d, "kexec_action", &a);
	if (r == -ENOMEM)
		return r;
	if (r != 0)
		s->kexec_attributes = true;
	if (r < 0)
		log_debug_errno(r, "%s: cannot read kexec_action, taken as unknown: %m", d->name);
	if (r > 0) {
		k = kexec_action_from_string(a);
		if (k < 0) {
			_cleanup_free_ char *shown = cescape(a);

			log_debug("%s: kexec_action \"%s\" not understood, taken as unknown",
				  d->name, strna(shown));
		}
		d->kexec_action = k >= 0 ? (enum kexec_action)k : KACTION_UNKNOWN;
	}
	return 0;
}

static int add_pci(struct scan *s, struct udev_device *ud, struct inventory *inv)
{
	_cleanup_(device_freep) struct device *d = NULL;
	const char *drv = udev_device_get_driver(ud), *v;
	int r;

	d = device_new(DEVICE_PCI, udev_device_get_syspath(ud), udev_device_get_sysname(ud));
	if (!d)
		return -ENOMEM;
	d->vendor = hex_attr(ud, "vendor");
	d->device_id = hex_attr(ud, "device");
	d->subsystem_vendor = hex_attr(ud, "subsystem_vendor");
	d->subsystem_device = hex_attr(ud, "subsystem_device");
	d->class = hex_attr(ud, "class");
	d->sriov_numvfs = uint_attr(ud, "sriov_numvfs");
	d->sriov_totalvfs = uint_attr(ud, "sriov_totalvfs");
	d->enable_count = uint_attr(ud, "enable");
	r = copy_properties(ud, d);
	if (r < 0)
		return r;
	v = udev_device_get_property_value(ud, "MODALIAS");
	if (!v)
		v = udev_device_get_sysattr_value(ud, "modalias");
	r = dup_or_null(v, &d->modalias);
	if (r < 0)
		return r;
	/* Without udevd there is no ID_PATH; path_id gives "pci-<bdf>" for PCI. */
	v = udev_device_get_property_value(ud, "ID_PATH");
	if (v)
		r = dup_or_null(v, &d->id_path);
	else
		r = asprintf(&d->id_path, "pci-%s", d->name) < 0 ? -ENOMEM : 0;
	if (r < 0)
		return r;
	r = dup_or_null(slot_of(s, d->name), &d->slot);
	if (r < 0)
		return r;
	r = read_kexec_attributes(s, d);
	if (r < 0)
		return r;

	/* libudev reads only the driver/subsystem/module links; physfn is ours. */
	if (startswith(d->syspath, "/sys/")) {
		_cleanup_free_ char *rel = NULL, *pfname = NULL;
		_cleanup_(udev_device_unrefp) struct udev_device *pf = NULL;

		if (asprintf(&rel, "%s/physfn", d->syspath + strlen("/sys/")) < 0)
			return -ENOMEM;
		if (sysfs_read_link_name(s->sysfs, rel, &pfname) >= 0)
			pf = udev_device_new_from_subsystem_sysname(s->udev, "pci", pfname);

		if (pf) {
			r = dup_or_null(udev_device_get_syspath(pf), &d->physfn_syspath);
			if (r < 0)
				return r;
		}
	}

	if (drv) {
		const struct driver_info *di = driver_info(s, drv);

		if (!di)
			return -ENOMEM;
		d->driver = strdup(drv);
		if (!d->driver)
			return -ENOMEM;
		r = dup_or_null(di->module, &d->module);
		if (r < 0)
			return r;
		/*
		 * A loadable driver always links to its module; a built-in one
		 * only when /sys/module/<name> exists.  No link: built in.
		 */
		d->module_builtin = !di->module;
		d->suppress_bind_attrs = di->no_unbind;
	}
	r = inventory_add(inv, d);
	if (r < 0)
		return r;
	TAKE_PTR(d);
	return 0;
}

static int add_child(struct udev_device *ud, enum device_kind kind, struct inventory *inv)
{
	_cleanup_(device_freep) struct device *d = NULL;
	const char *v;
	int r;

	/* Only what hangs below a PCI function: no loop, zram or bridges. */
	if (!udev_device_get_parent_with_subsystem_devtype(ud, "pci", NULL))
		return 0;
	d = device_new(kind, udev_device_get_syspath(ud), udev_device_get_sysname(ud));
	if (!d)
		return -ENOMEM;
	r = dup_or_null(udev_device_get_driver(ud), &d->driver);
	if (r < 0)
		return r;
	switch (kind) {
	case DEVICE_DISK:
		r = dup_or_null(udev_device_get_devnode(ud), &d->devnode);
		if (r < 0)
			return r;
		v = udev_device_get_sysattr_value(ud, "queue/write_cache");
		if (v && write_cache_from_string(v) >= 0)
			d->write_cache = write_cache_from_string(v);
		break;
	case DEVICE_NET:
		d->up = (strtoul(strempty(udev_device_get_sysattr_value(ud, "flags")), NULL, 16) &
			 IFF_UP) != 0;
		break;
	default:
		break;
	}
	r = inventory_add(inv, d);
	if (r < 0)
		return r;
	TAKE_PTR(d);
	return 0;
}

static int enumerate(struct scan *s, const char *subsystem, const char *devtype,
		     enum device_kind kind, struct inventory *inv)
{
	_cleanup_(udev_enumerate_unrefp) struct udev_enumerate *e = udev_enumerate_new(s->udev);
	struct udev_list_entry *le;
	int r;

	if (!e)
		return -ENOMEM;
	r = udev_enumerate_add_match_subsystem(e, subsystem);
	if (r < 0)
		return r;
	r = udev_enumerate_scan_devices(e);
	if (r < 0)
		return log_error_errno(r, "Failed to enumerate %s devices: %m", subsystem);

	udev_list_entry_foreach (le, udev_enumerate_get_list_entry(e)) {
		_cleanup_(udev_device_unrefp) struct udev_device *ud =
			udev_device_new_from_syspath(s->udev, udev_list_entry_get_name(le));

		/* Gone since the enumeration: hot-unplug is not an error. */
		if (!ud)
			continue;
		if (devtype && !streq_ptr(udev_device_get_devtype(ud), devtype))
			continue;
		r = kind == DEVICE_PCI ? add_pci(s, ud, inv) : add_child(ud, kind, inv);
		if (r < 0)
			return r;
	}
	return 0;
}

int udev_scan(const char *sysfs, struct inventory *inv)
{
	_cleanup_(scan_done) struct scan s = { .sysfs = sysfs };
	_cleanup_(udev_unrefp) struct udev *udev = udev_new();
	int r;

	if (!udev)
		return log_error_errno(ENOMEM, "Failed to create udev context.");
	s.udev = udev;
	r = load_slots(&s);
	if (r < 0)
		return r;
	r = enumerate(&s, "pci", NULL, DEVICE_PCI, inv);
	if (r >= 0)
		r = enumerate(&s, "scsi", "scsi_host", DEVICE_SCSI_HOST, inv);
	if (r >= 0)
		r = enumerate(&s, "nvme", NULL, DEVICE_NVME, inv);
	if (r >= 0)
		r = enumerate(&s, "block", "disk", DEVICE_DISK, inv);
	if (r >= 0)
		r = enumerate(&s, "net", NULL, DEVICE_NET, inv);
	if (r < 0)
		return r;
	/* With CONFIG_KEXEC_CORE, every PCI device of a patched kernel has them. */
	inv->kernel_per_device_method = s.kexec_attributes;
	return 0;
}

/* ---- devices bound below PCI functions ---------------------------------------- */

/* "../../../../devices/pci0000:00/…" → "/sys/devices/pci0000:00/…", or NULL. */
static char *link_syspath(const char *target)
{
	char *r;

	while (startswith(target, "../"))
		target += 3;
	if (!startswith(target, "devices/") || strstr(target, "/../") || strstr(target, "/./"))
		return NULL;
	return asprintf(&r, "/sys/%s", target) < 0 ? NULL : r;
}

/* The PCI function nearest above syspath in inv, or NULL. */
static struct device *pci_above(const struct inventory *inv, char *syspath)
{
	for (char *slash = strrchr(syspath, '/'); slash && slash > syspath;
	     slash = strrchr(syspath, '/')) {
		struct device *d;

		*slash = 0;
		d = inventory_find(inv, syspath);
		if (d && d->kind == DEVICE_PCI)
			return d;
	}
	return NULL;
}

/* The devices bound to driver dir <sysfs>/<rel> (bus/<bus>/drivers/<driver>). */
static int driver_links(const char *sysfs, const char *rel, const char *driver,
			struct inventory *inv)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_closedir_ DIR *dp = NULL;
	struct dirent *de;

	if (asprintf(&dir, "%s/%s", sysfs, rel) < 0)
		return -ENOMEM;
	dp = opendir(dir);
	if (!dp)
		return log_debug_errno(errno, "%s: cannot list, skipped: %m", dir), 0;
	while ((de = readdir(dp))) {
		_cleanup_free_ char *syspath = NULL;
		struct device *pci, *self;
		char buf[4096];
		ssize_t n;

		if ((de->d_type != DT_LNK && de->d_type != DT_UNKNOWN) ||
		    streq(de->d_name, "module"))
			continue;
		n = readlinkat(dirfd(dp), de->d_name, buf, sizeof(buf) - 1);
		if (n < 0)
			continue;
		buf[n] = 0;
		syspath = link_syspath(buf);
		if (!syspath)
			continue;
		self = inventory_find(inv, syspath);
		if (self && self->kind == DEVICE_PCI)
			continue;
		pci = pci_above(inv, syspath);
		/* The first by name, so that a scan says the same whatever readdir's order. */
		if (!pci || (pci->bound_below && strcmp(pci->bound_below, de->d_name) <= 0))
			continue;
		free(pci->bound_below);
		free(pci->bound_below_driver);
		pci->bound_below = strdup(de->d_name);
		pci->bound_below_driver = strdup(driver);
		if (!pci->bound_below || !pci->bound_below_driver)
			return -ENOMEM;
	}
	return 0;
}

int udev_scan_bound_below(const char *sysfs, struct inventory *inv)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_closedir_ DIR *buses = NULL;
	struct dirent *b;
	int r;

	if (asprintf(&dir, "%s/bus", sysfs) < 0)
		return -ENOMEM;
	buses = opendir(dir);
	if (!buses)
		return log_debug_errno(errno, "%s: cannot list, skipped: %m", dir), 0;
	while ((b = readdir(buses))) {
		_cleanup_free_ char *drivers = NULL, *path = NULL;
		_cleanup_closedir_ DIR *dp = NULL;
		struct dirent *de;

		/* PCI functions below one are bridges' business (kexec_remove_refused()). */
		if (b->d_name[0] == '.' || streq(b->d_name, "pci"))
			continue;
		if (asprintf(&drivers, "bus/%s/drivers", b->d_name) < 0 ||
		    asprintf(&path, "%s/%s", sysfs, drivers) < 0)
			return -ENOMEM;
		dp = opendir(path);
		if (!dp)
			continue;
		while ((de = readdir(dp))) {
			_cleanup_free_ char *rel = NULL;

			if (de->d_name[0] == '.')
				continue;
			if (asprintf(&rel, "%s/%s", drivers, de->d_name) < 0)
				return -ENOMEM;
			r = driver_links(sysfs, rel, de->d_name, inv);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* ---- events ----------------------------------------------------------------- */

struct udev_events {
	struct udev *udev;
	struct udev_monitor *monitor;
};

struct udev_events *udev_events_close(struct udev_events *e)
{
	if (!e)
		return NULL;
	udev_monitor_unref(e->monitor);
	udev_unref(e->udev);
	free(e);
	return NULL;
}

int udev_events_open(struct udev_events **ret)
{
	static const char *const subsystems[] = { "pci", "scsi", "nvme", "block", "net" };
	struct udev_events *e = calloc(1, sizeof(*e));
	int r;

	if (!e)
		return -ENOMEM;
	e->udev = udev_new();
	if (!e->udev) {
		udev_events_close(e);
		return -ENOMEM;
	}
	e->monitor = udev_monitor_new_from_netlink(
		e->udev, access("/run/udev/control", F_OK) == 0 ? "udev" : "kernel");
	if (!e->monitor) {
		udev_events_close(e);
		return -errno ?: -EIO;
	}
	for (size_t i = 0; i < ELEMENTSOF(subsystems); i++) {
		r = udev_monitor_filter_add_match_subsystem_devtype(e->monitor, subsystems[i],
								    NULL);
		if (r < 0) {
			udev_events_close(e);
			return r;
		}
	}
	/* 128 MiB, as udevd's own; without CAP_NET_ADMIN the kernel caps it lower. */
	(void)udev_monitor_set_receive_buffer_size(e->monitor, 128 * 1024 * 1024);
	r = udev_monitor_enable_receiving(e->monitor);
	if (r < 0) {
		udev_events_close(e);
		return r;
	}
	*ret = e;
	return 0;
}

int udev_events_fd(const struct udev_events *e)
{
	return udev_monitor_get_fd(e->monitor);
}

int udev_events_read(struct udev_events *e, char **ret_action, char **ret_syspath)
{
	_cleanup_(udev_device_unrefp) struct udev_device *d = NULL;
	const char *a, *p;

	errno = 0;
	d = udev_monitor_receive_device(e->monitor);
	if (!d)
		return errno == ENOBUFS ? -ENOBUFS : 0;
	a = udev_device_get_action(d);
	p = udev_device_get_syspath(d);
	*ret_action = strdup(a ? a : "change");
	*ret_syspath = strdup(p ? p : "");
	if (!*ret_action || !*ret_syspath) {
		free(*ret_action);
		free(*ret_syspath);
		return -ENOMEM;
	}
	return 1;
}
