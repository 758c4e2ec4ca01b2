// SPDX-License-Identifier: LGPL-2.1-or-later
/* The matcher: globs, lists, negation, hex ids, missing values, first match wins. */
#include <stdlib.h>
#include <string.h>

#include "kernel-version.h"
#include "match.h"
#include "string-util.h"
#include "strv.h"
#include "testlib.h"

static struct inventory *inv;

static void setup(void)
{
	inv = test_inventory("server");
}

static void teardown(void)
{
	inv = inventory_free(inv);
}

static struct device *pci(const char *name)
{
	struct device *d = inventory_find_name(inv, DEVICE_PCI, name);

	ck_assert_msg(d != NULL, "no PCI device %s in fixture", name);
	return d;
}

static const struct {
	const char *match; /* the [Match] section body */
	const char *device;
	bool expect;
} cases[] = {
	{ "Driver=lpfc", "0000:04:00.0", true },
	{ "Driver=lp*", "0000:04:00.0", true },
	{ "Driver=qla2xxx lpfc", "0000:04:00.0", true },
	{ "Driver=!lpfc", "0000:04:00.0", false },
	{ "Driver=!lpfc", "0000:01:00.0", true },
	/* Unbound: no positive Driver= matches, every negated one does. */
	{ "Driver=*", "0000:06:00.0", false },
	{ "Driver=!lpfc", "0000:06:00.0", true },
	{ "Module=qla2xxx", "0000:06:00.0", true },
	{ "Vendor=0x10DF", "0000:04:00.0", true },
	{ "Vendor=10df", "0000:04:00.0", true },
	{ "Vendor=0x8086", "0000:04:00.0", false },
	{ "Vendor=0x1000\nDevice=0x005D", "0000:01:00.0", true },
	{ "Vendor=0x1000\nDevice=0x005E", "0000:01:00.0", false },
	{ "SubsystemVendor=0x1000", "0000:01:00.0", true },
	{ "SubsystemDevice=1", "0000:01:00.0", true },
	{ "Class=0x0104", "0000:01:00.0", true },
	{ "Class=01", "0000:01:00.0", true },
	{ "Class=0x010400", "0000:01:00.0", true },
	{ "Class=0x0108*", "0000:01:00.0", false },
	{ "Class=0x0108*", "0000:02:00.0", true },
	{ "Modalias=pci:v00001000d0000005D*", "0000:01:00.0", true },
	{ "Path=pci-0000:03:00.*", "0000:03:00.1", true },
	{ "Path=pci-0000:03:00.*", "0000:03:10.0", false },
	{ "Slot=3", "0000:03:00.1", true },
	{ "Slot=3", "0000:03:10.0", false },
	{ "Slot=!3", "0000:03:10.0", true },
	{ "Property=ID_VENDOR_FROM_DATABASE=Broadcom*", "0000:01:00.0", true },
	{ "Property=ID_VENDOR_FROM_DATABASE=Intel*", "0000:01:00.0", false },
	{ "Property=NO_SUCH_PROPERTY=*", "0000:01:00.0", false },
	{ "Driver=ixgbe\nSlot=3", "0000:03:00.0", true },
	{ "Driver=ixgbe\nSlot=4", "0000:03:00.0", false },
	/* The fixture's kernel is 6.12.57-kexecq. */
	{ "Driver=lpfc\nKernelVersion=<6.13", "0000:04:00.0", true },
	{ "Driver=lpfc\nKernelVersion=<6.12", "0000:04:00.0", false },
	{ "Driver=lpfc\nKernelVersion=>=6.12 <6.13", "0000:04:00.0", true },
	{ "Driver=lpfc\nKernelVersion=>=6.12\nKernelVersion=<6.12.50", "0000:04:00.0", false },
	{ "Driver=lpfc\nKernelVersion=6.12.*", "0000:04:00.0", true },
	{ "Driver=lpfc\nKernelVersion=!=6.12.57-kexecq", "0000:04:00.0", false },
	{ "Driver=lpfc\nKernelVersion=\nKernelVersion=<4", "0000:04:00.0", false },
	{ "Driver=lpfc\nKernelVersion=<4\nKernelVersion=", "0000:04:00.0", true },
};

static const struct {
	const char *expr, *release, *version;
	bool expect;
} versions[] = {
	{ "<6.9", "6.12.117", NULL, false }, /* 12 > 9 numerically, not as text */
	{ ">=6.9", "6.12.117", NULL, true },
	{ "<6.12.33", "6.12.117", NULL, false },
	{ ">6.12", "6.12.1-amd64", NULL, true },
	{ "=6.1.0-18-amd64", "6.1.0-18-amd64", NULL, true },
	{ "<=6.1", "6.1", NULL, true },
	{ ">4.11", "4.11", NULL, false },
	{ "6.*", "6.18.44-fc", NULL, true },
	{ "5.*", "6.18.44-fc", NULL, false },
	{ "<99", NULL, NULL, false }, /* an unknown release matches nothing */
	/* Debian 12: operators compare the upstream version, globs the release. */
	{ ">=6.1.191", "6.1.0-57-amd64", "6.1.192", true },
	{ ">=6.1.191", "6.1.0-57-amd64", NULL, false },
	{ "<6.1.192", "6.1.0-57-amd64", "6.1.192", false },
	{ "*-amd64", "6.1.0-57-amd64", "6.1.192", true },
	{ "6.1.0-*", "6.1.0-57-amd64", "6.1.192", true },
	{ "6.1.192", "6.1.0-57-amd64", "6.1.192", false },
	{ "<99", NULL, "6.1.192", false }, /* no release: unknown, whatever the version */
};

START_TEST(test_kernel_version)
{
	ck_assert_msg(kernel_version_valid(versions[_i].expr), "%s", versions[_i].expr);
	ck_assert_msg(kernel_version_matches(versions[_i].expr, versions[_i].release,
					     versions[_i].version) == versions[_i].expect,
		      "%s on %s", versions[_i].expr, strna(versions[_i].release));
}
END_TEST

/* Debian 12's /proc/version. */
#define DEBIAN12                                                                         \
	"Linux version 6.1.0-57-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian " \
	"12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP "      \
	"PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-11-26)\n"

/* uname -r with /proc/version and /proc/version_signature as distributions write them. */
static const struct {
	const char *release, *proc_version, *signature, *expect;
} upstream[] = {
	/* Debian 12: the ABI in the release, the version after "Debian " in uname -v. */
	{ "6.1.0-57-amd64", DEBIAN12, NULL, "6.1.192" },
	/* Debian 11, and its backport of 6.1. */
	{ "5.10.0-30-amd64",
	  "Linux version 5.10.0-30-amd64 (debian-kernel@lists.debian.org) (gcc-10 (Debian "
	  "10.2.1-6) 10.2.1 20210110) #1 SMP Debian 5.10.218-1 (2024-06-01)",
	  NULL, "5.10.218" },
	{ "6.1.0-0.deb11.21-amd64",
	  "Linux version 6.1.0-0.deb11.21-amd64 (gcc-10 (Debian 10.2.1-6) 10.2.1) #1 SMP "
	  "PREEMPT_DYNAMIC Debian 6.1.90-1~bpo11+1 (2024-05-06)",
	  NULL, "6.1.90" },
	/* Debian 13 and its backports: the release says it already. */
	{ "6.12.57+deb13-amd64",
	  "Linux version 6.12.57+deb13-amd64 (debian-kernel@lists.debian.org) (x86_64-linux-gnu-gcc-14 "
	  "(Debian 14.2.0-19) 14.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.12.57-1 (2025-11-05)",
	  NULL, NULL },
	/* Only the compiler says Debian: not a version of the kernel. */
	{ "6.18.44-fc",
	  "Linux version 6.18.44-fc (root@b) (gcc (Debian 12.2.0-14) 12.2.0) #1 SMP Tue", NULL,
	  NULL },
	/* Another kernel's /proc/version (a crafted --proc) is ignored. */
	{ "6.18.44-fc", DEBIAN12, NULL, NULL },
	/* Another series: not this kernel's version. */
	{ "6.1.0-57-amd64",
	  "Linux version 6.1.0-57-amd64 (x) #1 SMP PREEMPT_DYNAMIC Debian 7.0.1-1 (2026-11-26)",
	  NULL, NULL },
	/* Experimental's release candidates are not their final version. */
	{ "6.17-rc3-amd64",
	  "Linux version 6.17-rc3-amd64 (x) #1 SMP PREEMPT_DYNAMIC Debian 6.17~rc3-1~exp1 (2025-08-26)",
	  NULL, NULL },
	/* Ubuntu: the last word of version_signature; GA and HWE kernels. */
	{ "5.15.0-91-generic",
	  "Linux version 5.15.0-91-generic (buildd@lcy02-amd64-045) (gcc ...) #101-Ubuntu SMP",
	  "Ubuntu 5.15.0-91.101-generic 5.15.131\n", "5.15.131" },
	{ "5.15.0-91-generic", NULL, "Ubuntu 5.15.0-91.101~20.04.1-generic 5.15.131", "5.15.131" },
	{ "6.8.0-1016-aws", NULL, "Ubuntu 6.8.0-1016.17-aws 6.8.12", "6.8.12" },
	{ "6.8.0-31-generic", NULL, "Ubuntu 6.8.0-31.31-generic 6.8.1", "6.8.1" },
	{ "6.8.0-31-generic", NULL, "Ubuntu 6.8.0-31.31-generic 5.15.1", NULL },
	/* Anything else: the release is the version. */
	{ "6.12.57", "Linux version 6.12.57 (root@x) (gcc 12.2.0) #3 SMP PREEMPT_DYNAMIC", NULL,
	  NULL },
	{ "6.1.0-57-amd64", NULL, NULL, NULL },
	{ NULL, DEBIAN12, NULL, NULL },
	{ "6.1.0-57-amd64", "Linux version 6.1.0-57-amd64 #1 SMP Debian", NULL, NULL },
	{ "6.1.0-57-amd64", "Linux version 6.1.0-57-amd64 #1 SMP Debian 6", NULL, NULL },
	{ "6.1.0-57-amd64", "Linux version 6.1.0-57-amd64 #1 SMP Debian 6..1-3", NULL, NULL },
	{ "6.1.0-57-amd64", "Linux version 6.1.0-57-amd64 #1 SMP Debian 6.1.", NULL, NULL },
	{ "6.1.0-57-amd64", "Linux version 6.1.0-57-amd64 #1 SMP Debian 6.1.192x", NULL, NULL },
	{ "5.15.0-91-generic", NULL, "Ubuntu 5.15.0-91.101-generic", NULL },
	{ "5.15.0-91-generic", NULL, "Ubuntu 5.15.0-91.101-generic 5.15.131-rc1", NULL },
	{ "5.15.0-91-generic", NULL, "Ubuntu", NULL },
	{ "6.1.0-57-amd64", NULL, "Fedora 6.1.2", NULL },
};

START_TEST(test_kernel_upstream)
{
	_cleanup_free_ char *v = kernel_upstream_version(
		upstream[_i].release, upstream[_i].proc_version, upstream[_i].signature);

	ck_assert_msg(streq_ptr(v, upstream[_i].expect), "%s: %s / %s: got %s, want %s",
		      strna(upstream[_i].release), strna(upstream[_i].proc_version),
		      strna(upstream[_i].signature), strna(v), strna(upstream[_i].expect));
}
END_TEST

/* What a snapshot's kernel.upstream may say. */
START_TEST(test_kernel_upstream_valid)
{
	ck_assert(kernel_upstream_valid("6.1.0-57-amd64", "6.1.192"));
	ck_assert(kernel_upstream_valid("6.1.0-57-amd64", "6.1"));
	ck_assert(!kernel_upstream_valid("6.1.0-57-amd64", "6.12.1"));
	ck_assert(!kernel_upstream_valid("6.12.0-1-amd64", "6.1.1"));
	ck_assert(!kernel_upstream_valid("6.1.0-57-amd64", "zzz"));
	ck_assert(!kernel_upstream_valid("6.1.0-57-amd64", "6.1.192-3"));
	ck_assert(!kernel_upstream_valid("6.1.0-57-amd64", ""));
	ck_assert(!kernel_upstream_valid(NULL, "6.1.192"));
	ck_assert(!kernel_upstream_valid("rolling", "6.1.192"));
	ck_assert(kernel_release_says("6.12.57+deb13-amd64", "6.12.57"));
	ck_assert(kernel_release_says("6.12.57", "6.12.57"));
	ck_assert(!kernel_release_says("6.1.0-57-amd64", "6.1.192"));
	ck_assert(!kernel_release_says("6.1.192", "6.1.19"));
}
END_TEST

START_TEST(test_kernel_version_invalid)
{
	static const char *const bad[] = { "", "<", ">=6.*", "<6 7", "=<6", "<6!" };

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		ck_assert_msg(!kernel_version_valid(bad[i]), "\"%s\" accepted", bad[i]);
}
END_TEST

START_TEST(test_cases)
{
	_cleanup_free_ char *text = NULL;
	struct policy *p;

	ck_assert_int_ge(asprintf(&text, "[Match]\n%s\n", cases[_i].match), 0);
	p = test_policy_from_string("50-case.policy", text);
	ck_assert_msg(policy_matches(p, pci(cases[_i].device), inv->kernel_release, NULL) ==
			      cases[_i].expect,
		      "\"%s\" on %s: expected %s", cases[_i].match, cases[_i].device,
		      cases[_i].expect ? "match" : "no match");
	policy_free(p);
}
END_TEST

START_TEST(test_only_pci)
{
	struct policy *p = test_policy_from_string("10-any.policy", "[Match]\nDriver=!nothing\n");
	struct device *disk = inventory_find_name(inv, DEVICE_DISK, "sda");

	ck_assert_ptr_nonnull(disk);
	ck_assert(!policy_matches(p, disk, NULL, NULL));
	policy_free(p);
}
END_TEST

START_TEST(test_first_match_wins)
{
	struct policy_set *s = test_policies("server");
	const struct policy *p;

	/* 30-lpfc matches by vendor and class; nothing earlier matches. */
	p = match_device(s, pci("0000:04:00.0"), NULL, NULL);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->name, "30-lpfc.policy");
	ck_assert_ptr_null(match_device(s, pci("0000:00:14.0"), NULL, NULL));
	policy_set_free(s);
}
END_TEST

START_TEST(test_explain)
{
	struct policy *p =
		test_policy_from_string("10-e.policy", "[Match]\nDriver=lpfc\nVendor=!8086\n");
	_cleanup_free_ char *why = match_explain(p, pci("0000:04:00.0"), NULL, NULL);

	ck_assert_str_eq(why, "Driver=lpfc (line 2: lpfc), Vendor=!8086 (line 3: 10df)");
	policy_free(p);
}
END_TEST

static Suite *match_suite(void)
{
	Suite *s = suite_create("match");
	TCase *tc = test_tcase("match");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_cases, 0, (int)ELEMENTSOF(cases));
	tcase_add_test(tc, test_only_pci);
	tcase_add_test(tc, test_first_match_wins);
	tcase_add_test(tc, test_explain);
	tcase_add_loop_test(tc, test_kernel_version, 0, (int)ELEMENTSOF(versions));
	tcase_add_test(tc, test_kernel_version_invalid);
	tcase_add_loop_test(tc, test_kernel_upstream, 0, (int)ELEMENTSOF(upstream));
	tcase_add_test(tc, test_kernel_upstream_valid);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(match_suite());
}
