// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What is mounted from each disk: mountinfo parsing (escapes, hostile
 * lines) and the sysfs walk on a fake tree (tests/data/sysfs/storage.tree)
 * that describes the machine of tests/data/inventory/storage.json: its
 * mounts, found again from the tree and mountinfo/storage.mountinfo, must
 * be exactly the snapshot's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mountinfo.h"
#include "snapshot.h"
#include "storage.h"
#include "testlib.h"

static char *save(const struct inventory *inv)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_int_eq(inventory_save_json(inv, f), 0);
	fclose(f);
	return buf;
}

static struct mountinfo *parse(const char *text)
{
	struct mountinfo *mi = NULL;

	ck_assert_int_eq(mountinfo_parse("test", text, strlen(text), &mi), 0);
	return mi;
}

static char *fixture(const char *rel)
{
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/%s", TESTDATA, rel), 0);
	return p;
}

START_TEST(test_parse_fixture)
{
	_cleanup_free_ char *path = fixture("mountinfo/storage.mountinfo");
	_cleanup_(mountinfo_freep) struct mountinfo *mi = NULL;
	const struct mountinfo_entry *e;

	ck_assert_int_eq(mountinfo_read(path, &mi), 0);
	ck_assert_uint_eq(mi->n, 12);
	e = &mi->entries[4];
	ck_assert_uint_eq(e->id, 30);
	ck_assert_uint_eq(e->parent_id, 20);
	ck_assert_uint_eq(e->major, 259);
	ck_assert_uint_eq(e->minor, 1);
	ck_assert_str_eq(e->mount_point, "/data");
	ck_assert_str_eq(e->fstype, "ext2");
	ck_assert_str_eq(e->source, "/dev/nvme0n1p1");
	ck_assert(!e->read_only);
	/* \040 is a space; the root of a bind mount is kept. */
	e = &mi->entries[7];
	ck_assert_str_eq(e->mount_point, "/srv/my share");
	ck_assert_str_eq(e->root, "/share");
	/* btrfs' anonymous device. */
	ck_assert_uint_eq(mi->entries[9].major, 0);
	ck_assert_uint_eq(mi->entries[9].minor, 45);
	/* ro in the super options and the mount options. */
	ck_assert(mi->entries[10].read_only);
	ck_assert(mi->entries[10].mount_read_only);
	ck_assert_str_eq(mi->entries[11].source, "server:/export");
}
END_TEST

START_TEST(test_optional_fields)
{
	_cleanup_(mountinfo_freep) struct mountinfo *mi = parse(
		"1 0 8:1 / /a rw - ext4 /dev/sda1 rw\n"
		"2 1 8:2 / /b rw shared:1 master:2 propagate_from:3 unbindable - xfs /dev/sda2 "
		"ro,attr2\n\n");

	ck_assert_uint_eq(mi->n, 2);
	ck_assert_str_eq(mi->entries[1].fstype, "xfs");
	ck_assert(mi->entries[1].read_only);
	ck_assert(!mi->entries[1].mount_read_only);
	ck_assert(!mi->entries[0].read_only);
}
END_TEST

static const struct {
	const char *in, *out;
	int r;
} escapes[] = {
	{ "/a\\040b", "/a b", 0 },
	{ "/tab\\011nl\\012", "/tab\tnl\n", 0 },
	{ "/back\\134slash", "/back\\slash", 0 },
	{ "/utf\\303\\251", "/utf\xc3\xa9", 0 },
	{ "/lone\\", "/lone\\", 0 },
	{ "/short\\04", "/short\\04", 0 },
	{ "/not\\08x", "/not\\08x", 0 },
	{ "/nul\\000", NULL, -EINVAL },
	{ "/big\\400", NULL, -EINVAL },
};

START_TEST(test_unescape)
{
	_cleanup_free_ char *out = NULL;
	int r = mountinfo_unescape(escapes[_i].in, strlen(escapes[_i].in), &out);

	ck_assert_int_eq(r, escapes[_i].r);
	if (r == 0)
		ck_assert_str_eq(out, escapes[_i].out);
}
END_TEST

#define NUL_TEXT "1 0 8:1 / /a rw - ext4 /dev/sda1 rw\n2 0 8:1 / /b rw - ext4 /dev/sda\0 rw\n"

static const struct {
	const char *text, *msg;
	size_t len; /* 0: strlen(text) */
} bad[] = {
	{ "1 0 8:1 / /a rw ext4 /dev/sda1 rw\n", "bad:1: expected \"ID PARENT" },
	{ "1 0 8:1 / /a rw - ext4 /dev/sda1\n", "bad:1: expected" },
	{ "1 0 8:1 / /a rw - ext4 /dev/sda1 rw extra\n", "bad:1: expected" },
	{ "1 0 8:1 / /a rw - ext4 /dev/sda1 rw \n", "bad:1: empty field" },
	{ "1 0 8:1 /  /a rw - ext4 /dev/sda1 rw\n", "bad:1: empty field" },
	{ "1 0 8-1 / /a rw - ext4 /dev/sda1 rw\n", "bad:1: invalid MAJ:MIN" },
	{ "1 0 8:1x / /a rw - ext4 /dev/sda1 rw\n", "bad:1: invalid MAJ:MIN" },
	{ "1 0 :1 / /a rw - ext4 /dev/sda1 rw\n", "bad:1: invalid MAJ:MIN" },
	{ "-1 0 8:1 / /a rw - ext4 /dev/sda1 rw\n", "bad:1: invalid mount id" },
	{ "99999999999 0 8:1 / /a rw - ext4 /dev/sda1 rw\n", "bad:1: invalid mount id" },
	{ "1 0 8:1 / a rw - ext4 /dev/sda1 rw\n", "bad:1: mount point or root is not absolute" },
	{ "1 0 8:1 / /a\\000 rw - ext4 /dev/sda1 rw\n",
	  "bad:1: invalid escape in the mount point" },
	{ NUL_TEXT, "bad:2: NUL byte", sizeof(NUL_TEXT) - 1 },
	{ "1 0 8:1 / /a rw - - /dev/sda1 rw\n", NULL /* "-" as a type is a type */ },
};

START_TEST(test_bad_lines)
{
	size_t len = bad[_i].len ? bad[_i].len : strlen(bad[_i].text);
	struct mountinfo *mi = NULL;
	int r;

	testlog_start();
	r = mountinfo_parse("bad", bad[_i].text, len, &mi);
	if (!bad[_i].msg) {
		ck_assert_int_eq(r, 0);
		mountinfo_free(mi);
	} else {
		ck_assert_int_eq(r, -EBADMSG);
		ck_assert_ptr_null(mi);
		ck_assert_msg(testlog_contains(bad[_i].msg), "expected \"%s\" in: %s", bad[_i].msg,
			      testlog_text());
	}
	testlog_stop();
}
END_TEST

START_TEST(test_bounds)
{
	size_t n = MOUNTINFO_LINE_MAX + 100;
	_cleanup_free_ char *line = malloc(n + 1);
	struct mountinfo *mi = NULL;

	memset(line, 'a', n);
	memcpy(line, "1 0 8:1 / /", 11);
	line[n] = 0;
	testlog_start();
	ck_assert_int_eq(mountinfo_parse("long", line, n, &mi), -EBADMSG);
	ck_assert(testlog_contains("long:1: line longer than"));
	ck_assert_int_eq(mountinfo_parse("big", line, MOUNTINFO_FILE_MAX + 1, &mi), -EFBIG);
	testlog_stop();
}
END_TEST

START_TEST(test_read_errors)
{
	struct mountinfo *mi = NULL;

	testlog_start();
	ck_assert_int_eq(mountinfo_read("/nonexistent/mountinfo", &mi), -ENOENT);
	ck_assert(testlog_contains("/nonexistent/mountinfo: cannot open"));
	ck_assert_int_eq(mountinfo_read("/dev/null", &mi), -EBADFD);
	ck_assert(testlog_contains("/dev/null: not a regular file"));
	testlog_stop();
}
END_TEST

static int mkdir_p(const char *path)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *c = p + 1; *c; c++)
		if (*c == '/') {
			*c = 0;
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				return -errno;
			*c = '/';
		}
	return mkdir(p, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static void strip_mounts(struct inventory *inv)
{
	for (size_t i = 0; i < inv->n; i++) {
		struct device *d = inv->devices[i];

		for (size_t k = 0; k < d->n_mounts; k++)
			device_mount_done(&d->mounts[k]);
		free(d->mounts);
		d->mounts = NULL;
		d->n_mounts = 0;
	}
	inv->mounts_known = false;
}

/* The walk finds, from the fake sysfs and mountinfo, what the snapshot says. */
START_TEST(test_walk_matches_snapshot)
{
	_cleanup_free_ char *root = test_sysfs_tree("storage");
	_cleanup_free_ char *path = fixture("mountinfo/storage.mountinfo");
	_cleanup_(inventory_freep) struct inventory *inv = test_inventory("storage");
	_cleanup_(mountinfo_freep) struct mountinfo *mi = NULL;
	_cleanup_free_ char *expected = save(inv), *got = NULL;

	strip_mounts(inv);
	ck_assert_int_eq(mountinfo_read(path, &mi), 0);
	ck_assert_int_eq(storage_attach_mounts(root, mi, inv), 0);
	ck_assert(inv->mounts_known);
	got = save(inv);
	ck_assert_str_eq(got, expected);

	/* The md RAID1 is on both disks, each through its own partition. */
	ck_assert_uint_eq(inventory_find_name(inv, DEVICE_DISK, "sda")->n_mounts, 2);
	ck_assert_str_eq(inventory_find_name(inv, DEVICE_DISK, "nvme1n1")->mounts[0].via[1],
			 "nvme1n1p1");
	ck_assert_uint_eq(inventory_find_name(inv, DEVICE_DISK, "nvme2n1")->n_mounts, 0);
}
END_TEST

/* A tree that loops (md0 a slave of itself) or leaves its root is refused. */
START_TEST(test_walk_hostile_tree)
{
	_cleanup_free_ char *root = test_sysfs_tree("storage");
	_cleanup_(inventory_freep) struct inventory *inv = test_inventory("storage");
	_cleanup_(mountinfo_freep) struct mountinfo *mi =
		parse("32 20 9:0 / /srv rw - ext4 /dev/md0 rw\n");
	_cleanup_free_ char *link = NULL;

	strip_mounts(inv);
	ck_assert_int_ge(asprintf(&link, "%s/devices/virtual/block/md0/slaves/md0", root), 0);
	ck_assert_int_eq(symlink("../../md0", link), 0);
	testlog_start();
	ck_assert_int_eq(storage_attach_mounts(root, mi, inv), -ELOOP);
	ck_assert(testlog_contains("stacked deeper than"));
	ck_assert(!inv->mounts_known);

	ck_assert_int_eq(unlink(link), 0);
	ck_assert_int_eq(symlink("../../../../../../../../etc", link), 0);
	ck_assert_int_eq(storage_attach_mounts(root, mi, inv), -EINVAL);
	ck_assert(testlog_contains("md0/slaves/md0: cannot follow"));
	testlog_stop();
}
END_TEST

/*
 * A btrfs over two devices on two controllers: mountinfo names one of
 * them; /sys/fs/btrfs/<fsid>/devices/ has both, and both disks carry the
 * mount, so neither controller goes away under it (the second review
 * found the second one unguarded).
 */
START_TEST(test_walk_btrfs_members)
{
	_cleanup_free_ char *root = test_sysfs_tree("storage"), *dir = NULL, *l1 = NULL, *l2 = NULL;
	_cleanup_(inventory_freep) struct inventory *inv = test_inventory("storage");
	_cleanup_(mountinfo_freep) struct mountinfo *mi =
		parse("1 0 0:60 / /pool rw - btrfs /dev/nvme0n1p1 rw,space_cache=v2\n");
	const char *up = "../../../../devices/pci0000:00/";

	ck_assert_int_ge(asprintf(&dir, "%s/fs/btrfs/0a1b2c3d-0000-4000-8000-000000000001/devices",
				  root),
			 0);
	ck_assert_int_ge(asprintf(&l1, "%s/nvme0n1p1", dir), 0);
	ck_assert_int_ge(asprintf(&l2, "%s/sdb", dir), 0);
	ck_assert_int_eq(mkdir_p(dir), 0);
	{
		_cleanup_free_ char *t1 = NULL, *t2 = NULL;

		ck_assert_int_ge(
			asprintf(&t1, "%s0000:00:01.0/0000:01:00.0/nvme/nvme0/nvme0n1/nvme0n1p1",
				 up),
			0);
		ck_assert_int_ge(asprintf(&t2,
					  "%s0000:00:04.0/ata1/host1/target1:0:0/1:0:0:0/block/sdb",
					  up),
				 0);
		ck_assert_int_eq(symlink(t1, l1), 0);
		ck_assert_int_eq(symlink(t2, l2), 0);
	}
	strip_mounts(inv);
	ck_assert_int_eq(storage_attach_mounts(root, mi, inv), 0);
	ck_assert_uint_eq(inventory_find_name(inv, DEVICE_DISK, "nvme0n1")->n_mounts, 1);
	ck_assert_uint_eq(inventory_find_name(inv, DEVICE_DISK, "sdb")->n_mounts, 1);
	ck_assert_str_eq(inventory_find_name(inv, DEVICE_DISK, "sdb")->mounts[0].mount_point,
			 "/pool");
}
END_TEST

/* Mounts on devices sysfs does not know, or that are not below a PCI function. */
START_TEST(test_walk_unknown_devices)
{
	_cleanup_free_ char *root = test_sysfs_tree("storage");
	_cleanup_(inventory_freep) struct inventory *inv = test_inventory("storage");
	_cleanup_(mountinfo_freep) struct mountinfo *mi =
		parse("1 0 7:0 / /loop rw - ext4 /dev/loop0 rw\n"
		      "2 0 0:50 / /anon rw - btrfs /dev/../etc/passwd rw\n"
		      "3 0 0:51 / /mapper rw - btrfs /dev/mapper/vg0-home rw\n"
		      /* FUSE's source is its mounter's choice: never placed on a disk. */
		      "4 0 0:52 / /fuse rw - fuse.sshfs /dev/sdb rw\n");

	strip_mounts(inv);
	ck_assert_int_eq(storage_attach_mounts(root, mi, inv), 0);
	ck_assert(inv->mounts_known);
	/* /dev/mapper/NAME is found through dm/name. */
	ck_assert_uint_eq(inventory_find_name(inv, DEVICE_DISK, "sdb")->n_mounts, 1);
	ck_assert_str_eq(inventory_find_name(inv, DEVICE_DISK, "sdb")->mounts[0].mount_point,
			 "/mapper");
	for (size_t i = 0; i < inv->n; i++)
		if (!streq(inv->devices[i]->name, "sdb"))
			ck_assert_uint_eq(inv->devices[i]->n_mounts, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("storage");
	TCase *tc = test_tcase("mountinfo");

	tcase_add_test(tc, test_parse_fixture);
	tcase_add_test(tc, test_optional_fields);
	tcase_add_loop_test(tc, test_unescape, 0, (int)ELEMENTSOF(escapes));
	tcase_add_loop_test(tc, test_bad_lines, 0, (int)ELEMENTSOF(bad));
	tcase_add_test(tc, test_bounds);
	tcase_add_test(tc, test_read_errors);
	suite_add_tcase(s, tc);
	tc = test_tcase("walk");
	tcase_add_test(tc, test_walk_matches_snapshot);
	tcase_add_test(tc, test_walk_hostile_tree);
	tcase_add_test(tc, test_walk_unknown_devices);
	tcase_add_test(tc, test_walk_btrfs_members);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
