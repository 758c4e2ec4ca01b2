/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one user of kexec-tools and of the kexec system calls: which kernel
 * to load, loading and unloading it, and the jump.
 *
 * Default choice, first that exists:
 *   1. the boot loader's default Boot Loader Spec (type #1) entry in
 *      /boot, /efi or /boot/efi loader/entries: LoaderEntryDefault (EFI
 *      variable, bootctl set-default), else loader.conf's "default" glob,
 *      else the first entry in systemd-boot's order;
 *   2. the distribution's /vmlinuz and /initrd.img links (Debian), or
 *      /boot/vmlinuz and /boot/initrd.img;
 *   3. the running kernel's /boot/vmlinuz-`uname -r` (and its initrd).
 * The command line is the entry's options, else this boot's /proc/cmdline
 * (without BOOT_IMAGE=), plus --append, plus the boot marker below.
 */
#pragma once

#include <stdbool.h>

#include "macro.h"

/*
 * The parameter that tells the next kernel which boot it was kexec'd from,
 * "kexecq.from=<boot id>" (record.h): added by 'kexecq reboot', which writes
 * the record of that boot.  One inherited from this boot's command line is
 * always dropped, so that a plain 'kexecq load' never points the next boot
 * at an old record.
 */
#define KEXEC_CMDLINE_FROM "kexecq.from="

struct kexec_image {
	char *kernel;
	char **initrds; /* NULL: none; several are concatenated, in order */
	char *cmdline;
	char *origin; /* how it was chosen, for humans */
};

struct kexec_request {
	const char *root; /* "/" (tests: a tree) */
	const char *kernel; /* --kernel, or NULL to choose */
	const char *initrd; /* --initrd */
	const char *append; /* --append */
	bool reuse_cmdline; /* --reuse-cmdline: this boot's command line even for a BLS entry */
	const char *from_boot_id; /* appends KEXEC_CMDLINE_FROM<id>; NULL: none */
	const char *release; /* NULL: uname -r */
};

struct kexec_image *kexec_image_free(struct kexec_image *img);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct kexec_image *, kexec_image_free)

/*
 * Choose the image.  Returns 0, or -ENOENT with *ret_error saying what
 * was looked for, or -ENOMEM.  A Boot Loader Spec entry's paths are
 * relative to its partition and resolved inside it (no "..", no symlink
 * out of it): another -errno with *ret_error naming the entry file, line
 * and path when one is not.
 */
int kexec_image_choose(const struct kexec_request *req, struct kexec_image **ret, char **ret_error);

/*
 * Check the files before anything else happens: regular, readable, and
 * the kernel an x86 boot image, a PE (EFI stub, UKI) or ELF file; several
 * initrds at most 1 GiB together.  Returns 0 or -errno with *ret_error
 * naming the file and the problem.
 */
int kexec_image_verify(const struct kexec_image *img, char **ret_error);

/* Which load system call this kernel offers. */
enum kexec_syscall {
	KEXEC_SYSCALL_NONE, /* no kexec at all (or not permitted: see kexec_probe) */
	KEXEC_SYSCALL_FILE, /* kexec_file_load (kexec -s) */
	KEXEC_SYSCALL_LOAD, /* only kexec_load (kexec -c) */
};

/* What probing and loading use; NULL members (or a NULL env): the real ones. */
struct kexec_env {
	const char *kexec; /* kexec-tools' kexec (tests: a script); NULL: KEXEC_PATH */
	const char *proc; /* procfs, for the kernel.kexec_* settings; NULL: "/proc" */
};

/*
 * kernel.kexec_load_limit_reboot (Linux 6.7+): *ret_limit is how many
 * more loads (and unloads) this boot allows, -1 for no limit.  -ENOENT:
 * this kernel has no such setting (none counted); another -errno: unknown.
 */
int kexec_load_limit(const struct kexec_env *env, int *ret_limit);

/*
 * Which call to load with, without loading anything and without using up
 * a counted load: where kernel.kexec_load_limit_reboot counts loads, no
 * system call is made and the answer is KEXEC_SYSCALL_FILE (see
 * kexec_image_load).  *ret_error says why when NONE.
 */
enum kexec_syscall kexec_probe(const struct kexec_env *env, char **ret_error);
const char *kexec_syscall_to_string(enum kexec_syscall s) _pure_;

/*
 * Load through kexec-tools: `kexec -s -l`, or `kexec -c -l` when the
 * kernel lacks kexec_file_load.  Options come first and "--" ends them,
 * so that no file name is taken for an option.  On failure *ret_error
 * carries what kexec said.  Nothing but the kexec image slot is touched.
 * Several initrds are concatenated, as boot loaders do, into a sealed
 * memfd that kexec opens as /proc/self/fd/N.  When loads are counted and
 * `kexec -s` fails without using one up (kexec_file_load is missing),
 * `kexec -c` follows.  *ret_used (may be NULL): the call that loaded.
 */
int kexec_image_load(const struct kexec_image *img, enum kexec_syscall how,
		     const struct kexec_env *env, enum kexec_syscall *ret_used, char **ret_error);

/* Unload whatever is loaded (both system calls tried). */
int kexec_unload(void);

/* 1 when a kernel is loaded, 0 when not, -errno (-ENOENT: no kexec in this kernel). */
int kexec_loaded(const char *sysfs);

/* reboot(LINUX_REBOOT_CMD_KEXEC); sync first (failsafe_sync()).  Returns only on failure. */
int kexec_jump(void);
