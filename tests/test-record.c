// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The boot record: round trip against files under tests/data/record,
 * every malformed record of tests/data/record/bad refused with the message
 * its .err file names, the state directory (atomic save, bounded number
 * of records, trust), the count of kexecs in a row, this boot's id and
 * the kexecq.from= marker.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record.h"
#include "strv.h"
#include "testlib.h"

#define ID_A "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
#define ID_B "5e0b6c7d-0000-4000-8000-000000000001"
#define ID_C "5e0b6c7d-0000-4000-8000-000000000002"

static char *read_text(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "re");

	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	ck_assert_int_ge(getdelim(&buf, &len, 0, f), 0);
	fclose(f);
	return buf;
}

static char *to_text(const struct record *rec)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_int_eq(record_write_json(rec, f), 0);
	fclose(f);
	return buf;
}

static char *data_path(const char *name)
{
	char *p = NULL;

	ck_assert_int_ge(asprintf(&p, "%s/record/%s", TESTDATA, name), 0);
	return p;
}

/* server.json is the record of inventory/server.json, checked by eye; it reads back as itself. */
START_TEST(test_round_trip)
{
	_cleanup_free_ char *path = data_path("server.json"), *expected = read_text(path);
	_cleanup_free_ char *text = NULL;
	struct record *rec = NULL;
	const struct record_device *d;

	ck_assert_int_eq(record_read_file(path, &rec), 0);
	text = to_text(rec);
	ck_assert_str_eq(text, expected);
	ck_assert_str_eq(rec->boot_id, ID_A);
	ck_assert_int_eq(rec->count, 1);
	ck_assert_int_eq(rec->mode, RECORD_MODE_NOW);
	d = record_find(rec, DEVICE_PCI, "0000:06:00.0");
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_null(d->driver); /* "driver": null: unbound */
	d = record_find(rec, DEVICE_PCI, "0000:03:10.2");
	ck_assert_str_eq(d->physfn, "0000:03:00.0");
	d = record_find(rec, DEVICE_NET, "eth5");
	ck_assert(!d->up);
	ck_assert_str_eq(d->pci, "0000:03:00.1");
	ck_assert_ptr_null(record_find(rec, DEVICE_NET, "eth9"));
	record_free(rec);
}
END_TEST

/* What record_add_inventory() makes of inventory/server.json is that file. */
START_TEST(test_from_inventory)
{
	_cleanup_free_ char *path = data_path("server.json"), *expected = read_text(path);
	_cleanup_free_ char *text = NULL;
	struct inventory *inv = test_inventory("server");
	struct record *rec = record_new();

	rec->boot_id = strdup(ID_A);
	rec->time = 1767261600;
	rec->count = 1;
	rec->mode = RECORD_MODE_NOW;
	rec->from_release = strdup("6.12.57-kexecq");
	rec->into_kernel = strdup("/boot/vmlinuz-6.12.58-kexecq");
	rec->into_initrd = strdup("/boot/initrd.img-6.12.58-kexecq");
	rec->into_cmdline = strdup("root=/dev/sda1 ro quiet kexecq.from=" ID_A);
	ck_assert_int_eq(record_add_inventory(rec, inv), 0);
	/* Disks and interfaces name the PCI function above them, through hosts and controllers. */
	ck_assert_str_eq(record_find(rec, DEVICE_DISK, "sdc")->pci, "0000:04:00.0");
	ck_assert_str_eq(record_find(rec, DEVICE_DISK, "nvme0n2")->devnode, "/dev/nvme0n2");
	text = to_text(rec);
	ck_assert_str_eq(text, expected);
	record_free(rec);
	inventory_free(inv);
}
END_TEST

/* Each bad/NAME.json is refused, and the message contains the line of bad/NAME.err. */
START_TEST(test_malformed)
{
	_cleanup_free_ char *dir = data_path("bad");
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (strlen(de->d_name) > 5 && streq(de->d_name + strlen(de->d_name) - 5, ".json"))
			ck_assert_int_eq(strv_extend(&names, de->d_name), 0);
	ck_assert_int_ge(strv_length(names), 30);
	STRV_FOREACH (name, names) {
		_cleanup_free_ char *json = NULL, *err = NULL, *want = NULL;
		struct record *rec = NULL;
		int r;

		ck_assert_int_ge(asprintf(&json, "%s/%s", dir, *name), 0);
		ck_assert_int_ge(asprintf(&err, "%s/%.*s.err", dir, (int)strlen(*name) - 5, *name),
				 0);
		want = read_text(err);
		want[strcspn(want, "\n")] = 0;
		testlog_start();
		r = record_read_file(json, &rec);
		ck_assert_msg(r < 0, "%s was accepted", *name);
		ck_assert_ptr_null(rec);
		ck_assert_msg(testlog_contains(want), "%s: expected \"%s\" in:\n%s", *name, want,
			      testlog_text());
		testlog_stop();
		n++;
	}
	ck_assert_uint_eq(n, strv_length(names));
}
END_TEST

START_TEST(test_limits)
{
	struct record *rec = NULL;
	char buf[] = "{}";

	testlog_start();
	ck_assert_int_eq(record_parse_buffer("big.json", buf, RECORD_FILE_MAX + 1, &rec), -EFBIG);
	ck_assert(testlog_contains("big.json: larger than 16777216 bytes"));
	testlog_stop();
	testlog_start();
	ck_assert_int_lt(record_read_file("/dev/null", &rec), 0);
	ck_assert(testlog_contains("/dev/null: not a regular file"));
	testlog_stop();
}
END_TEST

/* A procfs with the two files kexecq reads. */
static char *proc_tree(const char *boot_id, const char *cmdline)
{
	char *root = testtmp_dir(), *dir = NULL;

	ck_assert_int_ge(asprintf(&dir, "%s/sys/kernel/random", root), 0);
	for (char *s = dir + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		(void)mkdir(dir, 0755);
		*s = '/';
	}
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	free(testtmp_write(dir, "boot_id", boot_id));
	free(testtmp_write(root, "cmdline", cmdline));
	free(dir);
	return root;
}

START_TEST(test_boot_id_and_marker)
{
	_cleanup_free_ char *proc =
		proc_tree(ID_B "\n", "root=/dev/sda1 kexecq.from=" ID_A " quiet\n");
	char *id = NULL;

	ck_assert(boot_id_is_valid(ID_A));
	ck_assert(!boot_id_is_valid("1b4e28ba2fa111d2883f0016d3cca42700000"));
	ck_assert(!boot_id_is_valid("1b4e28ba-2fa1-11d2-883f-0016d3cca42"));
	ck_assert(!boot_id_is_valid("1b4e28ba-2fa1-11d2-883f-0016d3cca42G"));
	ck_assert_int_eq(boot_id_read(proc, &id), 0);
	ck_assert_str_eq(id, ID_B);
	free(id);
	ck_assert_int_eq(boot_from_read(proc, &id), 1);
	ck_assert_str_eq(id, ID_A);
	free(id);

	/* None: 0.  Several: the last counts, as for the kernel's own. */
	free(testtmp_write(proc, "cmdline", "root=/dev/sda1 kexecq.fromage=1\n"));
	ck_assert_int_eq(boot_from_read(proc, &id), 0);
	ck_assert_ptr_null(id);
	free(testtmp_write(proc, "cmdline", "kexecq.from=" ID_A " kexecq.from=" ID_C "\n"));
	ck_assert_int_eq(boot_from_read(proc, &id), 1);
	ck_assert_str_eq(id, ID_C);
	free(id);

	/* A marker that is not a boot id never becomes a path. */
	free(testtmp_write(proc, "cmdline", "kexecq.from=../../../etc/passwd\n"));
	testlog_start();
	ck_assert_int_eq(boot_from_read(proc, &id), -EBADMSG);
	ck_assert(
		testlog_contains("/cmdline: kexecq.from=\"../../../etc/passwd\" is not a boot id"));
	testlog_stop();
	free(testtmp_write(proc, "sys/kernel/random/boot_id", "nonsense\n"));
	testlog_start();
	ck_assert_int_eq(boot_id_read(proc, &id), -EBADMSG);
	ck_assert(testlog_contains("boot_id: \"nonsense\" is not a boot id"));
	testlog_stop();
}
END_TEST

static struct record *small_record(const char *boot_id, uint32_t count)
{
	struct record *rec = NULL;
	_cleanup_free_ char *path = data_path("minimal.json");

	ck_assert_int_eq(record_read_file(path, &rec), 0);
	free(rec->boot_id);
	rec->boot_id = strdup(boot_id);
	rec->count = count;
	return rec;
}

static char *id_n(unsigned n)
{
	char *id = NULL;

	ck_assert_int_ge(asprintf(&id, "5e0b6c7d-0000-4000-8000-%012x", n), 0);
	return id;
}

static int count_files(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	return n;
}

START_TEST(test_save_load_prune)
{
	_cleanup_free_ char *root = testtmp_dir(), *dir = NULL, *path = NULL;
	struct record *rec, *back = NULL;
	struct stat st;

	ck_assert_int_ge(asprintf(&dir, "%s/state", root), 0);
	/* The directory is made, 0700; the file is the JSON, 0600. */
	rec = small_record(ID_A, 3);
	ck_assert_int_eq(record_save(dir, rec), 0);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	path = record_path(dir, ID_A);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(record_load(dir, ID_A, &back), 0);
	ck_assert_int_eq(back->count, 3);
	record_free(back);
	record_free(rec);
	ck_assert_int_eq(record_load(dir, ID_B, &back), -ENOENT);

	/* More than RECORD_KEEP: the oldest (by mtime) go, the newest stay. */
	for (unsigned i = 1; i <= RECORD_KEEP + 3; i++) {
		_cleanup_free_ char *id = id_n(i), *p = NULL;
		struct timespec ts[2] = { { .tv_sec = 1000000 + i }, { .tv_sec = 1000000 + i } };

		rec = small_record(id, i);
		ck_assert_int_eq(record_save(dir, rec), 0);
		record_free(rec);
		p = record_path(dir, id);
		ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
	}
	ck_assert_int_eq(count_files(dir), RECORD_KEEP);
	for (unsigned i = 1; i <= RECORD_KEEP + 3; i++) {
		_cleanup_free_ char *id = id_n(i);
		int r = record_load(dir, id, &back);

		if (i <= 4) /* ID_A (its mtime is now, the newest) and 3 more were older */
			ck_assert_int_eq(r, -ENOENT);
		else {
			ck_assert_int_eq(r, 0);
			record_free(back);
		}
	}
	/* ID_A's file was the newest by mtime, so the last saves kept it: */
	ck_assert_int_eq(record_load(dir, ID_A, &back), 0);
	record_free(back);

	/* The newest other than a given boot. */
	{
		_cleanup_free_ char *newest = id_n(RECORD_KEEP + 3);

		ck_assert_int_eq(record_load_latest(dir, ID_A, &back), 0);
		ck_assert_str_eq(back->boot_id, newest);
		record_free(back);
	}
}
END_TEST

START_TEST(test_refused_files)
{
	_cleanup_free_ char *dir = testtmp_dir(), *path = NULL, *other = NULL, *text = NULL;
	_cleanup_free_ char *src = data_path("minimal.json");
	struct record *rec = NULL;

	/* A record whose boot id is not the one in its name. */
	path = record_path(dir, ID_B);
	text = read_text(src);
	free(testtmp_write(dir, "record-" ID_B ".json", text));
	testlog_start();
	ck_assert_int_eq(record_load(dir, ID_B, &rec), -EBADMSG);
	ck_assert(testlog_contains("\"boot_id\": \"" ID_A "\" is not the boot its name says"));
	testlog_stop();

	/* A symbolic link is not followed. */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(symlink(src, path), 0);
	testlog_start();
	ck_assert_int_lt(record_load(dir, ID_B, &rec), 0);
	ck_assert(testlog_contains("a symbolic link: refused"));
	testlog_stop();
	ck_assert_int_eq(unlink(path), 0);

	/* A name that is not a boot id is refused before it becomes a path. */
	testlog_start();
	ck_assert_int_eq(record_load(dir, "../../etc/passwd", &rec), -EINVAL);
	testlog_stop();

	if (geteuid() != 0)
		return; /* trust: root's files only */
	other = record_path(dir, ID_A);
	free(testtmp_write(dir, "record-" ID_A ".json", text));
	ck_assert_int_eq(chmod(other, 0666), 0);
	testlog_start();
	ck_assert_int_eq(record_load(dir, ID_A, &rec), -EPERM);
	ck_assert(testlog_contains("not trusted (writable by every user (mode 0666))"));
	testlog_stop();
	ck_assert_int_eq(chmod(other, 0600), 0);
	ck_assert_int_eq(chmod(dir, 0777), 0);
	testlog_start();
	ck_assert_int_eq(record_load(dir, ID_A, &rec), -EPERM);
	ck_assert(testlog_contains("not trusted"));
	rec = small_record(ID_C, 1);
	ck_assert_int_eq(record_save(dir, rec), -EPERM);
	record_free(rec);
	testlog_stop();
	/* Sticky does not help: others could still put files in it. */
	ck_assert_int_eq(chmod(dir, 01777), 0);
	testlog_start();
	ck_assert_int_eq(record_load(dir, ID_A, &rec), -EPERM);
	ck_assert(testlog_contains("others may write it, mode 1777"));
	testlog_stop();
	ck_assert_int_eq(chmod(dir, 0700), 0);
}
END_TEST

/* Nothing is written that record_parse_buffer() would refuse; the error names the field. */
START_TEST(test_unreadable_not_written)
{
	_cleanup_free_ char *dir = testtmp_dir();
	struct record *rec = small_record(ID_A, 1);

	free(rec->into_cmdline);
	rec->into_cmdline = strdup("root=/dev/sda1\tquiet");
	testlog_start();
	ck_assert_int_eq(record_save(dir, rec), -EBADMSG);
	ck_assert(testlog_contains("record-" ID_A ".json: into: \"cmdline\": invalid value"));
	testlog_stop();
	ck_assert_int_eq(count_files(dir), 0);
	record_free(rec);
}
END_TEST

/* The record of a kexec counts on from the record of the boot this one came from. */
START_TEST(test_count_in_a_row)
{
	_cleanup_free_ char *root = testtmp_dir(), *dir = NULL, *gone = NULL;
	_cleanup_free_ char *proc = proc_tree(ID_A "\n", "root=/dev/sda1\n");
	struct inventory *inv = test_inventory("server");
	struct kexec_image img = { .kernel = (char *)"/boot/vmlinuz", .cmdline = (char *)"ro" };
	struct record *rec = NULL;

	ck_assert_int_ge(asprintf(&dir, "%s/state", root), 0);
	/* Not from a kexec: 1. */
	ck_assert_int_eq(record_write_for_kexec(dir, proc, ID_A, inv, &img, RECORD_MODE_NOW), 0);
	ck_assert_int_eq(record_load(dir, ID_A, &rec), 0);
	ck_assert_int_eq(rec->count, 1);
	ck_assert_int_eq(rec->n, 30);
	ck_assert_str_eq(rec->from_release, "6.12.57-kexecq");
	ck_assert_ptr_null(rec->into_initrd);
	record_free(rec);

	/* From A's kexec: 2; from B's: 3. */
	free(testtmp_write(proc, "cmdline", "root=/dev/sda1 kexecq.from=" ID_A "\n"));
	ck_assert_int_eq(record_write_for_kexec(dir, proc, ID_B, inv, &img, RECORD_MODE_SYSTEMD),
			 0);
	ck_assert_int_eq(record_load(dir, ID_B, &rec), 0);
	ck_assert_int_eq(rec->count, 2);
	ck_assert_int_eq(rec->mode, RECORD_MODE_SYSTEMD);
	record_free(rec);
	free(testtmp_write(proc, "cmdline", "kexecq.from=" ID_B "\n"));
	ck_assert_int_eq(record_write_for_kexec(dir, proc, ID_C, inv, &img, RECORD_MODE_NOW), 0);
	ck_assert_int_eq(record_load(dir, ID_C, &rec), 0);
	ck_assert_int_eq(rec->count, 3);
	record_free(rec);

	/* From a kexec whose record is gone: at least the second, and said so. */
	gone = record_path(dir, ID_B);
	ck_assert_int_eq(unlink(gone), 0);
	testlog_start();
	ck_assert_int_eq(record_write_for_kexec(dir, proc, ID_C, inv, &img, RECORD_MODE_NOW), 0);
	ck_assert(testlog_contains("whose record cannot be read"));
	testlog_stop();
	ck_assert_int_eq(record_load(dir, ID_C, &rec), 0);
	ck_assert_int_eq(rec->count, 2);
	record_free(rec);
	inventory_free(inv);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("record");
	TCase *tc = test_tcase("record");

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_from_inventory);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_boot_id_and_marker);
	tcase_add_test(tc, test_save_load_prune);
	tcase_add_test(tc, test_refused_files);
	tcase_add_test(tc, test_unreadable_not_written);
	tcase_add_test(tc, test_count_in_a_row);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
