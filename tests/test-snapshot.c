// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Inventory snapshots: round trip against a file written by hand,
 * versioning, validation of crafted input, and errors that say where.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"
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

/*
 * roundtrip-in.json holds ids as people write them (0x, upper case, short),
 * devices out of order and a key from the future; roundtrip-out.json, also
 * written by hand, is what the snapshot must say after loading it.
 */
START_TEST(test_round_trip)
{
	struct inventory *inv = NULL;
	_cleanup_free_ char *in = NULL, *out = NULL, *expected = NULL, *text = NULL;
	struct device *vf;

	ck_assert_int_ge(asprintf(&in, "%s/snapshot/roundtrip-in.json", TESTDATA), 0);
	ck_assert_int_ge(asprintf(&out, "%s/snapshot/roundtrip-out.json", TESTDATA), 0);
	ck_assert_int_eq(inventory_load_json(in, &inv), 0);
	text = save(inv);
	expected = read_text(out);
	ck_assert_str_eq(text, expected);

	/* Links are derived on load. */
	vf = inventory_find_name(inv, DEVICE_PCI, "0000:00:03.1");
	ck_assert_ptr_nonnull(vf->physfn);
	ck_assert_str_eq(vf->physfn->name, "0000:00:03.0");
	ck_assert_str_eq(inventory_find_name(inv, DEVICE_DISK, "sda")->parent->name, "host0");
	ck_assert_str_eq(inventory_find_name(inv, DEVICE_NET, "eth0")->parent->name,
			 "0000:00:03.0");
	/* Said by the devices' kexec_method and kexec_action, the kernel's own left out. */
	ck_assert(inv->kernel_per_device_method);
	ck_assert_int_eq(vf->kexec_method, KMETHOD_REMOVE);
	ck_assert_int_eq(vf->kexec_action, KACTION_CLEAR_MASTER);
	ck_assert_int_eq(vf->physfn->kexec_method, KMETHOD_UNSET);
	ck_assert_int_eq(vf->physfn->kexec_action, KACTION_SHUTDOWN);
	ck_assert(!inv->live);
	inventory_free(inv);
}
END_TEST

/* The fixtures the other suites use load, and say the same when saved again. */
START_TEST(test_fixtures_stable)
{
	static const char *const names[] = { "server", "real-debian12", "storage" };

	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		struct inventory *a = test_inventory(names[i]), *b = NULL;
		_cleanup_free_ char *text = save(a), *again = NULL;

		ck_assert_int_eq(inventory_load_json_buffer("copy.json", text, strlen(text), &b),
				 0);
		again = save(b);
		ck_assert_str_eq(text, again);
		inventory_free(a);
		inventory_free(b);
	}
}
END_TEST

#define HEAD "{ \"format\": \"kexecq-inventory\", \"version\": 2, \"devices\": [ "
#define HEAD3 "{ \"format\": \"kexecq-inventory\", \"version\": 3, \"devices\": [ "
#define HEAD4 "{ \"format\": \"kexecq-inventory\", \"version\": 4, \"devices\": [ "
#define PCI(name) \
	"{ \"kind\": \"pci\", \"syspath\": \"/sys/devices/" name "\", \"name\": \"" name "\""
#define TAIL " ] }"
#define DISK(rest) \
	"{ \"kind\": \"disk\", \"syspath\": \"/sys/devices/d\", \"name\": \"d\"" rest " }" TAIL
#define MNT(mp, fs, dev)                                   \
	"{ \"mount_point\": \"" mp "\", \"fstype\": \"" fs \
	"\", \"source\": \"/dev/x\", \"dev\": \"" dev "\" }"

static const struct {
	const char *text;
	const char *msg;
} bad[] = {
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 2, \n\"devices\": [ }",
	  ":2: not valid JSON" },
	{ "[]", "not a kexecq inventory" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 1, \"devices\": [] }",
	  "inventory version 1 is not supported (this kexecq reads 2 to 4)" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 5, \"devices\": [] }",
	  "inventory version 5 is not supported (this kexecq reads 2 to 4)" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 2 }", "missing \"devices\" array" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 2, \"devices\": [ { \"kind\": \"pci\", "
	  "\"name\": \"x\" } ] }",
	  "devices[0] (x): missing \"syspath\"" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 2, \"devices\": [ { \"kind\": \"pci\", "
	  "\"syspath\": \"/sys/a\", \"name\": \"a\" }, { \"kind\": \"toaster\", \"syspath\": \"/b\", "
	  "\"name\": \"b\" } ] }",
	  "devices[1] (b): unknown kind \"toaster\"" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 2, \"devices\": [ { \"kind\": \"pci\", "
	  "\"syspath\": \"/sys/a\", \"name\": \"a\", \"sriov_numvfs\": \"four\" } ] }",
	  "devices[0] (a): expected a number for \"sriov_numvfs\"" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 2, \"devices\": [ { \"kind\": \"disk\", "
	  "\"syspath\": \"/sys/a\", \"name\": \"a\", \"write_cache\": \"sometimes\" } ] }",
	  "invalid write_cache \"sometimes\"" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 2, \"devices\": [ { \"kind\": \"pci\", "
	  "\"syspath\": \"/sys/a\", \"name\": \"a\" }, { \"kind\": \"pci\", \"syspath\": \"/sys/a\", "
	  "\"name\": \"a\" } ] }",
	  "listed twice" },
	/* Crafted ids, names and paths. */
	{ HEAD PCI("a") ", \"vendor\": \"zz\" }" TAIL, "devices[0] (a): vendor \"zz\"" },
	{ HEAD PCI("a") ", \"vendor\": \"0x123456789\" }" TAIL, "vendor \"0x123456789\"" },
	{ HEAD PCI("a") ", \"class\": \"01*\" }" TAIL, "class \"01*\"" },
	{ HEAD "{ \"kind\": \"pci\", \"syspath\": \"sys/a\", \"name\": \"a\" }" TAIL,
	  "invalid syspath" },
	{ HEAD "{ \"kind\": \"pci\", \"syspath\": \"/sys/../a\", \"name\": \"a\" }" TAIL,
	  "invalid syspath" },
	{ HEAD "{ \"kind\": \"pci\", \"syspath\": \"/sys//a\", \"name\": \"a\" }" TAIL,
	  "invalid syspath" },
	{ HEAD "{ \"kind\": \"pci\", \"syspath\": \"/sys/a\", \"name\": \"a/b\" }" TAIL,
	  "devices[0]: invalid name \"a/b\"" },
	{ HEAD PCI("a") ", \"driver\": \"lp fc\" }" TAIL, "driver \"lp fc\"" },
	{ HEAD PCI("a") ", \"driver\": \"lpfc\\u0000x\" }" TAIL, "NUL byte in \"driver\"" },
	{ HEAD PCI("a") ", \"modalias\": \"pci:\\u0007\" }" TAIL, "modalias \"pci:\\x07\"" },
	{ HEAD PCI("a") ", \"properties\": { \"A B\": \"x\" } }" TAIL,
	  "invalid property name \"A B\"" },
	{ HEAD PCI("a") ", \"properties\": { \"A\": \"x\\ny\" } }" TAIL,
	  "invalid value of property \"A\"" },
	{ HEAD PCI("a") " }" TAIL " trailing", "data after the inventory object" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 2, \"kernel\": 7, \"devices\": [] }",
	  "\"kernel\" is not an object" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 2, \"kernel\": { \"kexec_method\": "
	  "\"\\u001b[31mred\" }, \"devices\": [] }",
	  "kernel: kexec_method \"\\x1b[31mred\" is the global method of the v2 ABI" },
	/* The kexecq series' v2 ABI (per driver, and a global method): named, not read. */
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 3, \"kernel\": { \"kexec_method\": "
	  "\"shutdown\" }, \"devices\": [] }",
	  "bad.json: kernel: kexec_method \"shutdown\" is the global method of the v2 ABI of the "
	  "kexecq kernel series, which v3 does not have" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 4, \"kernel\": { \"kexec_method\": "
	  "\"remove\" }, \"devices\": [] }",
	  "kernel: kexec_method \"remove\" is the global method of the v2 ABI" },
	{ HEAD3 PCI("a") ", \"driver\": \"lpfc\", \"kexec_method\": \"default\" }" TAIL,
	  "bad.json: devices[0] (a): kexec_method \"default\" is from inventory version 3, which "
	  "has the v2 ABI of the kexecq kernel series (per driver); this kexecq reads v3's "
	  "(version 4, per device): take the snapshot again" },
	{ HEAD3 PCI("a") ", \"kexec_method\": \"shutdown\" }" TAIL,
	  "devices[0] (a): kexec_method \"shutdown\" is from inventory version 3" },
	{ HEAD PCI("a") ", \"kexec_action\": \"nothing\" }" TAIL,
	  "devices[0] (a): kexec_action \"nothing\" is from inventory version 2" },
	{ HEAD4 PCI("a") ", \"kexec_method\": \"auto\" }" TAIL,
	  "devices[0] (a): kexec_method \"auto\" is a value of the v2 ABI of the kexecq kernel "
	  "series; v3 has shutdown and remove" },
	{ HEAD4 PCI("a") ", \"kexec_method\": \"[shutdown] remove\" }" TAIL,
	  "devices[0] (a): invalid kexec_method \"[shutdown] remove\"" },
	{ HEAD4 PCI("a") ", \"kexec_action\": \"nothing\" }" TAIL,
	  "devices[0] (a): kexec_action \"nothing\" is a value of the v2 ABI of the kexecq kernel "
	  "series; v3 has remove, shutdown and clear-master" },
	{ HEAD4 PCI("a") ", \"kexec_action\": 1 }" TAIL,
	  "devices[0] (a): expected a string for \"kexec_action\"" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 4, \"kernel\": { "
	  "\"per_device_kexec_method\": \"yes\" }, \"devices\": [] }",
	  "kernel: expected true or false for per_device_kexec_method" },
	/* kexec_method and kexec_action: of PCI functions, in version 4, as "kernel" says. */
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 3, \"kernel\": { "
	  "\"per_device_kexec_method\": true }, \"devices\": [] }",
	  "bad.json: kernel: per_device_kexec_method is from inventory version 4 (the v3 ABI of "
	  "the kexecq kernel series); this snapshot says version 3" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 2, \"kernel\": { "
	  "\"per_device_kexec_method\": false }, \"devices\": [] }",
	  "kernel: per_device_kexec_method is from inventory version 4" },
	{ HEAD4 PCI("a") " }, { \"kind\": \"net\", \"syspath\": \"/sys/devices/a/n\", \"name\": "
			 "\"n\", \"kexec_action\": \"remove\" }" TAIL,
	  "bad.json: devices[1] (n): kexec_action on a device that is not a PCI function" },
	{ HEAD4 "{ \"kind\": \"disk\", \"syspath\": \"/sys/devices/d\", \"name\": \"d\", "
		"\"kexec_method\": \"shutdown\" }" TAIL,
	  "devices[0] (d): kexec_method on a device that is not a PCI function" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 4, \"kernel\": { "
	  "\"per_device_kexec_method\": false }, \"devices\": [ " PCI("a") " }, " PCI(
		  "b") ", \"kexec_action\": \"clear-master\" }" TAIL,
	  "bad.json: devices[1] (b): kexec_action, but kernel: per_device_kexec_method is false "
	  "(a kernel without the kexecq series has neither attribute)" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 4, \"kernel\": { "
	  "\"per_device_kexec_method\": true }, \"devices\": [ " PCI("a") " }, " PCI("b") " }" TAIL,
	  "bad.json: kernel: per_device_kexec_method is true, but no PCI function has "
	  "kexec_method or kexec_action" },
	/* What the scan found bound below a PCI function: on PCI functions, name and driver. */
	{ HEAD4 PCI("a") " }, { \"kind\": \"disk\", \"syspath\": \"/sys/devices/a/d\", "
			 "\"name\": \"d\", \"bound_below\": \"x\", \"bound_below_driver\": "
			 "\"sd\" }" TAIL,
	  "devices[1] (d): bound_below on a device that is not a PCI function" },
	{ HEAD4 PCI("a") ", \"bound_below\": \"0:0:0:0\" }" TAIL,
	  "devices[0] (a): bound_below and bound_below_driver go together" },
	{ HEAD4 PCI("a") ", \"bound_below\": \"0:0:0:0\", \"bound_below_driver\": \"s d\" }" TAIL,
	  "devices[0] (a): bound_below_driver \"s d\"" },
	/* SR-IOV links: one level, to a PCI function of the snapshot, never a loop. */
	{ HEAD PCI("a") ", \"physfn\": \"/sys/devices/a\" }" TAIL,
	  "/sys/devices/a: physfn names the device itself" },
	{ HEAD PCI("a") ", \"physfn\": \"/sys/devices/b\" }, " PCI(
		  "b") ", \"physfn\": \"/sys/devices/a\" }" TAIL,
	  "is not a physical function (it is a VF itself)" },
	/* Mounts: on disks only, each field checked. */
	{ HEAD PCI("a") ", \"mounts\": [] }" TAIL,
	  "devices[0] (a): mounts on a device that is not a disk" },
	{ HEAD DISK(", \"mounts\": {}"), "expected an array for mounts" },
	{ HEAD DISK(", \"mounts\": [ 7 ]"), "mounts[0]: invalid \"mount\"" },
	{ HEAD DISK(", \"mounts\": [ { \"fstype\": \"ext2\" } ]"), "missing \"mount_point\"" },
	{ HEAD DISK(", \"mounts\": [ " MNT("data", "ext2", "8:1") " ]"),
	  "mounts[0]: invalid \"mount_point\"" },
	{ HEAD DISK(", \"mounts\": [ " MNT("/a\\u0000b", "ext2", "8:1") " ]"),
	  "NUL byte in \"mount_point\"" },
	{ HEAD DISK(", \"mounts\": [ " MNT("/a", "ext\\u001b", "8:1") " ]"),
	  "mounts[0]: invalid \"fstype\"" },
	{ HEAD DISK(", \"mounts\": [ " MNT("/a", "ext2", "8") " ]"), "mounts[0]: invalid \"dev\"" },
	{ HEAD DISK(", \"mounts\": [ " MNT("/a", "ext2", "-8:1") " ]"), "invalid \"dev\"" },
	{ HEAD DISK(", \"mounts\": [ " MNT("/a", "ext2", "8:1:2") " ]"), "invalid \"dev\"" },
	{ HEAD DISK(", \"mounts\": [ { \"mount_point\": \"/a\", \"fstype\": \"x\", \"source\": "
		    "\"s\", \"dev\": \"8:1\", \"via\": [ \"../sda\" ] } ]"),
	  "mounts[0]: invalid \"via\"" },
	{ HEAD DISK(", \"mounts\": [ { \"mount_point\": \"/a\", \"fstype\": \"x\", \"source\": "
		    "\"s\", \"dev\": \"8:1\", \"md\": \"md0\" } ]"),
	  "mounts[0]: invalid \"md\"" },
	{ HEAD DISK(", \"mounts\": [ { \"mount_point\": \"/a\", \"fstype\": \"x\", \"source\": "
		    "\"s\", \"dev\": \"8:1\", \"read_only\": 1 } ]"),
	  "expected true or false for \"read_only\"" },
	{ HEAD PCI("a") ", \"physfn\": \"/sys/devices/zz\" }" TAIL,
	  "physfn /sys/devices/zz is not a device of the inventory" },
	{ HEAD PCI("a") " }, { \"kind\": \"net\", \"syspath\": \"/sys/devices/a/n\", \"name\": "
			"\"n\", \"physfn\": \"/sys/devices/a\" }" TAIL,
	  "only a PCI function can have a physfn" },
};

START_TEST(test_bad)
{
	_cleanup_free_ char *dir = testtmp_dir();
	_cleanup_free_ char *path = testtmp_write(dir, "bad.json", bad[_i].text);
	struct inventory *inv = NULL;

	testlog_start();
	ck_assert_int_lt(inventory_load_json(path, &inv), 0);
	ck_assert_ptr_null(inv);
	ck_assert_msg(testlog_contains(bad[_i].msg), "expected \"%s\" in: %s", bad[_i].msg,
		      testlog_text());
	ck_assert_msg(testlog_contains("bad.json"), "file not named: %s", testlog_text());
	testlog_stop();
}
END_TEST

/*
 * "kernel" may leave per_device_kexec_method out: the devices' attributes
 * say it.  A patched kernel's snapshot may lack a device's kexec_action
 * (a read that failed with EBUSY): it loads, unknown.
 */
START_TEST(test_kexec_attributes_consistent)
{
	static const char derived[] = HEAD4 PCI("a") ", \"kexec_action\": \"shutdown\" }" TAIL;
	static const char partial[] =
		"{ \"format\": \"kexecq-inventory\", \"version\": 4, \"kernel\": { "
		"\"per_device_kexec_method\": true }, \"devices\": [ " PCI("a") " }, " PCI(
			"b") ", \"kexec_method\": \"shutdown\" }" TAIL;
	static const char stock[] = "{ \"format\": \"kexecq-inventory\", \"version\": 4, "
				    "\"kernel\": { \"per_device_kexec_method\": false }, "
				    "\"devices\": [ " PCI("a") " }" TAIL;
	struct inventory *inv = NULL;

	ck_assert_int_eq(inventory_load_json_buffer("d.json", derived, strlen(derived), &inv), 0);
	ck_assert(inv->kernel_per_device_method);
	inv = inventory_free(inv);
	ck_assert_int_eq(inventory_load_json_buffer("p.json", partial, strlen(partial), &inv), 0);
	ck_assert(inv->kernel_per_device_method);
	ck_assert_int_eq(inventory_find_name(inv, DEVICE_PCI, "a")->kexec_action, KACTION_UNKNOWN);
	inv = inventory_free(inv);
	ck_assert_int_eq(inventory_load_json_buffer("s.json", stock, strlen(stock), &inv), 0);
	ck_assert(!inv->kernel_per_device_method);
	inventory_free(inv);
}
END_TEST

/* What the scan found bound below a function is kept, and says the kernel keeps its driver. */
START_TEST(test_bound_below)
{
	static const char text[] =
		HEAD4 PCI("a") ", \"driver\": \"usbhc\", \"kexec_method\": "
			       "\"shutdown\", \"kexec_action\": \"clear-master\", "
			       "\"bound_below\": \"usb1\", \"bound_below_driver\": "
			       "\"usb\" }" TAIL;
	struct inventory *inv = NULL, *again = NULL;
	_cleanup_free_ char *saved = NULL, *why = NULL;
	struct device *d;

	ck_assert_int_eq(inventory_load_json_buffer("b.json", text, strlen(text), &inv), 0);
	d = inventory_find_name(inv, DEVICE_PCI, "a");
	ck_assert_str_eq(d->bound_below, "usb1");
	ck_assert_str_eq(d->bound_below_driver, "usb");
	ck_assert_int_eq(kexec_remove_vetoed(inv, d, false, &why), 1);
	ck_assert_str_eq(why, "usb1 (usb) is bound below it");
	saved = save(inv);
	ck_assert(strstr(saved, "\"bound_below\": \"usb1\""));
	ck_assert(strstr(saved, "\"bound_below_driver\": \"usb\""));
	ck_assert_int_eq(inventory_load_json_buffer("again.json", saved, strlen(saved), &again), 0);
	ck_assert_str_eq(inventory_find_name(again, DEVICE_PCI, "a")->bound_below, "usb1");
	inventory_free(again);
	inventory_free(inv);
}
END_TEST

/* Version 2 still loads, but says nothing of mounts: the planner warns. */
START_TEST(test_version_2)
{
	static const char v2[] =
		"{ \"format\": \"kexecq-inventory\", \"version\": 2, \"devices\": "
		"[ { \"kind\": \"disk\", \"syspath\": \"/sys/d\", \"name\": \"d\" } ] }";
	struct inventory *inv = NULL;
	_cleanup_free_ char *text = NULL;

	ck_assert_int_eq(inventory_load_json_buffer("v2.json", v2, strlen(v2), &inv), 0);
	ck_assert(!inv->mounts_known);
	text = save(inv);
	ck_assert(strstr(text, "\"version\": 4"));
	inventory_free(inv);
	inv = test_inventory("storage");
	ck_assert(inv->mounts_known);
	ck_assert_uint_eq(inventory_find_name(inv, DEVICE_DISK, "sda")->n_mounts, 2);
	inventory_free(inv);
}
END_TEST

START_TEST(test_missing_file)
{
	struct inventory *inv = NULL;

	testlog_start();
	ck_assert_int_eq(inventory_load_json("/nonexistent.json", &inv), -ENOENT);
	ck_assert(testlog_contains("/nonexistent.json: cannot open"));
	testlog_stop();
}
END_TEST

static Suite *snapshot_suite(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = test_tcase("snapshot");

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_fixtures_stable);
	tcase_add_loop_test(tc, test_bad, 0, (int)ELEMENTSOF(bad));
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_version_2);
	tcase_add_test(tc, test_kexec_attributes_consistent);
	tcase_add_test(tc, test_bound_below);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(snapshot_suite());
}
