// SPDX-License-Identifier: LGPL-2.1-or-later
/* The planner on snapshot fixtures: ordering, SR-IOV, disks below HBAs, cycles. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"
#include "plan-output.h"
#include "plan.h"
#include "strv.h"
#include "testlib.h"

/* What a test builds; teardown() frees it after each test. */
static struct inventory *inv;
static struct policy_set *ps;
static struct plan *p;

static void teardown(void)
{
	p = plan_free(p);
	ps = policy_set_free(ps);
	inv = inventory_free(inv);
}

static struct plan *build(struct inventory *i, struct policy_set *s)
{
	_cleanup_free_ char *err = NULL;
	struct plan *q = NULL;
	int r = plan_build(i, s, &q, &err);

	ck_assert_msg(r == 0, "plan_build: %s (%s)", strerror(-r), strna(err));
	return q;
}

/* Policies from (name, text) pairs, NULL-terminated. */
static struct policy_set *policies(const char *const *files)
{
	char *dirv[2] = { testtmp_dir(), NULL };
	struct policy_set *s = NULL;
	unsigned errors = 0;

	for (size_t i = 0; files[i]; i += 2)
		free(testtmp_write(dirv[0], files[i], files[i + 1]));
	ck_assert_int_eq(policy_set_load(dirv, 0, &s, &errors), 0);
	ck_assert_uint_eq(errors, 0);
	free(dirv[0]);
	return s;
}

/* Plan inv with a new policy set, replacing the previous set and plan. */
static void plan_with(struct policy_set *set)
{
	p = plan_free(p);
	policy_set_free(ps);
	ps = set;
	p = build(inv, ps);
}

#define STEP(t, o)                                                                       \
	({                                                                               \
		int _s = plan_find(p, (t), (o));                                         \
		ck_assert_msg(_s >= 0, "no %s step on %s", step_type_to_string(t), (o)); \
		_s;                                                                      \
	})

static bool has_warning(const char *needle)
{
	STRV_FOREACH (w, p->warnings)
		if (strstr(*w, needle))
			return true;
	return false;
}

START_TEST(test_server)
{
	inv = test_inventory("server");
	plan_with(test_policies("server"));
	int s;

	/* Disks below the HBA: only the volatile cache is flushed, before unbind. */
	ck_assert(plan_before(p, STEP(STEP_FLUSH_CACHE, "sda"), STEP(STEP_UNBIND, "0000:01:00.0")));
	ck_assert_int_eq(plan_find(p, STEP_FLUSH_CACHE, "sdb"), -1);
	s = STEP(STEP_FLUSH_CACHE, "sda");
	ck_assert_str_eq(p->steps[s].policy->name, "10-megaraid.policy");
	ck_assert_int_eq(p->steps[s].key, KEY_FLUSH_CACHE);
	ck_assert_uint_eq(p->steps[s].timeout_usec, 45ULL * 1000000ULL);

	/* SR-IOV: VF links down, VFs unbound, SR-IOV off, then the PF. */
	for (int i = 1; i <= 4; i++) {
		char eth[8];

		snprintf(eth, sizeof(eth), "eth%d", i);
		ck_assert(plan_before(p, STEP(STEP_NET_DOWN, eth),
				      STEP(STEP_SRIOV_DISABLE, "0000:03:00.0")));
	}
	ck_assert(plan_before(p, STEP(STEP_UNBIND, "0000:03:10.0"),
			      STEP(STEP_SRIOV_DISABLE, "0000:03:00.0")));
	ck_assert(plan_before(p, STEP(STEP_UNBIND, "0000:03:10.6"),
			      STEP(STEP_SRIOV_DISABLE, "0000:03:00.0")));
	ck_assert(plan_before(p, STEP(STEP_SRIOV_DISABLE, "0000:03:00.0"),
			      STEP(STEP_UNBIND, "0000:03:00.0")));
	ck_assert(plan_before(p, STEP(STEP_NET_DOWN, "eth0"), STEP(STEP_UNBIND, "0000:03:00.0")));
	/* eth5 is already down; its port has no VFs. */
	ck_assert_int_eq(plan_find(p, STEP_NET_DOWN, "eth5"), -1);
	ck_assert_int_eq(plan_find(p, STEP_SRIOV_DISABLE, "0000:03:00.1"), -1);
	STEP(STEP_UNBIND, "0000:03:00.1");
	/* The VFs' unbinds can run side by side. */
	ck_assert_uint_eq(p->steps[STEP(STEP_UNBIND, "0000:03:10.0")].level,
			  p->steps[STEP(STEP_UNBIND, "0000:03:10.6")].level);

	/* lpfc: unload, with its disk flushed first and the kernel told to remove. */
	ck_assert(plan_before(p, STEP(STEP_FLUSH_CACHE, "sdc"), STEP(STEP_UNLOAD_MODULE, "lpfc")));
	s = STEP(STEP_SET_KERNEL_METHOD, "lpfc");
	ck_assert_int_eq(p->steps[s].method, KMETHOD_REMOVE);
	ck_assert_int_eq(p->steps[s].previous_method, KMETHOD_AUTO);
	ck_assert_int_eq(p->steps[STEP(STEP_UNLOAD_MODULE, "lpfc")].on_failure, ONFAIL_ABORT);
	ck_assert_int_eq(plan_find(p, STEP_UNBIND, "0000:04:00.0"), -1);

	/* nvme stays with the kernel, but both namespaces are flushed. */
	STEP(STEP_FLUSH_CACHE, "nvme0n1");
	STEP(STEP_FLUSH_CACHE, "nvme0n2");
	ck_assert_int_eq(plan_find(p, STEP_UNBIND, "0000:02:00.0"), -1);

	/* e1000e is built in: unload falls back to unbind, with a warning. */
	STEP(STEP_UNBIND, "0000:05:00.0");
	ck_assert(has_warning("e1000e is built in; unbinding instead"));

	/* Nothing for the default-governed and the unbound. */
	ck_assert_int_eq(plan_find(p, STEP_UNBIND, "0000:00:14.0"), -1);
	ck_assert_int_eq(plan_find(p, STEP_RESET, "0000:06:00.0"), -1);
	ck_assert_uint_eq(p->n, 20);
}
END_TEST

START_TEST(test_unpatched_kernel)
{
	inv = test_inventory("server");
	ps = test_policies("server");

	inv->kernel_kexec_method = KMETHOD_UNSET;
	p = build(inv, ps);
	ck_assert_int_eq(plan_find(p, STEP_SET_KERNEL_METHOD, "lpfc"), -1);
	ck_assert(has_warning("KernelMethod=remove ignored"));
}
END_TEST

START_TEST(test_cycle)
{
	inv = test_inventory("server");
	ps = test_policies("cycle");
	char *err = NULL;

	ck_assert_int_eq(plan_build(inv, ps, &p, &err), -ELOOP);
	ck_assert_ptr_null(p);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, "policies involved: ") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "10-rootport.policy") && strstr(err, "20-megaraid.policy"), "%s",
		      err);
	free(err);
}
END_TEST

START_TEST(test_explicit_after)
{
	inv = test_inventory("server");
	plan_with(test_policies("order"));

	ck_assert(plan_before(p, STEP(STEP_UNBIND, "0000:01:00.0"),
			      STEP(STEP_UNBIND, "0000:02:00.0")));
}
END_TEST

START_TEST(test_independent_devices_are_parallel)
{
	static const char *const files[] = {
		"10-a.policy",
		"[Match]\nDriver=megaraid_sas nvme\n[Quiesce]\nAction=unbind\n",
		NULL,
	};
	inv = test_inventory("server");
	plan_with(policies(files));

	int a = STEP(STEP_UNBIND, "0000:01:00.0"), b = STEP(STEP_UNBIND, "0000:02:00.0");

	/* Two unbinds and the flush of each one's write-back disk. */
	ck_assert_uint_eq(p->n, 4);
	ck_assert_uint_eq(p->steps[a].level, p->steps[b].level);
	ck_assert(!plan_before(p, a, b) && !plan_before(p, b, a));
}
END_TEST

START_TEST(test_sriov_knob)
{
	static const char *const kernel_auto[] = {
		"10-ixgbe.policy",
		"[Match]\nDriver=ixgbe\n",
		NULL,
	};
	static const char *const kernel_yes[] = {
		"10-ixgbe.policy",
		"[Match]\nDriver=ixgbe\n[Quiesce]\nDisableSRIOV=yes\n",
		NULL,
	};
	static const char *const unbind_no[] = {
		"10-ixgbe.policy",
		"[Match]\nDriver=ixgbe\n[Quiesce]\nAction=unbind\nDisableSRIOV=no\n",
		NULL,
	};
	inv = test_inventory("server");

	plan_with(policies(kernel_auto));
	ck_assert_int_eq(plan_find(p, STEP_SRIOV_DISABLE, "0000:03:00.0"), -1);

	plan_with(policies(kernel_yes));
	STEP(STEP_SRIOV_DISABLE, "0000:03:00.0");
	ck_assert_int_eq(plan_find(p, STEP_UNBIND, "0000:03:00.0"), -1);

	plan_with(policies(unbind_no));
	ck_assert_int_eq(plan_find(p, STEP_SRIOV_DISABLE, "0000:03:00.0"), -1);
	STEP(STEP_UNBIND, "0000:03:00.0");
}
END_TEST

START_TEST(test_unload_shared_module)
{
	static const char *const files[] = {
		"10-ixgbe.policy",
		"[Match]\nDriver=ixgbe\nSlot=3\n[Quiesce]\nAction=unload\n",
		"20-other.policy",
		"[Match]\nDriver=ixgbevf\n[Quiesce]\nNetworkDown=yes\n",
		NULL,
	};
	inv = test_inventory("server");
	plan_with(policies(files));
	int unload = STEP(STEP_UNLOAD_MODULE, "ixgbe");
	size_t n_unload = 0;

	for (size_t i = 0; i < p->n; i++)
		n_unload += p->steps[i].type == STEP_UNLOAD_MODULE;
	ck_assert_uint_eq(n_unload, 1);
	/* SR-IOV off (the VFs go with it) before the module, VF links down before that. */
	ck_assert(plan_before(p, STEP(STEP_SRIOV_DISABLE, "0000:03:00.0"), unload));
	ck_assert(plan_before(p, STEP(STEP_NET_DOWN, "eth3"),
			      STEP(STEP_SRIOV_DISABLE, "0000:03:00.0")));
	ck_assert_int_eq(plan_find(p, STEP_NET_DOWN, "eth0"), -1);
}
END_TEST

START_TEST(test_unload_also_removes_other_devices)
{
	static const char *const files[] = {
		"10-port0.policy",
		"[Match]\nPath=pci-0000:03:00.0\n[Quiesce]\nAction=unload\n",
		NULL,
	};
	inv = test_inventory("server");
	plan_with(policies(files));

	ck_assert(has_warning("unloading module ixgbe also removes 0000:03:00.1"));
}
END_TEST

START_TEST(test_reset)
{
	static const char *const files[] = {
		"10-r.policy",
		"[Match]\nDriver=nvme qla2xxx\nModule=nvme qla2xxx\n[Quiesce]\nAction=reset\n",
		NULL,
	};
	inv = test_inventory("server");
	plan_with(policies(files));

	ck_assert(plan_before(p, STEP(STEP_UNBIND, "0000:02:00.0"),
			      STEP(STEP_RESET, "0000:02:00.0")));
}
END_TEST

START_TEST(test_bridge_after_children)
{
	static const char *const files[] = {
		"10-all.policy",
		"[Match]\nDriver=pcieport megaraid_sas\n[Quiesce]\nAction=unbind\n",
		NULL,
	};
	inv = test_inventory("server");
	plan_with(policies(files));

	ck_assert(plan_before(p, STEP(STEP_FLUSH_CACHE, "sda"), STEP(STEP_UNBIND, "0000:00:01.0")));
	ck_assert(plan_before(p, STEP(STEP_UNBIND, "0000:01:00.0"),
			      STEP(STEP_UNBIND, "0000:00:01.0")));
}
END_TEST

START_TEST(test_real_machine)
{
	static const char *const files[] = {
		"50-virtio.policy",
		"[Match]\nDriver=virtio-pci\nClass=01*\n[Quiesce]\nAction=unbind\n",
		NULL,
	};
	inv = test_inventory("real-debian12");
	plan_with(policies(files));

	ck_assert_uint_eq(p->n, 2);
	ck_assert(plan_before(p, STEP(STEP_FLUSH_CACHE, "vda"), STEP(STEP_UNBIND, "0000:00:02.0")));
}
END_TEST

START_TEST(test_deterministic)
{
	inv = test_inventory("server");
	ps = test_policies("server");
	char *a = NULL, *b = NULL;
	size_t la = 0, lb = 0;

	for (int k = 0; k < 2; k++) {
		struct plan *q = build(inv, ps);
		FILE *f = open_memstream(k ? &b : &a, k ? &lb : &la);

		ck_assert_int_eq(plan_write_json(q, inv, f), 0);
		fclose(f);
		plan_free(q);
	}
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_no_policies)
{
	inv = test_inventory("server");
	p = build(inv, NULL);

	ck_assert_uint_eq(p->n, 0);
	ck_assert_uint_eq(p->n_devices, 18);
}
END_TEST

static Suite *plan_suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = test_tcase("plan");

	tcase_add_checked_fixture(tc, NULL, teardown);

	tcase_add_test(tc, test_server);
	tcase_add_test(tc, test_unpatched_kernel);
	tcase_add_test(tc, test_cycle);
	tcase_add_test(tc, test_explicit_after);
	tcase_add_test(tc, test_independent_devices_are_parallel);
	tcase_add_test(tc, test_sriov_knob);
	tcase_add_test(tc, test_unload_shared_module);
	tcase_add_test(tc, test_unload_also_removes_other_devices);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_bridge_after_children);
	tcase_add_test(tc, test_real_machine);
	tcase_add_test(tc, test_deterministic);
	tcase_add_test(tc, test_no_policies);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(plan_suite());
}
