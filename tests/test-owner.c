// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What kexecq leaves alone (owner.c): userspace-DMA drivers, the PF of a VF
 * given to a VM, live-update-preserved functions and the bridges above;
 * QuiesceUserspace= lifts only the first kinds.  Live update sessions
 * (liveupdate.c) from a /proc and a /sys of our own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "liveupdate.h"
#include "owner.h"
#include "strv.h"
#include "testlib.h"

START_TEST(test_userspace_drivers)
{
	ck_assert(driver_gives_dma_to_userspace("vfio-pci"));
	ck_assert(driver_gives_dma_to_userspace("mlx5_vfio_pci"));
	ck_assert(driver_gives_dma_to_userspace("virtio_vfio_pci"));
	ck_assert(driver_gives_dma_to_userspace("uio_pci_generic"));
	ck_assert(!driver_gives_dma_to_userspace("pcieport"));
	ck_assert(!driver_gives_dma_to_userspace("pci-stub"));
	ck_assert(!driver_gives_dma_to_userspace("ixgbe"));
	ck_assert(!driver_gives_dma_to_userspace(NULL));
}
END_TEST

/* server: 0000:03:00.0 ixgbe PF behind 0000:00:03.0, VFs 0000:03:10.x (ixgbevf). */
START_TEST(test_vf_in_vm)
{
	struct inventory *inv = test_inventory("server");
	struct device *vf = inventory_find_name(inv, DEVICE_PCI, "0000:03:10.0");
	struct device *pf = inventory_find_name(inv, DEVICE_PCI, "0000:03:00.0");
	struct device *port = inventory_find_name(inv, DEVICE_PCI, "0000:00:03.0");
	const struct policy **gov = calloc(inv->n, sizeof(*gov));
	struct policy *take = test_policy_from_string(
		"10-take.policy", "[Match]\nDriver=ixgbe\n[Quiesce]\nQuiesceUserspace=yes\n");
	struct hold *h;

	ck_assert(vf && pf && port && gov);
	free(vf->driver);
	vf->driver = strdup("vfio-pci");
	ck_assert_int_eq(holds_compute(inv, gov, &h), 0);
	ck_assert_int_eq(h[vf->index].kind, HOLD_USERSPACE);
	ck_assert_int_eq(h[pf->index].kind, HOLD_VF_IN_USE);
	ck_assert_ptr_eq(h[pf->index].cause, vf);
	ck_assert_int_eq(h[port->index].kind, HOLD_ABOVE);
	ck_assert_ptr_nonnull(
		strstr(h[pf->index].reason, "its VF 0000:03:10.0 is given to userspace"));
	holds_free(h, inv->n);

	/* The PF's policy may take it back from userspace, not from a live update. */
	gov[pf->index] = take;
	ck_assert_int_eq(holds_compute(inv, gov, &h), 0);
	ck_assert_int_eq(h[pf->index].kind, HOLD_NONE);
	holds_free(h, inv->n);
	vf->liveupdate_preserved = true;
	ck_assert_int_eq(holds_compute(inv, gov, &h), 0);
	ck_assert_int_eq(h[vf->index].kind, HOLD_PRESERVED);
	ck_assert_int_eq(h[pf->index].kind, HOLD_VF_IN_USE);
	ck_assert_ptr_nonnull(strstr(h[pf->index].reason, "preserved by a live update"));
	holds_free(h, inv->n);

	/* A bridge's own QuiesceUserspace=yes does not lift its hold. */
	{
		struct policy *bridge = test_policy_from_string(
			"10-port.policy",
			"[Match]\nDriver=pcieport\n[Quiesce]\nAction=reset\nQuiesceUserspace=yes\n");

		vf->liveupdate_preserved = false;
		gov[port->index] = bridge;
		ck_assert_int_eq(holds_compute(inv, gov, &h), 0);
		ck_assert_int_eq(h[port->index].kind, HOLD_ABOVE);
		holds_free(h, inv->n);
		policy_free(bridge);
	}
	policy_free(take);
	free(gov);
	inventory_free(inv);
}
END_TEST

static void mkdirs(const char *base, const char *rel)
{
	char *p;

	ck_assert_int_ge(asprintf(&p, "mkdir -p '%s/%s'", base, rel), 0);
	ck_assert_int_eq(system(p), 0);
	free(p);
}

START_TEST(test_sessions)
{
	char *dir = testtmp_dir(), *sys, *proc, *link, **s = NULL;
	struct inventory *inv = test_inventory("server");
	struct device *vf = inventory_find_name(inv, DEVICE_PCI, "0000:03:10.0");

	ck_assert_int_ge(asprintf(&sys, "%s/sys", dir), 0);
	ck_assert_int_ge(asprintf(&proc, "%s/proc", dir), 0);
	mkdirs(dir, "sys/class");
	mkdirs(dir, "proc/812/fd");
	mkdirs(dir, "proc/1/fd");
	mkdirs(dir, "proc/self");
	free(testtmp_write(proc, "812/comm", "luod\n"));
	ck_assert_int_ge(asprintf(&link, "%s/812/fd/5", proc), 0);
	ck_assert_int_eq(symlink("anon_inode:[luo_session] vm-7", link), 0);
	free(link);
	ck_assert_int_ge(asprintf(&link, "%s/1/fd/3", proc), 0);
	ck_assert_int_eq(symlink("/dev/null", link), 0);
	free(link);

	/* No /sys/class/misc/liveupdate: live update is off, /proc is not read. */
	ck_assert_int_eq(liveupdate_sessions(sys, "/nonexistent", &s), 0);
	ck_assert_ptr_null(s);
	mkdirs(dir, "sys/class/misc/liveupdate");
	ck_assert_int_eq(liveupdate_sessions(sys, proc, &s), 0);
	ck_assert_int_eq(strv_length(s), 1);
	ck_assert_str_eq(s[0], "pid 812 (luod): session vm-7");

	/* With a session open, enabled userspace-DMA functions count as preserved. */
	free(vf->driver);
	vf->driver = strdup("vfio-pci");
	ck_assert_uint_eq(liveupdate_mark(inv, s), 0);
	vf->enable_count = 1;
	ck_assert_uint_eq(liveupdate_mark(inv, s), 1);
	ck_assert(vf->liveupdate_preserved);
	/* uio enables its devices at probe, and a live update cannot preserve them. */
	vf->liveupdate_preserved = false;
	free(vf->driver);
	vf->driver = strdup("uio_pci_generic");
	ck_assert_uint_eq(liveupdate_mark(inv, s), 0);
	strv_free(s);
	inventory_free(inv);
	free(sys);
	free(proc);
	free(dir);
}
END_TEST

static Suite *owner_suite(void)
{
	Suite *s = suite_create("owner");
	TCase *tc = test_tcase("owner");

	tcase_add_test(tc, test_userspace_drivers);
	tcase_add_test(tc, test_vf_in_vm);
	tcase_add_test(tc, test_sessions);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(owner_suite());
}
