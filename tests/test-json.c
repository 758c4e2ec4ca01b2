// SPDX-License-Identifier: LGPL-2.1-or-later
/* Inventory snapshots: round trip, versioning, and errors that say where. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
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

START_TEST(test_round_trip)
{
	struct inventory *a = test_inventory("server"), *b = NULL;
	_cleanup_free_ char *dir = testtmp_dir();
	_cleanup_free_ char *text = save(a);
	_cleanup_free_ char *path = testtmp_write(dir, "copy.json", text);
	_cleanup_free_ char *again = NULL;
	struct device *vf;

	ck_assert_int_eq(inventory_load_json(path, &b), 0);
	again = save(b);
	ck_assert_str_eq(text, again);

	/* Links are derived on load. */
	vf = inventory_find_name(b, DEVICE_PCI, "0000:03:10.2");
	ck_assert_ptr_nonnull(vf->physfn);
	ck_assert_str_eq(vf->physfn->name, "0000:03:00.0");
	ck_assert_str_eq(inventory_find_name(b, DEVICE_DISK, "sda")->parent->name, "host0");
	ck_assert_str_eq(inventory_find_name(b, DEVICE_DISK, "nvme0n1")->parent->name, "nvme0");
	ck_assert_int_eq(inventory_find_name(b, DEVICE_DISK, "sda")->write_cache, CACHE_WRITE_BACK);
	ck_assert_int_eq(b->kernel_kexec_method, KMETHOD_AUTO);
	ck_assert_int_eq(inventory_find_name(b, DEVICE_PCI, "0000:04:00.0")->has_shutdown, 0);
	inventory_free(a);
	inventory_free(b);
}
END_TEST

static const struct {
	const char *text;
	const char *msg;
} bad[] = {
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 1, \n\"devices\": [ }",
	  ":2: not valid JSON" },
	{ "[]", "not a kexecq inventory" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 2, \"devices\": [] }",
	  "inventory version 2 is not supported" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 1 }", "missing \"devices\" array" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 1, \"devices\": [ { \"kind\": \"pci\", "
	  "\"name\": \"x\" } ] }",
	  "devices[0]: missing \"syspath\"" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 1, \"devices\": [ { \"kind\": \"pci\", "
	  "\"syspath\": \"/sys/a\", \"name\": \"a\" }, { \"kind\": \"toaster\", \"syspath\": \"/b\", "
	  "\"name\": \"b\" } ] }",
	  "devices[1]: unknown kind \"toaster\"" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 1, \"devices\": [ { \"kind\": \"pci\", "
	  "\"syspath\": \"/sys/a\", \"name\": \"a\", \"sriov_numvfs\": \"four\" } ] }",
	  "devices[0]: expected a number for \"sriov_numvfs\"" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 1, \"devices\": [ { \"kind\": \"disk\", "
	  "\"syspath\": \"/sys/a\", \"name\": \"a\", \"write_cache\": \"sometimes\" } ] }",
	  "invalid write_cache \"sometimes\"" },
	{ "{ \"format\": \"kexecq-inventory\", \"version\": 1, \"devices\": [ { \"kind\": \"pci\", "
	  "\"syspath\": \"/sys/a\", \"name\": \"a\" }, { \"kind\": \"pci\", \"syspath\": \"/sys/a\", "
	  "\"name\": \"a\" } ] }",
	  "listed twice" },
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

START_TEST(test_missing_file)
{
	struct inventory *inv = NULL;

	testlog_start();
	ck_assert_int_eq(inventory_load_json("/nonexistent.json", &inv), -ENOENT);
	ck_assert(testlog_contains("/nonexistent.json: cannot open"));
	testlog_stop();
}
END_TEST

static Suite *json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = test_tcase("snapshot");

	tcase_add_test(tc, test_round_trip);
	tcase_add_loop_test(tc, test_bad, 0, (int)ELEMENTSOF(bad));
	tcase_add_test(tc, test_missing_file);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(json_suite());
}
