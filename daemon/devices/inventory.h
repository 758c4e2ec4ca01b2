/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The device graph kexecq acts on: PCI functions and what hangs below
 * them.  Filled from libudev (udev-adapter.c) or a JSON snapshot
 * (json.c); read by match and plan.  No I/O here.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "kmethod.h"
#include "macro.h"

#define INVENTORY_FORMAT "kexecq-inventory"
/*
 * 4: the kexecq series' v3 ABI: kexec_method and kexec_action are each PCI
 *    device's own, and the kernel says whether it has them
 *    (per_device_kexec_method) instead of a global kexec_method.
 * 3: disks carry the file systems mounted from them.
 * 2 and 3 are still read, as long as they hold no kexec_method or
 * kexec_action (theirs were v2's, per driver, and mean something else)
 * and no per_device_kexec_method.  In 4, kexec_method and kexec_action
 * are on PCI functions only, and agree with per_device_kexec_method when
 * "kernel" says it (snapshot.c).
 */
#define INVENTORY_VERSION 4
#define INVENTORY_VERSION_MIN 2
/* The first version whose kexec_method and kexec_action follow the v3 ABI. */
#define INVENTORY_VERSION_KEXEC_V3 4

enum device_kind {
	DEVICE_PCI,
	DEVICE_SCSI_HOST,
	DEVICE_NVME, /* NVMe controller */
	DEVICE_DISK, /* whole-disk block device, SCSI disk or NVMe namespace */
	DEVICE_NET,
	_DEVICE_KIND_MAX,
};

enum write_cache {
	CACHE_UNKNOWN,
	CACHE_WRITE_BACK, /* volatile: must be flushed */
	CACHE_WRITE_THROUGH,
};

/*
 * A file system that depends on a disk: mounted from it, from one of its
 * partitions, or through dm (LVM, crypt) and md arrays stacked on them.
 * Found by storage.c from mountinfo and sysfs; attached to every whole
 * disk below it (an md RAID1 over two disks is attached to both).
 */
struct device_mount {
	char *mount_point; /* "/data", decoded from mountinfo's escapes */
	char *fstype; /* "ext2" */
	char *source; /* "/dev/nvme0n1p1", as mountinfo says */
	unsigned major, minor; /* st_dev of the mount point */
	bool read_only; /* the file system (its super block), not only this mount */
	char **via; /* block devices from the mounted one down to the disk: "dm-0", "md0", "sda1" */
	char **md; /* the md arrays among them, outermost first */
};

void device_mount_done(struct device_mount *m);

struct device {
	enum device_kind kind;
	char *syspath; /* "/sys/devices/pci0000:00/0000:00:02.0"; unique key */
	char *name; /* sysname: "0000:00:02.0", "host0", "nvme0", "sda", "eth0" */
	char *driver; /* bound driver, NULL when unbound */
	char *module; /* module of the driver, or the modalias candidate */
	bool module_builtin;
	/*
	 * PCI: the bound driver has no /sys/bus/pci/drivers/<driver>/unbind,
	 * so it sets suppress_bind_attrs: it cannot be unbound, and the kernel
	 * refuses kexec_method remove for it.
	 */
	bool suppress_bind_attrs;
	char **properties; /* udev properties, "KEY=VALUE" */

	/* PCI */
	char *vendor; /* lower-case hex without 0x: "8086" */
	char *device_id;
	char *subsystem_vendor;
	char *subsystem_device;
	char *class; /* "020000" */
	char *modalias;
	char *slot;
	char *id_path;
	char *physfn_syspath; /* set on SR-IOV VFs */
	unsigned sriov_numvfs;
	unsigned sriov_totalvfs;
	/* Its sysfs kexec_method and kexec_action (kmethod.h); UNSET, UNKNOWN unpatched. */
	enum kernel_method kexec_method;
	enum kexec_action kexec_action;
	/*
	 * A device below it, not a PCI function, that a driver is bound to,
	 * as the live scan found it in /sys/bus/<bus>/drivers/<driver>/
	 * (a SCSI device bound to sd, a USB root hub bound to usb): the first
	 * one, or NULL.  While there is one, the kernel does not release
	 * this function's driver at the kexec (device_bound_below()).
	 */
	char *bound_below;
	char *bound_below_driver;
	unsigned enable_count; /* sysfs `enable`: pci_enable_device() users (vfio while open) */
	bool liveupdate_preserved; /* a live update keeps it running across the kexec (liveupdate.h) */

	/* disks */
	char *devnode;
	enum write_cache write_cache;
	struct device_mount *mounts; /* in mountinfo order */
	size_t n_mounts;

	/* net */
	bool up;

	/* Derived by inventory_link(); not saved. */
	struct device *parent; /* nearest ancestor in the inventory */
	struct device *physfn;
	struct device **children;
	size_t n_children;
	size_t index;
};

struct inventory {
	char *kernel_release;
	/*
	 * The upstream Linux version, where the release does not say it
	 * (kernel-version.h: Debian 12's 6.1.0-57-amd64 is 6.1.192); NULL: the
	 * release is the version.  Use inventory_kernel_version().
	 */
	char *kernel_upstream;
	/* The kernel has the series: PCI devices carry kexec_method and kexec_action. */
	bool kernel_per_device_method;
	char *source; /* the host name (live) or the snapshot file it came from */
	char **liveupdate_sessions; /* open live update sessions (liveupdate.h); live scans only */
	bool live; /* scanned from this machine's sysfs */
	/* The disks' mounts are known: a live scan, or a snapshot of version 3 or later. */
	bool mounts_known;

	struct device **devices; /* sorted by syspath after inventory_link() */
	size_t n;
	size_t allocated;
};

/* What KernelVersion= and the driver tables compare: the upstream version, else the release. */
static inline const char *inventory_kernel_version(const struct inventory *inv)
{
	return inv->kernel_upstream ? inv->kernel_upstream : inv->kernel_release;
}

struct inventory *inventory_new(void);
struct inventory *inventory_free(struct inventory *inv);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct inventory *, inventory_free)

struct device *device_new(enum device_kind kind, const char *syspath, const char *name);
struct device *device_free(struct device *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct device *, device_free)

/* Takes ownership of d. */
int inventory_add(struct inventory *inv, struct device *d);

/*
 * Sort by syspath, reject duplicates, and derive parent, children and
 * physfn links.  A physfn must name another PCI function of the inventory
 * that is not a VF itself, so VF links are one level deep and never loop.
 * Errors name the device.  Must be called after the last inventory_add().
 */
int inventory_link(struct inventory *inv);

struct device *inventory_find(const struct inventory *inv, const char *syspath);
/* By sysname and kind, e.g. ("0000:00:02.0", DEVICE_PCI); linear. */
struct device *inventory_find_name(const struct inventory *inv, enum device_kind kind,
				   const char *name);

const char *device_kind_to_string(enum device_kind k) _pure_;
int device_kind_from_string(const char *s) _pure_;
const char *write_cache_to_string(enum write_cache c) _pure_;
int write_cache_from_string(const char *s) _pure_;

/* Takes ownership of *m (cleared) on success. */
int device_add_mount(struct device *d, struct device_mount *m);

/* Value of udev property key, or NULL. */
const char *device_get_property(const struct device *d, const char *key);

/*
 * True for drivers that hand the device's DMA to userspace, so that
 * unbinding or resetting it would pull the device from under a VM or a
 * userspace driver: vfio-pci and its variant drivers (the PCI drivers
 * that set .driver_managed_dma, less pcieport and pci-stub, which do no
 * DMA), uio_pci_generic and the out-of-tree igb_uio.
 */
bool driver_gives_dma_to_userspace(const char *driver);

/* vfio-pci and its variants: the only drivers whose devices a live update can preserve. */
bool driver_is_vfio(const char *driver);

/*
 * Why the kernel refuses kexec_method "remove" for d (EOPNOTSUPP), as far
 * as the inventory can tell, or NULL: "it is a bridge", "its driver sets
 * driver_managed_dma" (vfio-pci and its variants, pci-stub, pcieport), or
 * "its driver cannot be unbound" (suppress_bind_attrs: no unbind file).
 * The kernel also refuses drivers without ->remove(), which sysfs does not
 * show.
 */
const char *kexec_remove_refused(const struct device *d);

/*
 * A device below PCI function d, not through another PCI function, bound
 * to a driver, as far as the inventory tells: while there is one, the
 * kernel keeps d's driver at the kexec whatever its kexec_method
 * (kernel-patches/0002, device_kexec_release_veto()).  The one the live
 * scan found (bound_below), else a device of the inventory with a driver
 * (a snapshot may say so), else the device a disk or a network interface
 * hangs off when that is not d itself nor an NVMe controller or SCSI host
 * (which no driver binds): a SCSI device that sd holds, a virtio device
 * that virtio_blk or virtio_net holds; the disk or interface exists only
 * while that driver is bound.  PCI functions below (behind a bridge) are
 * not looked at: the kernel refuses remove for a bridge anyway.  The
 * inventory must be linked.  1 and *ret, "0:2:0:0 (sd)" or "1:0:0:0 (which
 * sdc hangs off)", 0 when none is seen, -ENOMEM.
 */
int device_bound_below(const struct inventory *inv, const struct device *d, char **ret);

/*
 * Why the kernel would not honour kexec_method "remove" for bound PCI
 * function d at the kexec, as far as the inventory tells now: the vetoes
 * that come and go (kernel-patches/0002 and 0003), which the kernel does
 * not refuse the write for.  A device below bound to a driver
 * (device_bound_below()); SR-IOV VFs enabled, unless vfs_go_first (a step
 * turns SR-IOV off before the kexec); or the kernel saying so already
 * (kexec_method remove, kexec_action something else, and no VFs to
 * explain it: a device-link consumer is bound, say).  1 and *ret ("0:2:0:0
 * (sd) is bound below it"), 0 when none is seen, -ENOMEM.
 */
int kexec_remove_vetoed(const struct inventory *inv, const struct device *d, bool vfs_go_first,
			char **ret);
