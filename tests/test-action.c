// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The readonly action without root-only effects: every case here stops
 * before mount(2) (a mount point that is gone, already read-only, a
 * symlink, or whose st_dev is not the one mountinfo names), plus the md
 * wait on a fake sysfs.  The remount itself is exercised in the VM
 * (tests/vm/scenarios/reboot-now-mounted.sh).  And the steps whose device
 * went away (hot-unplug): "gone" (-ENODEV), not a failure.  And the
 * set-kernel-method writer and its undo on a fake sysfs of the kexecq
 * series (sysfs/kexec-method.tree).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "action.h"
#include "testlib.h"

static struct action_env env;

/* A readonly action for mount point mp on dev, with mountinfo text. */
static struct action *readonly_action(const char *dir, const char *mp, dev_t dev,
				      const char *mountinfo, char **md)
{
	static struct device_mount m;
	static struct step_mount sm;
	struct step s = {
		.type = STEP_FS_READONLY,
		.object = (char *)"0000:00:02.0",
		.timeout_usec = 300000,
		.md = md,
		.guard = true,
	};
	struct action *a;

	m = (struct device_mount){
		.mount_point = (char *)mp,
		.fstype = (char *)"ext2",
		.major = major(dev),
		.minor = minor(dev),
	};
	sm = (struct step_mount){ .mount = &m };
	if (mp) {
		s.mounts = &sm;
		s.n_mounts = 1;
	}
	env.mountinfo = testtmp_write(dir, "mountinfo", mountinfo);
	a = action_new(&env, &s);
	ck_assert_ptr_nonnull(a);
	return a;
}

static dev_t dev_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_dev;
}

static char *mountinfo_line(const char *mp, dev_t dev, const char *super)
{
	char *t;

	ck_assert_int_ge(asprintf(&t, "40 1 %u:%u / %s rw - ext2 /dev/nvme0n1p1 %s\n", major(dev),
				  minor(dev), mp, super),
			 0);
	return t;
}

/* Not mounted any more (systemd unmounted it): done, nothing to undo. */
START_TEST(test_gone)
{
	_cleanup_free_ char *dir = testtmp_dir();
	struct action *a = readonly_action(dir, "/nonexistent/data", makedev(259, 1),
					   "1 0 252:0 / / rw - ext4 /dev/vda rw\n", NULL);
	_cleanup_free_ char *msg = NULL;

	ck_assert_int_eq(action_run(a, &msg), 0);
	ck_assert_str_eq(msg, "nothing mounted read-write any more");
	ck_assert_int_eq(action_undo(a, &msg), 0);
	action_free(a);
	free((char *)env.mountinfo);
}
END_TEST

/* Read-only already (the super block): nothing to do. */
START_TEST(test_already_read_only)
{
	_cleanup_free_ char *dir = testtmp_dir();
	_cleanup_free_ char *mi = mountinfo_line(dir, dev_of(dir), "ro");
	struct action *a = readonly_action(dir, dir, dev_of(dir), mi, NULL);
	_cleanup_free_ char *msg = NULL;

	ck_assert_int_eq(action_run(a, &msg), 0);
	ck_assert_str_eq(msg, "nothing mounted read-write any more");
	action_free(a);
	free((char *)env.mountinfo);
}
END_TEST

/*
 * mountinfo says another device is mounted on the path than the path
 * leads to: never remounted (the device is one the path is not on).
 */
START_TEST(test_st_dev_mismatch)
{
	_cleanup_free_ char *dir = testtmp_dir();
	dev_t real = dev_of(dir), other = makedev(major(real) + 1, minor(real) + 1);
	_cleanup_free_ char *mi = mountinfo_line(dir, other, "rw");
	struct action *a = readonly_action(dir, dir, other, mi, NULL);
	_cleanup_free_ char *msg = NULL, *want = NULL;

	struct statx sx;

	ck_assert_int_eq(action_run(a, &msg), -EBUSY);
	/* By the mount id where the kernel has one (btrfs subvolumes have an st_dev of their own). */
	if (statx(AT_FDCWD, dir, 0, STATX_MNT_ID, &sx) == 0 && (sx.stx_mask & STATX_MNT_ID) &&
	    sx.stx_mnt_id != 40)
		ck_assert_int_ge(
			asprintf(&want,
				 "cannot make %s read-only: mount 40 is there, but the path "
				 "leads to mount %llu (another file system is mounted over it)",
				 dir, (unsigned long long)sx.stx_mnt_id),
			0);
	else
		ck_assert_int_ge(
			asprintf(&want,
				 "cannot make %s read-only: %u:%u is mounted there, but the "
				 "path leads to %u:%u (another file system is mounted over it)",
				 dir, major(other), minor(other), major(real), minor(real)),
			0);
	ck_assert_str_eq(msg, want);
	ck_assert(!a->done);
	action_free(a);
	free((char *)env.mountinfo);
}
END_TEST

/* A mount point replaced by a symlink is not followed. */
START_TEST(test_symlink)
{
	_cleanup_free_ char *dir = testtmp_dir(), *link = NULL, *mi = NULL, *msg = NULL;
	struct action *a;

	dev_t real = dev_of(dir), other = makedev(major(real) + 1, minor(real) + 1);

	ck_assert_int_ge(asprintf(&link, "%s/data", dir), 0);
	ck_assert_int_eq(symlink("/", link), 0);
	/* A device neither the link nor "/" is on: nothing could be remounted. */
	mi = mountinfo_line(link, other, "rw");
	a = readonly_action(dir, link, other, mi, NULL);
	ck_assert_int_eq(action_run(a, &msg), -ELOOP);
	ck_assert(strstr(msg, "it is a symbolic link now"));
	action_free(a);
	free((char *)env.mountinfo);
}
END_TEST

/* md arrays: polled, never written, until clean; a failure names the state. */
START_TEST(test_md_wait)
{
	_cleanup_free_ char *dir = testtmp_dir(), *root = test_sysfs_tree("storage");
	_cleanup_free_ char *msg = NULL, *state = NULL;
	char *md[] = { (char *)"md0", NULL };
	struct action *a;

	env.sysfs = root;
	a = readonly_action(dir, NULL, 0, "", md);
	ck_assert_int_eq(action_run(a, &msg), 0);
	action_free(a);
	free((char *)env.mountinfo);

	ck_assert_int_ge(asprintf(&state, "%s/devices/virtual/block/md0/md", root), 0);
	free(testtmp_write(state, "array_state", "active\n"));
	a = readonly_action(dir, NULL, 0, "", md);
	ck_assert_int_eq(action_run(a, &msg), -ETIMEDOUT);
	ck_assert_msg(strstr(msg, "md0 is still active after"), "%s", msg);
	/* Unchanged: nothing was written to it. */
	{
		_cleanup_free_ char *path = NULL, *text = NULL;
		size_t n = 0;
		FILE *f;

		ck_assert_int_ge(asprintf(&path, "%s/array_state", state), 0);
		f = fopen(path, "re");
		ck_assert_ptr_nonnull(f);
		ck_assert_int_gt(getline(&text, &n, f), 0);
		fclose(f);
		ck_assert_str_eq(text, "active\n");
	}
	action_free(a);
	free((char *)env.mountinfo);
	env.sysfs = NULL;
}
END_TEST

/* A device step on a fake sysfs: PCI function 0000:00:03.0 bound to e1000, with eth0 and sda. */
static struct action *device_action(const char *sysfs, enum step_type type, const char *object)
{
	struct step s = {
		.type = type,
		.object = (char *)object,
		.driver = (char *)"e1000",
		.timeout_usec = 300000,
	};
	struct action *a;

	env.sysfs = sysfs;
	a = action_new(&env, &s);
	ck_assert_ptr_nonnull(a);
	return a;
}

START_TEST(test_device_gone)
{
	_cleanup_free_ char *dir = testtmp_dir();
	static const struct {
		enum step_type type;
		const char *object;
	} steps[] = {
		{ STEP_UNBIND, "0000:00:03.0" },
		{ STEP_RESET, "0000:00:03.0" },
		{ STEP_SRIOV_DISABLE, "0000:00:03.0" },
		{ STEP_SET_KERNEL_METHOD, "0000:00:03.0" },
		{ STEP_NET_DOWN, "eth0" },
		{ STEP_FLUSH_CACHE, "sda" },
	};

	/* Nothing under this sysfs: every device is gone. */
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		_cleanup_free_ char *msg = NULL;
		struct action *a = device_action(dir, steps[i].type, steps[i].object);

		ck_assert_int_eq(action_run(a, &msg), -ENODEV);
		ck_assert_ptr_nonnull(strstr(msg, "is gone"));
		ck_assert_int_eq(action_undo(a, &msg), 0);
		action_free(a);
	}
}
END_TEST

/* A flush whose node is not the disk: a failure, not "gone", though the check says ENODEV. */
START_TEST(test_flush_wrong_node_not_gone)
{
	_cleanup_free_ char *dir = testtmp_dir();
	_cleanup_free_ char *cmd = NULL, *msg = NULL;
	struct step s = {
		.type = STEP_FLUSH_CACHE,
		.object = (char *)"sda",
		.timeout_usec = 300000,
	};
	struct action *a;

	ck_assert_int_ge(asprintf(&cmd,
				  "mkdir -p %s/class/block/sda && echo 8:0 >%s/class/block/sda/dev",
				  dir, dir),
			 0);
	ck_assert_int_eq(system(cmd), 0);
	env.sysfs = dir;
	a = action_new(&env, &s);
	ck_assert_ptr_nonnull(a);
	free(a->devnode);
	a->devnode = strdup("/dev/null");
	ck_assert_int_eq(action_run(a, &msg), -EIO);
	ck_assert_ptr_nonnull(strstr(msg, "is not the block device 8:0 of sda"));
	action_free(a);
}
END_TEST

/* The function is there but unbound: "already unbound", done, not gone. */
START_TEST(test_device_there)
{
	_cleanup_free_ char *dir = testtmp_dir();
	_cleanup_free_ char *pci = NULL, *msg = NULL;
	struct action *a;

	ck_assert_int_ge(asprintf(&pci, "mkdir -p %s/bus/pci/devices/0000:00:03.0", dir), 0);
	ck_assert_int_eq(system(pci), 0);
	a = device_action(dir, STEP_UNBIND, "0000:00:03.0");
	ck_assert_int_eq(action_run(a, &msg), 0);
	ck_assert_str_eq(msg, "already unbound");
	action_free(a);
}
END_TEST

/* ---- set-kernel-method ---------------------------------------------------- */

/* What the fake kernel does after a write to a kexec_method (env.written). */
static enum {
	KERNEL_BRACKETS, /* reads the word back bracketed, as the kernel does */
	KERNEL_FORGETS, /* an unbind and a bind of the same driver raced in */
	KERNEL_UNBINDS, /* an unbind raced in */
	KERNEL_REBINDS, /* an unbind and a bind of another driver raced in */
} fake_kernel;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

static void kernel_written(const struct action_env *e, const char *rel, const char *value)
{
	_cleanup_free_ char *path = NULL, *dir = NULL, *link = NULL;
	const char *slash;

	size_t n = strlen(rel);

	if (n < strlen("/kexec_method") ||
	    !streq(rel + n - strlen("/kexec_method"), "/kexec_method"))
		return;
	ck_assert_int_ge(asprintf(&path, "%s/%s", e->sysfs, rel), 0);
	slash = strrchr(path, '/');
	dir = strndup(path, (size_t)(slash - path));
	ck_assert_ptr_nonnull(dir);
	ck_assert_int_ge(asprintf(&link, "%s/driver", dir), 0);
	switch (fake_kernel) {
	case KERNEL_BRACKETS:
		write_file(path,
			   streq(value, "remove") ? "shutdown [remove]\n" : "[shutdown] remove\n");
		break;
	case KERNEL_FORGETS:
		write_file(path, "[shutdown] remove\n");
		break;
	case KERNEL_UNBINDS:
		write_file(path, "[shutdown] remove\n");
		ck_assert_int_eq(unlink(link), 0);
		break;
	case KERNEL_REBINDS:
		write_file(path, "[shutdown] remove\n");
		ck_assert_int_eq(unlink(link), 0);
		ck_assert_int_eq(symlink("../../../bus/pci/drivers/igb", link), 0);
		break;
	}
}

static struct action *method_action(const char *sysfs, const char *object, const char *driver,
				    enum kernel_method m)
{
	struct step s = {
		.type = STEP_SET_KERNEL_METHOD,
		.object = (char *)object,
		.driver = (char *)driver,
		.method = m,
		.previous_method = KMETHOD_UNSET,
		.timeout_usec = 300000,
	};
	struct action *a;

	env.sysfs = sysfs;
	env.written = kernel_written;
	fake_kernel = KERNEL_BRACKETS;
	a = action_new(&env, &s);
	ck_assert_ptr_nonnull(a);
	return a;
}

/* What the fake attribute holds: the last word written, or the kernel's read. */
static char *attribute(const char *root, const char *bdf)
{
	_cleanup_free_ char *path = NULL;
	char *text = NULL;
	size_t n = 0;
	FILE *f;

	ck_assert_int_ge(asprintf(&path, "%s/bus/pci/devices/%s/kexec_method", root, bdf), 0);
	f = fopen(path, "re");
	ck_assert_ptr_nonnull(f);
	if (getline(&text, &n, f) < 0) {
		free(text);
		text = strdup("");
	}
	fclose(f);
	text[strcspn(text, "\n")] = 0;
	return text;
}

/* Read the bracketed word, write the new one; the undo writes the old one back. */
START_TEST(test_method_round_trip)
{
	_cleanup_free_ char *root = test_sysfs_tree("kexec-method");
	_cleanup_free_ char *msg = NULL, *v = NULL;
	struct action *a = method_action(root, "0000:00:04.0", "e1000", KMETHOD_REMOVE);

	ck_assert_int_eq(action_run(a, &msg), 0);
	ck_assert_str_eq(msg, "remove (was shutdown)");
	ck_assert(a->done);
	v = attribute(root, "0000:00:04.0");
	ck_assert_str_eq(v, "shutdown [remove]");
	ck_assert_int_eq(action_undo(a, &msg), 1);
	ck_assert_str_eq(msg, "kexec_method of 0000:00:04.0 shutdown again");
	free(v);
	v = attribute(root, "0000:00:04.0");
	ck_assert_str_eq(v, "[shutdown] remove");
	action_free(a);

	/* The other way: a function marked remove set to shutdown, and back. */
	a = method_action(root, "0000:00:05.0", "e1000", KMETHOD_SHUTDOWN);
	ck_assert_int_eq(action_run(a, &msg), 0);
	ck_assert_str_eq(msg, "shutdown (was remove)");
	free(v);
	v = attribute(root, "0000:00:05.0");
	ck_assert_str_eq(v, "[shutdown] remove");
	ck_assert_int_eq(action_undo(a, &msg), 1);
	free(v);
	v = attribute(root, "0000:00:05.0");
	ck_assert_str_eq(v, "shutdown [remove]");
	action_free(a);
	env.sysfs = NULL;
}
END_TEST

/* Nothing written when there is nothing to change, or nothing to change it on. */
START_TEST(test_method_nothing_to_do)
{
	_cleanup_free_ char *root = test_sysfs_tree("kexec-method");
	_cleanup_free_ char *msg = NULL, *v = NULL;
	struct action *a;

	a = method_action(root, "0000:00:05.0", "e1000", KMETHOD_REMOVE);
	ck_assert_int_eq(action_run(a, &msg), 0);
	ck_assert_str_eq(msg, "already remove");
	ck_assert(!a->done);
	ck_assert_int_eq(action_undo(a, &msg), 0);
	v = attribute(root, "0000:00:05.0");
	ck_assert_str_eq(v, "shutdown [remove]");
	action_free(a);

	/* Unbound (the plan's own unbind may have come first): nothing to release. */
	a = method_action(root, "0000:00:06.0", "e1000", KMETHOD_REMOVE);
	ck_assert_int_eq(action_run(a, &msg), 0);
	ck_assert_str_eq(msg,
			 "no driver is bound to 0000:00:06.0: a kexec clears its bus mastering");
	ck_assert(!a->done);
	free(v);
	v = attribute(root, "0000:00:06.0");
	ck_assert_str_eq(v, "[shutdown] remove");
	action_free(a);
	env.sysfs = NULL;
}
END_TEST

/* What is refused, and how it is told: skipped, failed, gone. */
START_TEST(test_method_refused)
{
	_cleanup_free_ char *root = test_sysfs_tree("kexec-method");
	_cleanup_free_ char *msg = NULL, *v = NULL;
	struct action *a;

	/* A kernel without the series: skipped. */
	a = method_action(root, "0000:00:07.0", "e1000", KMETHOD_REMOVE);
	ck_assert_int_eq(action_run(a, &msg), -EOPNOTSUPP);
	ck_assert_str_eq(msg, "this kernel has no kexec_method");
	action_free(a);

	/* v2's per-driver read: not taken for a method. */
	a = method_action(root, "0000:00:08.0", "e1000", KMETHOD_REMOVE);
	ck_assert_int_eq(action_run(a, &msg), -EIO);
	ck_assert_str_eq(msg,
			 "kexec_method of 0000:00:08.0 reads \"default auto [shutdown] remove\"");
	action_free(a);

	/* Another driver than planned: the choice would be that driver's. */
	a = method_action(root, "0000:00:04.0", "igb", KMETHOD_REMOVE);
	ck_assert_int_eq(action_run(a, &msg), -EBUSY);
	ck_assert_str_eq(msg, "0000:00:04.0 is bound to e1000 now, not igb as planned");
	v = attribute(root, "0000:00:04.0");
	ck_assert_str_eq(v, "[shutdown] remove");
	action_free(a);

	/* Gone: hot-unplugged. */
	a = method_action(root, "0000:00:09.0", "e1000", KMETHOD_REMOVE);
	ck_assert_int_eq(action_run(a, &msg), -ENODEV);
	ck_assert_str_eq(msg, "0000:00:09.0 is gone");
	action_free(a);
	env.sysfs = NULL;
}
END_TEST

/* Unbound since: the kernel forgot the choice, and the undo writes nothing. */
START_TEST(test_method_undo_after_unbind)
{
	_cleanup_free_ char *root = test_sysfs_tree("kexec-method");
	_cleanup_free_ char *msg = NULL, *link = NULL, *v = NULL;
	struct action *a = method_action(root, "0000:00:04.0", "e1000", KMETHOD_REMOVE);

	ck_assert_int_eq(action_run(a, &msg), 0);
	ck_assert_int_ge(asprintf(&link, "%s/devices/pci0000:00/0000:00:04.0/driver", root), 0);
	ck_assert_int_eq(unlink(link), 0);
	ck_assert_int_eq(action_undo(a, &msg), 0);
	ck_assert_str_eq(msg, "no driver is bound to 0000:00:04.0: its kexec_method is forgotten");
	v = attribute(root, "0000:00:04.0");
	ck_assert_str_eq(v, "shutdown [remove]");
	action_free(a);
	env.sysfs = NULL;
}
END_TEST

/* Read again after the write: what raced in is told, and the undo has nothing to put back. */
START_TEST(test_method_raced)
{
	_cleanup_free_ char *root = test_sysfs_tree("kexec-method");
	_cleanup_free_ char *msg = NULL;
	struct action *a;

	/* The same driver bound again, which forgot the method. */
	a = method_action(root, "0000:00:04.0", "e1000", KMETHOD_REMOVE);
	fake_kernel = KERNEL_FORGETS;
	ck_assert_int_eq(action_run(a, &msg), -EBUSY);
	ck_assert_str_eq(msg, "remove written, but kexec_method of 0000:00:04.0 reads shutdown: "
			      "an unbind (the kernel forgets the method) or another writer "
			      "raced in");
	ck_assert(!a->done);
	action_free(a);

	/* Another driver bound since. */
	a = method_action(root, "0000:00:04.0", "e1000", KMETHOD_REMOVE);
	fake_kernel = KERNEL_REBINDS;
	ck_assert_int_eq(action_run(a, &msg), -EBUSY);
	ck_assert_str_eq(msg, "0000:00:04.0 is bound to igb since the write, not e1000: the "
			      "remove written was forgotten");
	ck_assert(!a->done);
	action_free(a);

	/* Unbound since: as unbound before the write, nothing to release. */
	a = method_action(root, "0000:00:05.0", "e1000", KMETHOD_SHUTDOWN);
	fake_kernel = KERNEL_UNBINDS;
	ck_assert_int_eq(action_run(a, &msg), 0);
	ck_assert_str_eq(msg, "0000:00:05.0 was unbound from e1000 meanwhile: nothing to release "
			      "(the kernel forgot the shutdown written)");
	ck_assert(!a->done);
	ck_assert_int_eq(action_undo(a, &msg), 0);
	action_free(a);
	env.sysfs = NULL;
}
END_TEST

/* An administrator's choice made after the step is not overwritten by the undo. */
START_TEST(test_method_undo_changed_since)
{
	_cleanup_free_ char *root = test_sysfs_tree("kexec-method");
	_cleanup_free_ char *msg = NULL, *path = NULL, *v = NULL;
	struct action *a = method_action(root, "0000:00:04.0", "e1000", KMETHOD_REMOVE);

	ck_assert_int_eq(action_run(a, &msg), 0);
	ck_assert(a->done);
	ck_assert_int_ge(asprintf(&path, "%s/bus/pci/devices/0000:00:04.0/kexec_method", root), 0);
	/* Someone wrote shutdown back since: the undo leaves it. */
	write_file(path, "[shutdown] remove\n");
	ck_assert_int_eq(action_undo(a, &msg), 0);
	ck_assert_str_eq(msg,
			 "kexec_method of 0000:00:04.0 reads shutdown, not the remove written: "
			 "changed since, left as it is (not put back to shutdown)");
	v = attribute(root, "0000:00:04.0");
	ck_assert_str_eq(v, "[shutdown] remove");
	action_free(a);

	/* What cannot be read is not written over either. */
	a = method_action(root, "0000:00:05.0", "e1000", KMETHOD_SHUTDOWN);
	ck_assert_int_eq(action_run(a, &msg), 0);
	free(path);
	ck_assert_int_ge(asprintf(&path, "%s/bus/pci/devices/0000:00:05.0/kexec_method", root), 0);
	write_file(path, "[shutdown] [remove]\n");
	ck_assert_int_eq(action_undo(a, &msg), -EIO);
	ck_assert_str_eq(msg, "kexec_method of 0000:00:05.0 reads \"[shutdown] [remove]\"");
	free(v);
	v = attribute(root, "0000:00:05.0");
	ck_assert_str_eq(v, "[shutdown] [remove]");
	action_free(a);
	env.sysfs = NULL;
}
END_TEST

/* The kernel's refusals of a write, each told in words (kexec_method_store()). */
START_TEST(test_method_write_errors)
{
	static const struct {
		int error, ret;
		const char *message;
	} cases[] = {
		{ -EOPNOTSUPP, -EPERM,
		  "the kernel refuses remove for 0000:00:04.0: its driver cannot be released on "
		  "kexec" },
		{ -ENODEV, -ENODEV, "the kernel says no driver is bound to 0000:00:04.0" },
		{ -EBUSY, -EBUSY,
		  "the kernel is shutting down: kexec_method of 0000:00:04.0 cannot be changed "
		  "any more" },
		{ -EINVAL, -EINVAL,
		  "the kernel does not take \"remove\" for kexec_method of 0000:00:04.0" },
		{ -EINTR, -EINTR,
		  "interrupted while waiting for the lock of 0000:00:04.0 to set its "
		  "kexec_method to remove" },
		{ -EACCES, -EACCES,
		  "cannot set kexec_method of 0000:00:04.0 to remove: Permission denied" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *msg = NULL;

		ck_assert_int_eq(kexec_method_write_error("0000:00:04.0", "remove", cases[i].error,
							  &msg),
				 cases[i].ret);
		ck_assert_str_eq(msg, cases[i].message);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("action");
	TCase *tc = test_tcase("readonly");

	tcase_add_test(tc, test_gone);
	tcase_add_test(tc, test_already_read_only);
	tcase_add_test(tc, test_st_dev_mismatch);
	tcase_add_test(tc, test_symlink);
	tcase_add_test(tc, test_md_wait);
	tcase_add_test(tc, test_device_gone);
	tcase_add_test(tc, test_device_there);
	tcase_add_test(tc, test_flush_wrong_node_not_gone);
	suite_add_tcase(s, tc);
	tc = test_tcase("set-kernel-method");
	tcase_add_test(tc, test_method_round_trip);
	tcase_add_test(tc, test_method_nothing_to_do);
	tcase_add_test(tc, test_method_refused);
	tcase_add_test(tc, test_method_undo_after_unbind);
	tcase_add_test(tc, test_method_raced);
	tcase_add_test(tc, test_method_undo_changed_since);
	tcase_add_test(tc, test_method_write_errors);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
