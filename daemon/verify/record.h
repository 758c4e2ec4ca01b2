/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The boot record: what was bound before a kexec, so that the next kernel
 * can check that it came back (`kexecq verify`, verify.h; man/kexecq.8,
 * section BOOT RECORDS).
 *
 * Why a JSON file in a state directory plus a marker on the command line:
 *
 *  - The record must survive the jump and be there whenever the next boot
 *    looks.  /run is a tmpfs and gone; the kernel command line is a few
 *    KiB (COMMAND_LINE_SIZE, 2048 bytes on x86) and cannot hold thousands
 *    of devices; pstore/ramoops is optional, small and platform specific;
 *    an extra initrd would not survive switch_root and cannot be added to
 *    a signed image loaded through kexec_file_load.  A file in a directory
 *    that persists (/var/lib/kexecq) has none of these limits.
 *  - It is written by `kexecq reboot` right after the kernel is loaded and
 *    before anything is quiesced, from the inventory the plan was made
 *    from: the root file system is still writable then.  systemd's
 *    shutdown hook, which quiesces later, runs with the root file system
 *    read-only, so it cannot write anything there.
 *  - The next boot must know that it came from a kexecq kexec (not from a
 *    firmware reboot after an abort, nor from a plain `systemctl kexec`)
 *    and which record to check against.  The boot id
 *    (/proc/sys/kernel/random/boot_id) is random per boot, so it names the
 *    record without ambiguity, and "kexecq.from=<boot id>" on the next
 *    kernel's command line (kexec-load.h) is readable by anyone, at any
 *    time of that boot, and by systemd's ConditionKernelCommandLine=.
 *  - The outcome of a run is derived, not written: a record of this boot
 *    with a kernel still loaded is a pending kexec; without one, it was
 *    abandoned (aborted, or unloaded); a record of an earlier boot that this
 *    boot's command line does not name never reached its kernel.  Writing
 *    it would be impossible in the hook anyway (the root is read-only).
 *
 * A record is read by root: it is hostile input, read bounded, every
 * field checked, and errors name the file and the field.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "inventory.h"
#include "kexec-load.h"
#include "macro.h"

#define RECORD_FORMAT "kexecq-record"
#define RECORD_VERSION 1
#define RECORD_FILE_MAX (16U * 1024U * 1024U)
#define RECORD_DEVICES_MAX (256U * 1024U)
#define RECORD_PATH_MAX 4096U /* kernel and initrd paths */
#define RECORD_CMDLINE_MAX (64U * 1024U)
/* Records kept in the state directory; older ones are removed. */
#define RECORD_KEEP 8U
/* "8-4-4-4-12" lower-case hex, as the kernel prints a boot id. */
#define BOOT_ID_LEN 36U

enum record_mode {
	RECORD_MODE_NOW, /* kexecq reboot --now */
	RECORD_MODE_SYSTEMD, /* kexecq reboot: kexec.target, the shutdown hook */
	_RECORD_MODE_MAX,
};

/* One PCI function, network interface or disk, as recorded. */
struct record_device {
	enum device_kind kind; /* DEVICE_PCI, DEVICE_NET or DEVICE_DISK */
	char *name; /* BDF "0000:00:03.0", "eth0", "sda" */
	char *driver; /* PCI: the bound driver, NULL when unbound */
	char *physfn; /* PCI: on an SR-IOV VF, its PF's name */
	char *pci; /* net, disk: the PCI function it hangs below, or NULL */
	char *devnode; /* disk */
	bool up; /* net: administratively up (IFF_UP) */
};

struct record {
	char *boot_id; /* of the boot that wrote it */
	int64_t time; /* when, seconds since the epoch */
	uint32_t count; /* kexecs in a row, this one included */
	enum record_mode mode;
	char *from_release; /* the running kernel's release */
	char *into_kernel, *into_initrd, *into_cmdline; /* what was loaded */
	struct record_device *devices; /* sorted by kind, then name */
	size_t n;
};

struct record *record_new(void);
struct record *record_free(struct record *rec);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct record *, record_free)

const char *record_mode_to_string(enum record_mode m) _pure_;
int record_mode_from_string(const char *s) _pure_;

/*
 * Add the PCI functions, network interfaces and disks of inv, each
 * interface and disk with the PCI function above it.  Also the way the
 * current state is compared with a record (verify.h).
 */
int record_add_inventory(struct record *rec, const struct inventory *inv);

/* Device of kind named name, or NULL; rec is sorted. */
const struct record_device *record_find(const struct record *rec, enum device_kind kind,
					const char *name);

int record_write_json(const struct record *rec, FILE *f);
/* Errors name the file and the field: "x.json: devices[3] (eth0): \"up\": …". */
int record_parse_buffer(const char *path, const char *data, size_t size, struct record **ret);
/* A file given by name (--record): bounded, regular, not trust-checked. */
int record_read_file(const char *path, struct record **ret);

/* ---- this boot, from procfs (proc: "/proc", or a tree in tests) ---------------------- */

bool boot_id_is_valid(const char *s) _pure_;
/* <proc>/sys/kernel/random/boot_id. */
int boot_id_read(const char *proc, char **ret);
/*
 * The boot this one was kexec'd from: KEXEC_CMDLINE_FROM in <proc>/cmdline.
 * Returns 1 and the boot id, 0 and NULL when there is none, -EBADMSG when
 * its value is not a boot id.
 */
int boot_from_read(const char *proc, char **ret);

/* ---- the state directory ("/var/lib/kexecq") ------------------------------------------- */

/*
 * Write rec as <dir>/record-<boot id>.json atomically (a temporary file,
 * fsync, rename, fsync of the directory), creating dir 0700, then remove
 * all but the newest RECORD_KEEP records.  As root, dir and the
 * directories above it must be root's and writable by nobody else.
 */
int record_save(const char *dir, const struct record *rec);

/* "<dir>/record-<boot_id>.json", or NULL on OOM. */
char *record_path(const char *dir, const char *boot_id);

/*
 * Read <dir>/record-<boot_id>.json, trust-checked as record_save().
 * -ENOENT (not logged): no such record.  A record whose boot_id is not
 * the one in its name is refused.
 */
int record_load(const char *dir, const char *boot_id, struct record **ret);

/* The newest record other than skip_boot_id's (may be NULL); -ENOENT: none. */
int record_load_latest(const char *dir, const char *skip_boot_id, struct record **ret);

/*
 * What `kexecq reboot` calls once the kernel is loaded: the record of this
 * boot (boot_id, the one the loaded command line names) from inv and img,
 * counted on from the record this boot came from (<proc>/cmdline).
 * Errors are logged, naming the file; the caller goes on without one.
 */
int record_write_for_kexec(const char *dir, const char *proc, const char *boot_id,
			   const struct inventory *inv, const struct kexec_image *img,
			   enum record_mode mode);
