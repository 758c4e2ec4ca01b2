// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The comparison after a kexec: the record of inventory/server.json
 * against the same devices changed one way at a time; and what `kexecq
 * status` says of the next reboot (next-reboot.h), fact by fact.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "next-reboot.h"
#include "verify.h"
#include "testlib.h"

static struct record *server_record(void)
{
	struct inventory *inv = test_inventory("server");
	struct record *rec = record_new();

	ck_assert_ptr_nonnull(rec);
	ck_assert_int_eq(record_add_inventory(rec, inv), 0);
	inventory_free(inv);
	return rec;
}

static struct record_device *find(struct record *rec, enum device_kind kind, const char *name)
{
	struct record_device *d = (struct record_device *)record_find(rec, kind, name);

	ck_assert_msg(d, "%s %s not in the record", device_kind_to_string(kind), name);
	return d;
}

/* Remove a device; the order (and so record_find()) is kept. */
static void drop(struct record *rec, enum device_kind kind, const char *name)
{
	struct record_device *d = find(rec, kind, name);
	size_t i = (size_t)(d - rec->devices);

	free(d->name);
	free(d->driver);
	free(d->physfn);
	free(d->pci);
	free(d->devnode);
	memmove(d, d + 1, (rec->n - i - 1) * sizeof(*d));
	rec->n--;
}

static void set_str(char **field, const char *value)
{
	free(*field);
	*field = value ? strdup(value) : NULL;
}

/* Rename, keeping the order: only for names that sort the same way here. */
static void rename_to(struct record *rec, enum device_kind kind, const char *name, const char *to)
{
	set_str(&find(rec, kind, name)->name, to);
	ck_assert_ptr_eq(record_find(rec, kind, to), find(rec, kind, to));
}

static struct verify_result *compare(const struct record *before, const struct record *now)
{
	struct verify_result *v = NULL;

	ck_assert_int_eq(verify_compare(before, now, &v), 0);
	return v;
}

static void assert_finding(const struct verify_finding *f, enum verify_problem p, bool error,
			   enum device_kind kind, const char *name, const char *expected,
			   const char *found)
{
	ck_assert_str_eq(verify_problem_to_string(f->problem), verify_problem_to_string(p));
	ck_assert_int_eq(f->error, error);
	ck_assert_int_eq(f->kind, kind);
	ck_assert_str_eq(f->name, name);
	if (expected)
		ck_assert_str_eq(f->expected, expected);
	else
		ck_assert_ptr_null(f->expected);
	if (found)
		ck_assert_str_eq(f->found, found);
	else
		ck_assert_ptr_null(f->found);
}

START_TEST(test_all_good)
{
	struct record *before = server_record(), *now = server_record();
	struct verify_result *v = compare(before, now);

	ck_assert_uint_eq(v->n, 0);
	ck_assert_uint_eq(v->n_errors, 0);
	ck_assert_uint_eq(v->recorded[DEVICE_PCI], 18);
	ck_assert_uint_eq(v->recorded[DEVICE_NET], 7);
	ck_assert_uint_eq(v->recorded[DEVICE_DISK], 5);
	verify_result_free(v);
	record_free(before);
	record_free(now);
}
END_TEST

/* The lpfc HBA is gone, and sdc below it: one finding, for the HBA. */
START_TEST(test_missing)
{
	struct record *before = server_record(), *now = server_record();
	struct verify_result *v;

	drop(now, DEVICE_PCI, "0000:04:00.0");
	drop(now, DEVICE_DISK, "sdc");
	v = compare(before, now);
	ck_assert_uint_eq(v->n, 1);
	ck_assert_uint_eq(v->n_errors, 1);
	assert_finding(&v->findings[0], VERIFY_MISSING, true, DEVICE_PCI, "0000:04:00.0", "lpfc",
		       NULL);
	verify_result_free(v);
	record_free(before);
	record_free(now);
}
END_TEST

/* e1000e did not bind (a blacklist in the new kernel): eth6 below it is not reported. */
START_TEST(test_unbound)
{
	struct record *before = server_record(), *now = server_record();
	struct verify_result *v;

	set_str(&find(now, DEVICE_PCI, "0000:05:00.0")->driver, NULL);
	drop(now, DEVICE_NET, "eth6");
	v = compare(before, now);
	ck_assert_uint_eq(v->n, 1);
	assert_finding(&v->findings[0], VERIFY_UNBOUND, true, DEVICE_PCI, "0000:05:00.0", "e1000e",
		       NULL);
	verify_result_free(v);
	record_free(before);
	record_free(now);
}
END_TEST

START_TEST(test_other_driver)
{
	struct record *before = server_record(), *now = server_record();
	struct verify_result *v;

	set_str(&find(now, DEVICE_PCI, "0000:03:00.1")->driver, "vfio-pci");
	drop(now, DEVICE_NET, "eth5");
	v = compare(before, now);
	ck_assert_uint_eq(v->n, 1);
	assert_finding(&v->findings[0], VERIFY_OTHER_DRIVER, true, DEVICE_PCI, "0000:03:00.1",
		       "ixgbe", "vfio-pci");
	verify_result_free(v);
	record_free(before);
	record_free(now);
}
END_TEST

/* eth0 was up and is down; eth5 was down and still is: not a difference. */
START_TEST(test_interface_down)
{
	struct record *before = server_record(), *now = server_record();
	struct verify_result *v;

	find(now, DEVICE_NET, "eth0")->up = false;
	v = compare(before, now);
	ck_assert_uint_eq(v->n, 1);
	assert_finding(&v->findings[0], VERIFY_DOWN, true, DEVICE_NET, "eth0", "up", "down");
	ck_assert_str_eq(v->findings[0].pci, "0000:03:00.0");
	verify_result_free(v);
	/* Up now where it was down: fine. */
	find(before, DEVICE_NET, "eth0")->up = false;
	find(now, DEVICE_NET, "eth5")->up = true;
	v = compare(before, now);
	ck_assert_uint_eq(v->n, 0);
	verify_result_free(v);
	record_free(before);
	record_free(now);
}
END_TEST

START_TEST(test_interface_missing)
{
	struct record *before = server_record(), *now = server_record();
	struct verify_result *v;

	drop(now, DEVICE_NET, "eth6");
	v = compare(before, now);
	ck_assert_uint_eq(v->n, 1);
	assert_finding(&v->findings[0], VERIFY_MISSING, true, DEVICE_NET, "eth6", "eth6", NULL);
	ck_assert_str_eq(v->findings[0].pci, "0000:05:00.0");
	verify_result_free(v);
	record_free(before);
	record_free(now);
}
END_TEST

START_TEST(test_disk_missing)
{
	struct record *before = server_record(), *now = server_record();
	struct verify_result *v;

	drop(now, DEVICE_DISK, "sdb");
	v = compare(before, now);
	ck_assert_uint_eq(v->n, 1);
	assert_finding(&v->findings[0], VERIFY_MISSING, true, DEVICE_DISK, "sdb", "sdb", NULL);
	ck_assert_str_eq(v->findings[0].pci, "0000:01:00.0");
	verify_result_free(v);
	record_free(before);
	record_free(now);
}
END_TEST

/*
 * Another name below the same PCI function is a notice, and that device
 * is checked in its place; a name found below another function is not it.
 */
START_TEST(test_renamed)
{
	struct record *before = server_record(), *now = server_record();
	struct verify_result *v;

	rename_to(now, DEVICE_DISK, "nvme0n2", "nvme0n3");
	rename_to(now, DEVICE_NET, "eth0", "eth00");
	find(now, DEVICE_NET, "eth00")->up = false;
	v = compare(before, now);
	ck_assert_uint_eq(v->n, 3);
	ck_assert_uint_eq(v->n_errors, 1);
	ck_assert_uint_eq(v->n_notices, 2);
	assert_finding(&v->findings[0], VERIFY_RENAMED, false, DEVICE_NET, "eth0", "eth0", "eth00");
	assert_finding(&v->findings[1], VERIFY_DOWN, true, DEVICE_NET, "eth0", "up", "down");
	assert_finding(&v->findings[2], VERIFY_RENAMED, false, DEVICE_DISK, "nvme0n2", "nvme0n2",
		       "nvme0n3");
	verify_result_free(v);

	/* sdb under the NVMe controller now, sdb gone from the HBA: missing, not renamed. */
	set_str(&find(now, DEVICE_DISK, "sdb")->pci, "0000:02:00.0");
	rename_to(now, DEVICE_DISK, "nvme0n3", "nvme0n2");
	rename_to(now, DEVICE_NET, "eth00", "eth0");
	find(now, DEVICE_NET, "eth0")->up = true;
	v = compare(before, now);
	ck_assert_uint_eq(v->n, 1);
	assert_finding(&v->findings[0], VERIFY_MISSING, true, DEVICE_DISK, "sdb", "sdb", NULL);
	ck_assert_str_eq(v->findings[0].pci, "0000:01:00.0");
	verify_result_free(v);
	record_free(before);
	record_free(now);
}
END_TEST

/* VFs not created again: one notice on the PF, not four errors; a VF lost beside others: an error. */
START_TEST(test_sriov)
{
	static const char *const vfs[] = { "0000:03:10.0", "0000:03:10.2", "0000:03:10.4",
					   "0000:03:10.6" };
	static const char *const vf_nets[] = { "eth1", "eth2", "eth3", "eth4" };
	struct record *before = server_record(), *now = server_record();
	struct verify_result *v;

	drop(now, DEVICE_PCI, "0000:03:10.6");
	drop(now, DEVICE_NET, "eth4");
	v = compare(before, now);
	ck_assert_uint_eq(v->n, 1);
	assert_finding(&v->findings[0], VERIFY_MISSING, true, DEVICE_PCI, "0000:03:10.6", "ixgbevf",
		       NULL);
	verify_result_free(v);

	for (size_t i = 0; i < 3; i++) {
		drop(now, DEVICE_PCI, vfs[i]);
		drop(now, DEVICE_NET, vf_nets[i]);
	}
	v = compare(before, now);
	ck_assert_uint_eq(v->n, 1);
	ck_assert_uint_eq(v->n_errors, 0);
	assert_finding(&v->findings[0], VERIFY_SRIOV_OFF, false, DEVICE_PCI, "0000:03:00.0", NULL,
		       NULL);
	ck_assert_uint_eq(v->findings[0].vfs, 4);
	verify_result_free(v);
	record_free(before);
	record_free(now);
}
END_TEST

/* Unbound before and gone now: a notice.  New devices: nothing. */
START_TEST(test_unbound_gone_and_new)
{
	struct record *before = server_record(), *now = server_record();
	struct verify_result *v;

	drop(now, DEVICE_PCI, "0000:06:00.0");
	drop(before, DEVICE_NET, "eth6"); /* eth6 appears: new */
	drop(before, DEVICE_DISK, "sdc");
	v = compare(before, now);
	ck_assert_uint_eq(v->n, 1);
	ck_assert_uint_eq(v->n_errors, 0);
	assert_finding(&v->findings[0], VERIFY_MISSING, false, DEVICE_PCI, "0000:06:00.0", NULL,
		       NULL);
	verify_result_free(v);
	record_free(before);
	record_free(now);
}
END_TEST

/* Nothing at all now: every bound function missing, nothing below them on top. */
START_TEST(test_nothing_now)
{
	struct record *before = server_record(), *now = record_new();
	struct verify_result *v = compare(before, now);

	/* 13 bound functions and 1 unbound (a notice); VFs, interfaces and disks follow. */
	ck_assert_uint_eq(v->n, 14);
	ck_assert_uint_eq(v->n_errors, 13);
	ck_assert_uint_eq(v->n_notices, 1);
	verify_result_free(v);
	record_free(before);
	record_free(now);
}
END_TEST

/* A kexec armed by kexecqd on systemd 252: the baseline the next tests change. */
static struct next_reboot_facts armed(const struct record *mine)
{
	return (struct next_reboot_facts){
		.kexec_loaded = 1,
		.mine = mine,
		.frozen = 1,
		.frozen_devices = 12,
		.frozen_policies = 21,
		.kexec_by_default = 1,
		.systemd = true,
		.systemd_version = "252.39-1~deb12u2",
		.dropin = true,
		.dropin_loaded = true,
		.hook = true,
	};
}

static bool has_caller(const struct next_reboot *n, const char *c)
{
	for (size_t i = 0; n->callers[i]; i++)
		if (strcmp(n->callers[i], c) == 0)
			return true;
	return false;
}

START_TEST(test_next_reboot_armed)
{
	struct record *mine = record_new();
	struct next_reboot_facts f;
	struct next_reboot n;

	mine->into_kernel = strdup("/boot/vmlinuz-6.12.57");
	mine->into_initrd = strdup("/boot/initrd.img-6.12.57");
	mine->into_cmdline = strdup("root=/dev/sda1 kexecq.from=x");
	f = armed(mine);
	next_reboot_describe(&f, &n);
	ck_assert(n.kexec);
	ck_assert_int_eq(n.plan, NEXT_PLAN_FROZEN);
	ck_assert_str_eq(n.kernel, "/boot/vmlinuz-6.12.57");
	ck_assert_str_eq(n.initrd, "/boot/initrd.img-6.12.57");
	ck_assert(has_caller(&n, "systemctl reboot") && has_caller(&n, "reboot") &&
		  has_caller(&n, "systemctl kexec") && has_caller(&n, "logind's Reboot"));
	ck_assert_ptr_nonnull(strstr(n.reason, "drop-in"));
	ck_assert_ptr_null(n.hint);

	/* The drop-in there but not read by PID 1: 252's own rules, and what to do. */
	f.dropin_loaded = false;
	next_reboot_describe(&f, &n);
	ck_assert(n.kexec);
	ck_assert(!has_caller(&n, "systemctl reboot"));
	ck_assert(has_caller(&n, "reboot") && has_caller(&n, "systemctl kexec"));
	ck_assert_ptr_nonnull(strstr(n.reason, "26635"));
	ck_assert_ptr_nonnull(strstr(n.hint, "daemon-reload"));
	/* No drop-in at all. */
	f.dropin = false;
	next_reboot_describe(&f, &n);
	ck_assert_ptr_nonnull(strstr(n.hint, "kexecq enable"));

	/* 255 kexecs on systemctl reboot by itself, not on logind's Reboot from others. */
	f.systemd_version = "256.7-2";
	next_reboot_describe(&f, &n);
	ck_assert(has_caller(&n, "systemctl reboot") && !has_caller(&n, "logind's Reboot"));
	ck_assert_ptr_nonnull(strstr(n.reason, "255"));
	ck_assert_ptr_nonnull(strstr(n.hint, "logind's Reboot"));

	/* Loaded by something else: kexec, but said. */
	f = armed(NULL);
	next_reboot_describe(&f, &n);
	ck_assert(n.kexec);
	ck_assert_ptr_null(n.kernel);
	ck_assert_ptr_nonnull(strstr(n.hint, "not loaded by kexecq"));

	/* No frozen plan (kexecq load): the hook plans at shutdown, and kexecs. */
	f = armed(mine);
	f.frozen = 0;
	next_reboot_describe(&f, &n);
	ck_assert(n.kexec);
	ck_assert_int_eq(n.plan, NEXT_PLAN_AT_SHUTDOWN);

	/* No hook: still a kexec, with nothing quiesced, said last. */
	f = armed(mine);
	f.hook = false;
	next_reboot_describe(&f, &n);
	ck_assert(n.kexec);
	ck_assert_int_eq(n.plan, NEXT_PLAN_NONE);
	ck_assert_ptr_nonnull(strstr(n.hint, "nothing quiesces"));
	record_free(mine);
}
END_TEST

START_TEST(test_next_reboot_firmware)
{
	struct next_reboot_facts f = armed(NULL);
	struct next_reboot n;

	f.frozen = -EACCES;
	next_reboot_describe(&f, &n);
	ck_assert(!n.kexec);
	ck_assert_ptr_nonnull(strstr(n.reason, "cannot be read"));

	f = armed(NULL);
	f.systemd = false;
	next_reboot_describe(&f, &n);
	ck_assert(!n.kexec);
	ck_assert_ptr_nonnull(strstr(n.hint, "--now"));

	f = armed(NULL);
	f.kexec_loaded = 0;
	next_reboot_describe(&f, &n);
	ck_assert(!n.kexec);
	ck_assert_ptr_nonnull(strstr(n.reason, "though kexec by default is on"));
	f.kexec_by_default = 0;
	next_reboot_describe(&f, &n);
	ck_assert_str_eq(n.reason, "no kernel is loaded");
	ck_assert_ptr_nonnull(strstr(n.hint, "kexecq enable"));

	f.kexec_loaded = -ENOENT;
	next_reboot_describe(&f, &n);
	ck_assert_str_eq(n.reason, "this kernel has no kexec");
	f.kexec_loaded = -EIO;
	next_reboot_describe(&f, &n);
	ck_assert(!n.kexec);
	ck_assert_ptr_nonnull(strstr(n.reason, "cannot be read"));
}
END_TEST

START_TEST(test_systemd_major)
{
	ck_assert_uint_eq(systemd_major("252.39-1~deb12u2"), 252);
	ck_assert_uint_eq(systemd_major("255"), 255);
	ck_assert_uint_eq(systemd_major("v255"), 0);
	ck_assert_uint_eq(systemd_major(""), 0);
	ck_assert_uint_eq(systemd_major(NULL), 0);
	ck_assert_uint_eq(systemd_major("99999999999999999999"), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("verify");
	TCase *tc = test_tcase("verify");

	tcase_add_test(tc, test_all_good);
	tcase_add_test(tc, test_missing);
	tcase_add_test(tc, test_unbound);
	tcase_add_test(tc, test_other_driver);
	tcase_add_test(tc, test_interface_down);
	tcase_add_test(tc, test_interface_missing);
	tcase_add_test(tc, test_disk_missing);
	tcase_add_test(tc, test_renamed);
	tcase_add_test(tc, test_sriov);
	tcase_add_test(tc, test_unbound_gone_and_new);
	tcase_add_test(tc, test_nothing_now);
	tcase_add_test(tc, test_next_reboot_armed);
	tcase_add_test(tc, test_next_reboot_firmware);
	tcase_add_test(tc, test_systemd_major);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
