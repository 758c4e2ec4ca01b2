// SPDX-License-Identifier: LGPL-2.1-or-later
/* The planner on snapshot fixtures: ordering, SR-IOV, disks below HBAs, cycles. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"
#include "plan-output.h"
#include "plan.h"
#include "risk.h"
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

static bool has_note(const char *needle)
{
	STRV_FOREACH (n, p->notes)
		if (strstr(*n, needle))
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

	/*
	 * lpfc: unload, with its disk flushed first.  Its KernelMethod=remove
	 * is moot (the unload takes the driver away first): a note, no step.
	 */
	ck_assert(plan_before(p, STEP(STEP_FLUSH_CACHE, "sdc"), STEP(STEP_UNLOAD_MODULE, "lpfc")));
	ck_assert_int_eq(plan_find(p, STEP_SET_KERNEL_METHOD, "0000:04:00.0"), -1);
	ck_assert(has_note("30-lpfc.policy: KernelMethod=remove for 0000:04:00.0 (lpfc) not "
			   "needed: the plan unloads its module"));
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
	ck_assert_uint_eq(p->n, 19);
}
END_TEST

START_TEST(test_unpatched_kernel)
{
	inv = test_inventory("server");
	ps = test_policies("server");

	inv->kernel_per_device_method = false;
	p = build(inv, ps);
	ck_assert_int_eq(plan_find(p, STEP_SET_KERNEL_METHOD, "0000:04:00.0"), -1);
	ck_assert(has_warning("30-lpfc.policy: KernelMethod=remove ignored: the running kernel "
			      "has no kexec_method"));
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

/* Fisher-Yates with a fixed-seed LCG: the same permutations on every run. */
static void shuffle(void **v, size_t n, unsigned *seed)
{
	for (size_t i = n; i > 1; i--) {
		size_t j;
		void *t;

		*seed = *seed * 1103515245u + 12345u;
		j = (*seed >> 8) % i;
		t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

static void reverse(void **v, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		void *t = v[i];

		v[i] = v[n - 1 - i];
		v[n - 1 - i] = t;
	}
}

static const char *policy_name(const struct policy *pol)
{
	return pol ? pol->name : "(built-in)";
}

/* Same steps, ids, deps, levels, warnings and governing policies. */
static void assert_same_plan(const struct plan *a, const struct plan *b)
{
	size_t n_warnings = strv_length(a->warnings);

	ck_assert_uint_eq(a->n, b->n);
	ck_assert_uint_eq(a->n_levels, b->n_levels);
	for (size_t i = 0; i < a->n; i++) {
		const struct step *x = &a->steps[i], *y = &b->steps[i];
		_cleanup_free_ char *dx = step_describe(x), *dy = step_describe(y);

		ck_assert_ptr_nonnull(dx);
		ck_assert_ptr_nonnull(dy);
		ck_assert_str_eq(dx, dy);
		ck_assert_uint_eq(x->id, y->id);
		ck_assert_ptr_eq(x->device, y->device);
		ck_assert_str_eq(policy_name(x->policy), policy_name(y->policy));
		ck_assert_int_eq(x->key, y->key);
		ck_assert_str_eq(x->reason, y->reason);
		ck_assert_uint_eq(x->level, y->level);
		ck_assert_uint_eq(x->n_deps, y->n_deps);
		for (size_t k = 0; k < x->n_deps; k++)
			ck_assert_uint_eq(x->deps[k], y->deps[k]);
	}
	ck_assert_uint_eq(n_warnings, strv_length(b->warnings));
	for (size_t i = 0; i < n_warnings; i++)
		ck_assert_str_eq(a->warnings[i], b->warnings[i]);
	ck_assert_uint_eq(a->n_devices, b->n_devices);
	for (size_t i = 0; i < a->n_devices; i++) {
		ck_assert_ptr_eq(a->devices[i].device, b->devices[i].device);
		ck_assert_str_eq(policy_name(a->devices[i].policy),
				 policy_name(b->devices[i].policy));
	}
}

/*
 * Plan with the inventory's devices and the set's policies in other
 * orders (reversed, then shuffled): the plan must be the same.  The set
 * is only a view here: its policies still belong to ps.
 */
static void assert_order_independent(void)
{
	_cleanup_free_ struct policy **v = calloc(ps->n + 1, sizeof(*v));
	struct policy_set view = { .policies = v, .n = ps->n };
	_cleanup_(plan_freep) struct plan *base = build(inv, ps);
	unsigned seed = 1;

	ck_assert_ptr_nonnull(v);
	for (int k = 0; k < 8; k++) {
		memcpy(v, ps->policies, ps->n * sizeof(*v));
		if (k == 0) {
			reverse((void **)v, ps->n);
			reverse((void **)inv->devices, inv->n);
		} else {
			shuffle((void **)v, ps->n, &seed);
			shuffle((void **)inv->devices, inv->n, &seed);
		}
		ck_assert_int_eq(inventory_link(inv), 0);

		p = plan_free(p);
		p = build(inv, &view);
		assert_same_plan(base, p);
	}
}

START_TEST(test_order_independent)
{
	static const char *const files[] = {
		/*
		 * Unloads ixgbe: also removes 0000:03:00.1, governed by 10-port1.
		 * Asks for 0000:03:00.0's kexec_method as it is; 10-port1 asks for
		 * another on the other port of the same driver: each gets its own.
		 */
		"05-port0.policy",
		"[Match]\nPath=pci-0000:03:00.0\n[Quiesce]\nAction=unload\nKernelMethod=shutdown\n",
		"10-port1.policy",
		"[Match]\nPath=pci-0000:03:00.1\n[Quiesce]\nAction=unbind\n"
		"KernelMethod=remove\n",
		"20-ixgbe.policy",
		"[Match]\nDriver=ixgbe ixgbevf\n[Quiesce]\nNetworkDown=yes\nKernelMethod=remove\n",
		"30-megaraid.policy",
		"[Policy]\nAfter=40-nvme.policy\n[Match]\nDriver=megaraid_sas\n"
		"[Quiesce]\nAction=unbind\n",
		"40-nvme.policy",
		"[Policy]\nBefore=10-port1.policy\n[Match]\nDriver=nvme\n"
		"[Quiesce]\nAction=reset\nFlushCache=yes\n",
		"50-e1000e.policy",
		"[Match]\nDriver=e1000e\n[Quiesce]\nAction=unload\n",
		/* Matches all that the others leave: Action= on what they govern is not its. */
		"90-rest.policy",
		"[Match]\nDriver=*\n[Quiesce]\nNetworkDown=yes\nKernelMethod=remove\n",
		NULL,
	};
	static const char *const sets[] = { "server", "order", "this-machine" };

	for (size_t i = 0; i < ELEMENTSOF(sets); i++) {
		inv = inventory_free(inv);
		ps = policy_set_free(ps);
		inv = test_inventory("server");
		ps = test_policies(sets[i]);
		assert_order_independent();
	}

	inv = inventory_free(inv);
	ps = policy_set_free(ps);
	inv = test_inventory("server");
	ps = policies(files);
	assert_order_independent();
	/* The set does what it is here for. */
	ck_assert_uint_ge(strv_length(p->warnings), 2);
	ck_assert(has_warning("also removes 0000:03:00.1"));
	ck_assert(has_warning("90-rest.policy: KernelMethod=remove for 0000:00:01.0 (pcieport) not "
			      "set: the kernel refuses it, it is a bridge"));
	STEP(STEP_BARRIER, "40-nvme.policy");
	/* Both ports go with ixgbe: no method for either, whoever asks. */
	ck_assert_int_eq(plan_find(p, STEP_SET_KERNEL_METHOD, "0000:03:00.0"), -1);
	ck_assert_int_eq(plan_find(p, STEP_SET_KERNEL_METHOD, "0000:03:00.1"), -1);
	ck_assert(has_note("10-port1.policy: KernelMethod=remove for 0000:03:00.1 (ixgbe) not "
			   "needed: the plan unloads its module"));
	STEP(STEP_SET_KERNEL_METHOD, "0000:03:10.0");
	STEP(STEP_SET_KERNEL_METHOD, "0000:04:00.0");

	inv = inventory_free(inv);
	ps = policy_set_free(ps);
	inv = test_inventory("real-debian12");
	ps = test_policies("this-machine");
	assert_order_independent();
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

/* ---- crafted inventories, built in C without the JSON loader -------------- */

#define ROOT "/sys/devices/pci0000:00/0000:00:01.0"

/* ck_assert() logs its location on every call; too slow in loops of 10^5 devices. */
#define MUST(x)                                         \
	do {                                            \
		if (!(x))                               \
			ck_abort_msg("failed: %s", #x); \
	} while (0)

static struct device *add_device(enum device_kind kind, const char *syspath)
{
	struct device *d = device_new(kind, syspath, strrchr(syspath, '/') + 1);

	MUST(d);
	MUST(inventory_add(inv, d) >= 0);
	return d;
}

/* A PCI function bound to driver (module of the same name), kexec_method shutdown. */
static struct device *add_pci(const char *syspath, const char *driver)
{
	struct device *d = add_device(DEVICE_PCI, syspath);

	MUST(asprintf(&d->id_path, "pci-%s", d->name) >= 0);
	d->kexec_method = KMETHOD_SHUTDOWN;
	d->kexec_action = driver ? KACTION_SHUTDOWN : KACTION_CLEAR_MASTER;
	if (driver) {
		d->driver = strdup(driver);
		d->module = strdup(driver);
		MUST(d->driver && d->module);
	}
	return d;
}

static void set_physfn(struct device *vf, const struct device *pf)
{
	free(vf->physfn_syspath);
	vf->physfn_syspath = strdup(pf->syspath);
	MUST(vf->physfn_syspath);
}

/*
 * Link a crafted inventory whose physfn links loop or chain.  The loader
 * refuses them (inventory_link()); the planner must not rely on that, so
 * link without them and wire the physfn pointers by hand.
 */
static void link_crafted(void)
{
	size_t n = inv->n;
	struct device **vf = calloc(n, sizeof(*vf));
	char **pf = calloc(n, sizeof(*pf));

	MUST(vf && pf);
	testlog_start();
	ck_assert_int_eq(inventory_link(inv), -EINVAL);
	ck_assert(testlog_contains("physfn"));
	testlog_stop();
	for (size_t i = 0; i < n; i++) {
		vf[i] = inv->devices[i];
		pf[i] = TAKE_PTR(inv->devices[i]->physfn_syspath);
	}
	ck_assert_int_eq(inventory_link(inv), 0);
	for (size_t i = 0; i < n; i++) {
		if (pf[i])
			vf[i]->physfn = inventory_find(inv, pf[i]);
		free(pf[i]);
	}
	free(vf);
	free(pf);
}

/* An interface that is up, below PCI function pci. */
static struct device *add_netdev(const struct device *pci, const char *name)
{
	_cleanup_free_ char *path = NULL;
	struct device *d;

	MUST(asprintf(&path, "%s/net/%s", pci->syspath, name) >= 0);
	d = add_device(DEVICE_NET, path);
	d->up = true;
	return d;
}

/* An inventory of a patched kernel holding the root port ROOT, ready for add_*(). */
static void crafted_inventory(void)
{
	inv = inventory_new();
	ck_assert_ptr_nonnull(inv);
	inv->kernel_per_device_method = true;
	inv->source = strdup("crafted");
	add_device(DEVICE_PCI, ROOT);
}

/*
 * plan_build on a crafted inventory must return: a plan, or an ordering
 * cycle it explains.  Returns what it returned.
 */
static int build_crafted(struct policy_set *set)
{
	_cleanup_free_ char *err = NULL;
	int r;

	p = plan_free(p);
	policy_set_free(ps);
	ps = set;
	r = plan_build(inv, ps, &p, &err);
	if (r == -ELOOP) {
		ck_assert_ptr_null(p);
		ck_assert_msg(err && strstr(err, "ordering cycle:"), "%s", strna(err));
	} else {
		ck_assert_msg(r == 0, "plan_build: %s (%s)", strerror(-r), strna(err));
		ck_assert_ptr_nonnull(p);
	}
	return r;
}

static const char *const net_down_only[] = {
	"10-net.policy",
	"[Match]\nDriver=vf pf\n[Quiesce]\nNetworkDown=yes\n",
	NULL,
};

static const char *const reset_all[] = {
	"10-reset.policy",
	"[Match]\nDriver=vf pf\n[Quiesce]\nAction=reset\nNetworkDown=yes\n",
	NULL,
};

START_TEST(test_crafted_physfn_self)
{
	struct device *vf;

	crafted_inventory();
	vf = add_pci(ROOT "/0000:01:00.1", "vf");
	set_physfn(vf, vf);
	add_netdev(vf, "eth0");
	link_crafted();
	ck_assert_ptr_eq(vf->physfn, vf);

	/* Nothing destructive on the VF: the walk up from eth0 meets the loop. */
	ck_assert_int_eq(build_crafted(policies(net_down_only)), 0);
	ck_assert_uint_eq(p->n, 1);
	STEP(STEP_NET_DOWN, "eth0");

	/* The VF's own chain: the link to itself adds no edge. */
	ck_assert_int_eq(build_crafted(policies(reset_all)), 0);
	ck_assert_uint_eq(p->n, 3);
	ck_assert(plan_before(p, STEP(STEP_NET_DOWN, "eth0"), STEP(STEP_UNBIND, "0000:01:00.1")));
	ck_assert(plan_before(p, STEP(STEP_UNBIND, "0000:01:00.1"),
			      STEP(STEP_RESET, "0000:01:00.1")));
}
END_TEST

START_TEST(test_crafted_physfn_pair)
{
	struct device *a, *b;

	crafted_inventory();
	a = add_pci(ROOT "/0000:01:00.0", "pf");
	b = add_pci(ROOT "/0000:01:00.1", "pf");
	set_physfn(a, b);
	set_physfn(b, a);
	add_netdev(a, "eth0");
	add_netdev(b, "eth1");
	link_crafted();
	ck_assert_ptr_eq(a->physfn, b);
	ck_assert_ptr_eq(b->physfn, a);

	ck_assert_int_eq(build_crafted(policies(net_down_only)), 0);
	ck_assert_uint_eq(p->n, 2);
	STEP(STEP_NET_DOWN, "eth0");
	STEP(STEP_NET_DOWN, "eth1");

	/* Each is the other's PF, so each must go after the other: a cycle, reported. */
	ck_assert_int_eq(build_crafted(policies(reset_all)), -ELOOP);
}
END_TEST

/* Far deeper than the stack would allow a recursion per link. */
#define CHAIN 200000

static void chain_inventory(bool ring)
{
	struct device **vf = calloc(CHAIN, sizeof(*vf));

	ck_assert_ptr_nonnull(vf);
	crafted_inventory();
	for (size_t i = 0; i < CHAIN; i++) {
		char path[128];

		snprintf(path, sizeof(path), ROOT "/0000:%02zx:%02zx.%zu", 1 + i / 256,
			 (i % 256) >> 3, i & 7);
		vf[i] = add_pci(path, "vf");
	}
	/* vf[0] -> vf[1] -> ... -> vf[CHAIN - 1] (-> vf[0]) */
	for (size_t i = 0; i + 1 < CHAIN; i++)
		set_physfn(vf[i], vf[i + 1]);
	if (ring)
		set_physfn(vf[CHAIN - 1], vf[0]);
	add_netdev(vf[0], "eth0");
	link_crafted();
	free(vf);
}

static const char *const chain_head_net_down[] = {
	"10-head.policy",
	"[Match]\nPath=pci-0000:01:00.0\n[Quiesce]\nNetworkDown=yes\n",
	NULL,
};

START_TEST(test_crafted_physfn_chain)
{
	chain_inventory(false);
	ck_assert_int_eq(build_crafted(policies(chain_head_net_down)), 0);
	ck_assert_uint_eq(p->n, 1);
	STEP(STEP_NET_DOWN, "eth0");
}
END_TEST

START_TEST(test_crafted_physfn_ring)
{
	chain_inventory(true);
	ck_assert_int_eq(build_crafted(policies(chain_head_net_down)), 0);
	ck_assert_uint_eq(p->n, 1);
	STEP(STEP_NET_DOWN, "eth0");
}
END_TEST

/*
 * KernelMethod= is per device: three functions of driver foo, one marked
 * remove already.  10-a.policy governs 01:00.0 and asks for remove,
 * 20-b.policy the other two and asks for shutdown: each function whose
 * kexec_method differs gets its own step, from its own policy.
 */
START_TEST(test_kernel_method_per_device)
{
	static const char *const files[] = {
		"10-a.policy", "[Match]\nPath=pci-0000:01:00.0\n[Quiesce]\nKernelMethod=remove\n",
		"20-b.policy", "[Match]\nDriver=foo\n[Quiesce]\nKernelMethod=shutdown\n",
		NULL,
	};
	_cleanup_free_ char *d0 = NULL, *d1 = NULL;
	struct device *marked;
	int s;

	crafted_inventory();
	add_pci(ROOT "/0000:01:00.0", "foo");
	marked = add_pci(ROOT "/0000:01:00.1", "foo");
	marked->kexec_method = KMETHOD_REMOVE;
	marked->kexec_action = KACTION_REMOVE;
	add_pci(ROOT "/0000:02:00.0", "foo");
	ck_assert_int_eq(inventory_link(inv), 0);
	plan_with(policies(files));

	ck_assert_uint_eq(p->n, 2);
	ck_assert_ptr_null(p->warnings);
	s = STEP(STEP_SET_KERNEL_METHOD, "0000:01:00.0");
	ck_assert_str_eq(p->steps[s].policy->name, "10-a.policy");
	ck_assert_str_eq(p->steps[s].device->name, "0000:01:00.0");
	ck_assert_int_eq(p->steps[s].method, KMETHOD_REMOVE);
	ck_assert_int_eq(p->steps[s].previous_method, KMETHOD_SHUTDOWN);
	d0 = step_describe(&p->steps[s]);
	ck_assert_str_eq(d0, "set kexec_method of 0000:01:00.0 (foo) to remove (was shutdown)");
	s = STEP(STEP_SET_KERNEL_METHOD, "0000:01:00.1");
	ck_assert_str_eq(p->steps[s].policy->name, "20-b.policy");
	ck_assert_int_eq(p->steps[s].method, KMETHOD_SHUTDOWN);
	ck_assert_int_eq(p->steps[s].previous_method, KMETHOD_REMOVE);
	d1 = step_describe(&p->steps[s]);
	ck_assert_str_eq(d1, "set kexec_method of 0000:01:00.1 (foo) to shutdown (was remove)");
	ck_assert_int_eq(plan_find(p, STEP_SET_KERNEL_METHOD, "0000:02:00.0"), -1);
}
END_TEST

/*
 * Functions left alone are kept from a release at the kexec: a PF whose VF
 * belongs to a VM, marked remove (the kernel's kexec_action says shutdown
 * for now: its VFs are enabled), and a function a live update preserves
 * that the kernel would release.  Both get shutdown, from no policy; a
 * policy's remove for a held function is reported, not applied.  remove
 * for a bridge or a pci-stub function, which the kernel refuses, is
 * reported instead of planned.
 */
START_TEST(test_kernel_method_held_and_refused)
{
	static const char *const files[] = {
		"10-pf.policy",
		"[Match]\nDriver=pf\n[Quiesce]\nKernelMethod=remove\n",
		"20-rest.policy",
		"[Match]\nDriver=*\n[Quiesce]\nKernelMethod=remove\n",
		NULL,
	};
	struct device *pf, *vf, *kept, *bridge, *stub, *plain;
	int s;

	crafted_inventory();
	pf = add_pci(ROOT "/0000:01:00.0", "pf");
	pf->kexec_method = KMETHOD_REMOVE;
	pf->sriov_numvfs = pf->sriov_totalvfs = 1;
	vf = add_pci(ROOT "/0000:01:00.1", "vfio-pci");
	set_physfn(vf, pf);
	kept = add_pci(ROOT "/0000:02:00.0", "foo");
	kept->kexec_method = KMETHOD_REMOVE;
	kept->kexec_action = KACTION_REMOVE;
	kept->liveupdate_preserved = true;
	bridge = add_pci("/sys/devices/pci0000:00/0000:00:02.0", "pcieport");
	bridge->class = strdup("060400");
	MUST(bridge->class);
	stub = add_pci("/sys/devices/pci0000:00/0000:00:03.0", "pci-stub");
	plain = add_pci("/sys/devices/pci0000:00/0000:00:04.0", "bar");
	ck_assert_int_eq(inventory_link(inv), 0);
	plan_with(policies(files));

	s = STEP(STEP_SET_KERNEL_METHOD, pf->name);
	ck_assert_ptr_null(p->steps[s].policy);
	ck_assert_int_eq(p->steps[s].method, KMETHOD_SHUTDOWN);
	ck_assert_int_eq(p->steps[s].previous_method, KMETHOD_REMOVE);
	ck_assert_msg(strstr(p->steps[s].reason, "kexec_method of 0000:01:00.0 is remove, and it "
						 "is left alone: its VF 0000:01:00.1"),
		      "%s", p->steps[s].reason);
	ck_assert(has_warning("10-pf.policy: KernelMethod=remove for 0000:01:00.0 (pf) not "
			      "applied: it is left alone (its VF 0000:01:00.1"));

	s = STEP(STEP_SET_KERNEL_METHOD, kept->name);
	ck_assert_ptr_null(p->steps[s].policy);
	ck_assert_int_eq(p->steps[s].method, KMETHOD_SHUTDOWN);
	ck_assert_msg(strstr(p->steps[s].reason,
			     "the kernel would release foo from 0000:02:00.0 at "
			     "the kexec, and it is left alone: preserved"),
		      "%s", p->steps[s].reason);

	/* The VF is left alone too; vfio-pci is refused by the kernel anyway. */
	ck_assert_int_eq(plan_find(p, STEP_SET_KERNEL_METHOD, vf->name), -1);
	ck_assert(has_warning("20-rest.policy: KernelMethod=remove for 0000:01:00.1 (vfio-pci) not "
			      "applied: it is left alone"));
	ck_assert_int_eq(plan_find(p, STEP_SET_KERNEL_METHOD, bridge->name), -1);
	ck_assert(has_warning("20-rest.policy: KernelMethod=remove for 0000:00:02.0 (pcieport) not "
			      "set: the kernel refuses it, it is a bridge"));
	ck_assert_int_eq(plan_find(p, STEP_SET_KERNEL_METHOD, stub->name), -1);
	ck_assert(has_warning("20-rest.policy: KernelMethod=remove for 0000:00:03.0 (pci-stub) not "
			      "set: the kernel refuses it, its driver sets driver_managed_dma"));

	s = STEP(STEP_SET_KERNEL_METHOD, plain->name);
	ck_assert_str_eq(p->steps[s].policy->name, "20-rest.policy");
	ck_assert_int_eq(p->steps[s].method, KMETHOD_REMOVE);
	ck_assert_uint_eq(p->n, 3);
}
END_TEST

/*
 * A function the plan unbinds, resets or whose module it unloads gets no
 * set-kernel-method step, whichever policy asks for the method: the two
 * would race, and a refused write would fail a reboot the unbind makes
 * safe.  A note says why.
 */
START_TEST(test_kernel_method_not_with_unbind)
{
	static const char *const files[] = {
		"10-a.policy",
		"[Match]\nDriver=a\n[Quiesce]\nAction=unbind\nKernelMethod=remove\n",
		"20-b.policy",
		"[Match]\nDriver=b\n[Quiesce]\nAction=reset\nKernelMethod=shutdown\n",
		"30-c.policy",
		"[Match]\nPath=pci-0000:03:00.0\n[Quiesce]\nAction=unload\n",
		"40-c.policy",
		"[Match]\nDriver=c\n[Quiesce]\nKernelMethod=remove\n",
		NULL,
	};
	struct device *b;

	crafted_inventory();
	add_pci(ROOT "/0000:01:00.0", "a");
	b = add_pci(ROOT "/0000:02:00.0", "b");
	b->kexec_method = KMETHOD_REMOVE;
	b->kexec_action = KACTION_REMOVE;
	add_pci(ROOT "/0000:03:00.0", "c");
	add_pci(ROOT "/0000:03:00.1", "c");
	ck_assert_int_eq(inventory_link(inv), 0);
	plan_with(policies(files));

	for (size_t i = 0; i < p->n; i++)
		ck_assert_int_ne(p->steps[i].type, STEP_SET_KERNEL_METHOD);
	STEP(STEP_UNBIND, "0000:01:00.0");
	STEP(STEP_RESET, "0000:02:00.0");
	STEP(STEP_UNLOAD_MODULE, "c");
	ck_assert(has_note("10-a.policy: KernelMethod=remove for 0000:01:00.0 (a) not needed: "
			   "the plan unbinds it"));
	ck_assert(has_note("20-b.policy: KernelMethod=shutdown for 0000:02:00.0 (b) not needed: "
			   "the plan unbinds and resets it"));
	/* 03:00.1 goes with module c, unloaded for 03:00.0 by another policy. */
	ck_assert(has_note("40-c.policy: KernelMethod=remove for 0000:03:00.1 (c) not needed: "
			   "the plan unloads its module"));
	ck_assert(has_warning("30-c.policy: unloading module c also removes 0000:03:00.1"));
	ck_assert_uint_eq(strv_length(p->warnings), 1);
}
END_TEST

/*
 * Many functions of one policy that the plan unbinds: one note for all of
 * them, with their count and the first one (a NIC with 255 VFs said it 256
 * times, and the plan took ten times as long to dedupe the lines).
 */
START_TEST(test_kernel_method_not_with_unbind_grouped)
{
	static const char *const files[] = {
		"10-a.policy",
		"[Match]\nDriver=a\n[Quiesce]\nAction=unbind\nKernelMethod=remove\n",
		NULL,
	};

	crafted_inventory();
	add_pci(ROOT "/0000:01:00.0", "a");
	add_pci(ROOT "/0000:01:00.1", "a");
	add_pci(ROOT "/0000:01:00.2", "a");
	ck_assert_int_eq(inventory_link(inv), 0);
	plan_with(policies(files));

	ck_assert(
		has_note("10-a.policy: KernelMethod=remove for 3 functions (0000:01:00.0 (a) and 2 "
			 "more) not needed: the plan unbinds them"));
	ck_assert_uint_eq(strv_length(p->notes), 1);
}
END_TEST

/*
 * KernelMethod=remove that the kernel will not honour at the kexec: a
 * device below bound to a driver (the SCSI device a disk hangs off, the
 * virtio device of a virtio disk, a USB root hub the scan found, a disk a
 * snapshot says is bound), VFs that stay enabled (DisableSRIOV=no), or the
 * kernel saying so (marked remove, kexec_action clear-master).  The step is
 * planned, with a warning, and check counts the function at risk; an
 * interface or an NVMe namespace below is no veto, and DisableSRIOV=auto
 * turns a PF's VFs off for it.
 */
START_TEST(test_kernel_method_vetoed)
{
	static const char *const files[] = {
		"10-km.policy",
		"[Match]\nDriver=hba hba2 nic nvme virtio-pci xhci marked\n[Quiesce]\n"
		"KernelMethod=remove\n",
		"20-pf.policy",
		"[Match]\nDriver=pf\n[Quiesce]\nKernelMethod=remove\n",
		"30-pfno.policy",
		"[Match]\nDriver=pfno\n[Quiesce]\nKernelMethod=remove\nDisableSRIOV=no\n",
		NULL,
	};
	static const char *const vetoed[][2] = {
		{ "0000:01:00.0", "0:0:0:0 (which sda hangs off) is bound below it" },
		{ "0000:09:00.0", "sdb (sd) is bound below it" },
		{ "0000:00:04.0", "virtio0 (which vda hangs off) is bound below it" },
		{ "0000:00:05.0", "usb1 (usb) is bound below it" },
		{ "0000:00:07.0", "its 2 VFs are enabled" },
		{ "0000:00:08.0", "its kexec_method is remove already, yet its kexec_action reads "
				  "clear-master" },
	};
	static const char *const covered[] = { "0000:02:00.0", "0000:03:00.0", "0000:00:06.0" };
	_cleanup_(risk_report_freep) struct risk_report *rep = NULL;
	struct device *d, *disk;
	int s;

	crafted_inventory();
	add_pci(ROOT "/0000:01:00.0", "hba");
	add_device(DEVICE_SCSI_HOST, ROOT "/0000:01:00.0/host0");
	add_device(DEVICE_DISK, ROOT "/0000:01:00.0/host0/target0:0:0/0:0:0:0/block/sda");
	add_pci(ROOT "/0000:09:00.0", "hba2");
	disk = add_device(DEVICE_DISK, ROOT "/0000:09:00.0/host1/target1:0:0/1:0:0:0/block/sdb");
	disk->driver = strdup("sd");
	MUST(disk->driver);
	add_pci(ROOT "/0000:02:00.0", "nic");
	add_device(DEVICE_NET, ROOT "/0000:02:00.0/net/eth0");
	add_pci(ROOT "/0000:03:00.0", "nvme");
	add_device(DEVICE_NVME, ROOT "/0000:03:00.0/nvme/nvme0");
	add_device(DEVICE_DISK, ROOT "/0000:03:00.0/nvme/nvme0/nvme0n1");
	add_pci("/sys/devices/pci0000:00/0000:00:04.0", "virtio-pci");
	add_device(DEVICE_DISK, "/sys/devices/pci0000:00/0000:00:04.0/virtio0/block/vda");
	d = add_pci("/sys/devices/pci0000:00/0000:00:05.0", "xhci");
	d->bound_below = strdup("usb1");
	d->bound_below_driver = strdup("usb");
	MUST(d->bound_below && d->bound_below_driver);
	d = add_pci("/sys/devices/pci0000:00/0000:00:06.0", "pf");
	d->sriov_numvfs = 2;
	d->sriov_totalvfs = 8;
	d = add_pci("/sys/devices/pci0000:00/0000:00:07.0", "pfno");
	d->sriov_numvfs = 2;
	d->sriov_totalvfs = 8;
	d = add_pci("/sys/devices/pci0000:00/0000:00:08.0", "marked");
	d->kexec_method = KMETHOD_REMOVE;
	/* None of them has ->shutdown(): left running unless released. */
	for (size_t i = 0; i < inv->n; i++)
		if (inv->devices[i]->kind == DEVICE_PCI && inv->devices[i]->driver)
			inv->devices[i]->kexec_action = KACTION_CLEAR_MASTER;
	ck_assert_int_eq(inventory_link(inv), 0);
	plan_with(policies(files));

	for (size_t i = 0; i < ELEMENTSOF(vetoed); i++) {
		_cleanup_free_ char *w = NULL;

		d = inventory_find_name(inv, DEVICE_PCI, vetoed[i][0]);
		ck_assert_int_ge(asprintf(&w,
					  "KernelMethod=remove for %s (%s) will not be honoured "
					  "at the kexec: %s",
					  d->name, d->driver, vetoed[i][1]),
				 0);
		ck_assert_msg(has_warning(w), "no warning \"%s\"", w);
	}
	ck_assert_uint_eq(strv_length(p->warnings), ELEMENTSOF(vetoed));
	/* The step is planned all the same, but for the one marked remove already. */
	for (size_t i = 0; i < ELEMENTSOF(vetoed) - 1; i++)
		STEP(STEP_SET_KERNEL_METHOD, vetoed[i][0]);
	ck_assert_int_eq(plan_find(p, STEP_SET_KERNEL_METHOD, "0000:00:08.0"), -1);
	for (size_t i = 0; i < ELEMENTSOF(covered); i++)
		STEP(STEP_SET_KERNEL_METHOD, covered[i]);
	s = STEP(STEP_SRIOV_DISABLE, "0000:00:06.0");
	ck_assert_msg(strstr(p->steps[s].reason, "2 VFs are enabled, which would keep the kernel "
						 "from releasing pf at the kexec"),
		      "%s", p->steps[s].reason);
	ck_assert_int_eq(plan_find(p, STEP_SRIOV_DISABLE, "0000:00:07.0"), -1);

	/* check: at risk where the kernel will not honour it, covered elsewhere. */
	ck_assert_int_eq(risk_assess(inv, p, NULL, false, &rep), 0);
	ck_assert_uint_eq(rep->n_risks, ELEMENTSOF(vetoed));
	for (size_t i = 0; i < ELEMENTSOF(vetoed); i++) {
		const struct risk *x = &rep->risks[i];
		bool found = false;

		for (size_t k = 0; k < ELEMENTSOF(vetoed) && !found; k++)
			found = streq(x->function->name, vetoed[k][0]) &&
				strstr(x->text, "KernelMethod=remove will not be honoured: ") &&
				strstr(x->text, vetoed[k][1]);
		ck_assert_msg(found && x->kind == RISK_LEFT_RUNNING, "%s: %s", x->function->name,
			      x->text);
	}
	for (size_t i = 0; i < ELEMENTSOF(covered); i++) {
		bool found = false;

		for (size_t k = 0; k < rep->n_notes && !found; k++)
			found = rep->notes[k].note == NOTE_COVERED &&
				streq(rep->notes[k].device->name, covered[i]);
		ck_assert_msg(found, "%s not covered", covered[i]);
	}
}
END_TEST

/*
 * A driver without /sys/bus/pci/drivers/<driver>/unbind (suppress_bind_attrs)
 * cannot be unbound: the kernel refuses remove for it, and an unbind fails.
 */
START_TEST(test_suppress_bind_attrs)
{
	static const char *const files[] = {
		"10-a.policy", "[Match]\nDriver=a\n[Quiesce]\nKernelMethod=remove\n",
		"20-b.policy", "[Match]\nDriver=b\n[Quiesce]\nAction=unbind\n",
		NULL,
	};

	crafted_inventory();
	add_pci(ROOT "/0000:01:00.0", "a")->suppress_bind_attrs = true;
	add_pci(ROOT "/0000:02:00.0", "b")->suppress_bind_attrs = true;
	ck_assert_int_eq(inventory_link(inv), 0);
	plan_with(policies(files));

	ck_assert_int_eq(plan_find(p, STEP_SET_KERNEL_METHOD, "0000:01:00.0"), -1);
	ck_assert(has_warning(
		"10-a.policy: KernelMethod=remove for 0000:01:00.0 (a) not set: the "
		"kernel refuses it, its driver cannot be unbound (suppress_bind_attrs"));
	STEP(STEP_UNBIND, "0000:02:00.0");
	ck_assert(has_warning("20-b.policy: unbinding 0000:02:00.0 from b will fail: the driver "
			      "cannot be unbound"));
}
END_TEST

/* Hosts nested DEPTH deep below an HBA, with a disk at the bottom and one on the way. */
#define DEPTH 1000

START_TEST(test_crafted_deep_tree)
{
	static const char *const files[] = {
		"10-hba.policy",
		"[Match]\nDriver=hba\n[Quiesce]\nAction=unbind\nFlushCache=auto\n",
		NULL,
	};
	_cleanup_free_ char *path = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&path, &len);
	struct device *hba, *d;

	crafted_inventory();
	hba = add_pci(ROOT "/0000:01:00.0", "hba");
	ck_assert_ptr_nonnull(f);
	fputs(hba->syspath, f);
	for (int i = 0; i < DEPTH; i++) {
		fprintf(f, "/h%d", i);
		fflush(f);
		add_device(DEVICE_SCSI_HOST, path);
		if (i == 1) {
			/* "a" sorts before "h2": the first child of h1. */
			_cleanup_free_ char *a = NULL;

			ck_assert_int_ge(asprintf(&a, "%s/a", path), 0);
			d = add_device(DEVICE_DISK, a);
			d->write_cache = CACHE_WRITE_BACK;
		}
	}
	fputs("/sdz", f);
	ck_assert_int_eq(fclose(f), 0);
	d = add_device(DEVICE_DISK, path);
	d->write_cache = CACHE_WRITE_BACK;
	ck_assert_int_eq(inventory_link(inv), 0);

	ck_assert_int_eq(build_crafted(policies(files)), 0);
	ck_assert_uint_eq(p->n, 3);
	/* Pre-order: the shallow disk first; both before the HBA's unbind. */
	ck_assert_int_lt(STEP(STEP_FLUSH_CACHE, "a"), STEP(STEP_FLUSH_CACHE, "sdz"));
	ck_assert(plan_before(p, STEP(STEP_FLUSH_CACHE, "a"), STEP(STEP_UNBIND, "0000:01:00.0")));
	ck_assert(plan_before(p, STEP(STEP_FLUSH_CACHE, "sdz"), STEP(STEP_UNBIND, "0000:01:00.0")));
}
END_TEST

START_TEST(test_crafted_not_linked)
{
	_cleanup_(device_freep) struct device *stray = device_new(DEVICE_PCI, "/nowhere", "x");
	char *err = NULL;
	struct device *vf;

	crafted_inventory();
	vf = add_pci(ROOT "/0000:01:00.1", "vf");
	add_netdev(vf, "eth0");
	ps = policies(net_down_only);

	/* Devices added but never linked: their indexes are all 0. */
	ck_assert_int_eq(plan_build(inv, ps, &p, &err), -EINVAL);
	ck_assert_ptr_null(p);
	ck_assert_msg(err && strstr(err, "inventory not linked"), "%s", strna(err));
	free(err);
	err = NULL;

	/* A physfn link to a device that is not in the inventory. */
	ck_assert_int_eq(inventory_link(inv), 0);
	ck_assert_ptr_nonnull(stray);
	vf->physfn = stray;
	ck_assert_int_eq(plan_build(inv, ps, &p, &err), -EINVAL);
	ck_assert_msg(err && strstr(err, vf->name), "%s", strna(err));
	free(err);
}
END_TEST

/* ---- file systems before storage goes away (inventory/storage.json) ---------- */

static const struct step *readonly_of(const char *pci)
{
	int i = plan_find(p, STEP_FS_READONLY, pci);

	return i < 0 ? NULL : &p->steps[i];
}

/* ext2 (and ext4 inside it) on partitions of an NVMe namespace. */
START_TEST(test_storage_nvme_partition)
{
	inv = test_inventory("storage");
	plan_with(test_policies("storage"));
	int ro = STEP(STEP_FS_READONLY, "0000:01:00.0");
	const struct step *s = &p->steps[ro];
	_cleanup_free_ char *d = step_describe(s);

	ck_assert_uint_eq(s->n_mounts, 2);
	/* Innermost first. */
	ck_assert_str_eq(s->mounts[0].mount->mount_point, "/data/cache");
	ck_assert_str_eq(s->mounts[1].mount->mount_point, "/data");
	ck_assert_str_eq(s->mounts[1].mount->fstype, "ext2");
	ck_assert_str_eq(s->mounts[1].disk->name, "nvme0n1");
	ck_assert_ptr_null(s->md);
	ck_assert(s->guard);
	ck_assert_str_eq(s->device->name, "0000:01:00.0");
	ck_assert_str_eq(s->policy->name, "10-storage.policy");
	ck_assert_int_eq(s->key, KEY_ACTION);
	ck_assert_uint_eq(s->timeout_usec, 20ULL * 1000000ULL);
	ck_assert_str_eq(d, "make /data/cache, /data read-only (disks below 0000:01:00.0)");
	{
		/* A mount point a user named (a disk's label) cannot make a
		 * journal line read as another state: ": " is shown escaped. */
		struct device_mount hostile = *s->mounts[0].mount;
		struct step_mount sm = s->mounts[0];
		struct step copy = *s;
		_cleanup_free_ char *dh = NULL;

		hostile.mount_point = (char *)"/media/alice/x: done; \n";
		sm.mount = &hostile;
		copy.mounts = &sm;
		copy.n_mounts = 1;
		dh = step_describe(&copy);
		ck_assert_str_eq(dh, "make /media/alice/x:\\x20done; \\n read-only (disks below "
				     "0000:01:00.0)");
	}
	ck_assert_str_eq(s->reason, "unbind 0000:01:00.0 from nvme would remove nvme0n1 under 2 "
				    "read-write file systems");
	/* Read-only, then the flush (which covers what the remount wrote), then the unbind. */
	ck_assert(plan_before(p, ro, STEP(STEP_FLUSH_CACHE, "nvme0n1")));
	ck_assert(plan_before(p, STEP(STEP_FLUSH_CACHE, "nvme0n1"),
			      STEP(STEP_UNBIND, "0000:01:00.0")));
	ck_assert(plan_before(p, ro, STEP(STEP_UNBIND, "0000:01:00.0")));
}
END_TEST

/* md RAID1 over a disk on each of two controllers: each waits for the array. */
START_TEST(test_storage_md_two_controllers)
{
	inv = test_inventory("storage");
	plan_with(test_policies("storage"));

	for (int k = 0; k < 2; k++) {
		const char *pci = k ? "0000:00:03.0" : "0000:00:02.0";
		const struct step *s = readonly_of(pci);

		ck_assert_ptr_nonnull(s);
		/* /srv and its bind mount, once each although both halves carry them. */
		ck_assert_uint_eq(s->n_mounts, 2);
		ck_assert_str_eq(s->mounts[0].mount->mount_point, "/srv/my share");
		ck_assert_str_eq(s->mounts[1].mount->mount_point, "/srv");
		ck_assert_uint_eq(strv_length(s->md), 1);
		ck_assert_str_eq(s->md[0], "md0");
		ck_assert(plan_before(p, (int)(s - p->steps), STEP(STEP_UNBIND, pci)));
	}
	ck_assert_str_eq(readonly_of("0000:00:03.0")->mounts[0].disk->name, "sda");
	ck_assert(plan_before(p, STEP(STEP_FS_READONLY, "0000:00:03.0"),
			      STEP(STEP_FLUSH_CACHE, "sda")));
}
END_TEST

/* LVM (dm) over a partition, and btrfs found by its source. */
START_TEST(test_storage_lvm)
{
	inv = test_inventory("storage");
	plan_with(test_policies("storage"));
	const struct step *s = readonly_of("0000:00:04.0");

	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->n_mounts, 2);
	ck_assert_str_eq(s->mounts[0].mount->mount_point, "/home");
	ck_assert_str_eq(s->mounts[0].mount->via[0], "dm-0");
	ck_assert_str_eq(s->mounts[1].mount->mount_point, "/var");
	ck_assert(plan_before(p, (int)(s - p->steps), STEP(STEP_UNBIND, "0000:00:04.0")));
}
END_TEST

/* Only a read-only mount, or nothing mounted: no step, the unbind as before. */
START_TEST(test_storage_no_step_needed)
{
	inv = test_inventory("storage");
	plan_with(test_policies("storage"));

	ck_assert_ptr_null(readonly_of("0000:00:05.0"));
	ck_assert_ptr_null(readonly_of("0000:00:06.0"));
	STEP(STEP_UNBIND, "0000:00:05.0");
	STEP(STEP_UNBIND, "0000:00:06.0");
	ck_assert_uint_eq(p->steps[STEP(STEP_UNBIND, "0000:00:06.0")].n_deps, 1);
	/* Four controllers with read-write file systems: four steps. */
	{
		size_t n = 0;

		for (size_t i = 0; i < p->n; i++)
			n += p->steps[i].type == STEP_FS_READONLY;
		ck_assert_uint_eq(n, 4);
	}
	ck_assert_ptr_null(p->warnings);
}
END_TEST

/* Left to the kernel (a flush only): nothing goes away, nothing to make safe. */
START_TEST(test_storage_kernel_action)
{
	static const char *const files[] = {
		"10-flush.policy",
		"[Match]\nDriver=nvme\n[Quiesce]\nFlushCache=yes\n",
		NULL,
	};
	inv = test_inventory("storage");
	plan_with(policies(files));

	STEP(STEP_FLUSH_CACHE, "nvme0n1");
	for (size_t i = 0; i < p->n; i++)
		ck_assert_int_ne(p->steps[i].type, STEP_FS_READONLY);
}
END_TEST

/* An unload (a step with no device) and a reset wait for it too. */
START_TEST(test_storage_unload_and_reset)
{
	static const char *const files[] = {
		"10-nvme.policy",
		"[Match]\nDriver=nvme\n[Quiesce]\nAction=unload\n",
		"20-sas.policy",
		"[Match]\nDriver=megaraid_sas\n[Quiesce]\nAction=reset\nOnFailure=abort\n",
		NULL,
	};
	inv = test_inventory("storage");
	plan_with(policies(files));

	ck_assert(plan_before(p, STEP(STEP_FS_READONLY, "0000:01:00.0"),
			      STEP(STEP_UNLOAD_MODULE, "nvme")));
	ck_assert(plan_before(p, STEP(STEP_FS_READONLY, "0000:00:02.0"),
			      STEP(STEP_UNLOAD_MODULE, "nvme")));
	ck_assert(p->steps[STEP(STEP_FS_READONLY, "0000:01:00.0")].guard);
	ck_assert(plan_before(p, STEP(STEP_FS_READONLY, "0000:00:03.0"),
			      STEP(STEP_UNBIND, "0000:00:03.0")));
	ck_assert(plan_before(p, STEP(STEP_FS_READONLY, "0000:00:03.0"),
			      STEP(STEP_RESET, "0000:00:03.0")));
	/* The step takes the policy's knobs. */
	ck_assert_int_eq(p->steps[STEP(STEP_FS_READONLY, "0000:00:03.0")].on_failure, ONFAIL_ABORT);
	ck_assert_str_eq(p->steps[STEP(STEP_FS_READONLY, "0000:01:00.0")].policy->name,
			 "10-nvme.policy");
}
END_TEST

/*
 * A bridge above an NVMe controller: unbound alone, it gets the step; with
 * the controller unbound too, the controller's step covers both (the
 * bridge's unbind waits for the controller's).
 */
START_TEST(test_storage_bridge)
{
	static const char *const bridge[] = {
		"10-bridge.policy",
		"[Match]\nDriver=pcieport\n[Quiesce]\nAction=unbind\n",
		NULL,
	};
	static const char *const both[] = {
		"10-bridge.policy",
		"[Match]\nDriver=pcieport\n[Quiesce]\nAction=unbind\n",
		"20-nvme.policy",
		"[Match]\nDriver=nvme\n[Quiesce]\nAction=unbind\n",
		NULL,
	};
	inv = test_inventory("storage");
	plan_with(policies(bridge));
	ck_assert_uint_eq(readonly_of("0000:00:01.0")->n_mounts, 2);
	ck_assert(plan_before(p, STEP(STEP_FS_READONLY, "0000:00:01.0"),
			      STEP(STEP_UNBIND, "0000:00:01.0")));

	plan_with(policies(both));
	ck_assert_ptr_null(readonly_of("0000:00:01.0"));
	ck_assert(plan_before(p, STEP(STEP_FS_READONLY, "0000:01:00.0"),
			      STEP(STEP_UNBIND, "0000:00:01.0")));
}
END_TEST

/* A version 2 snapshot says nothing of mounts: a warning, not a silent plan. */
START_TEST(test_storage_mounts_unknown)
{
	inv = test_inventory("storage");
	inv->mounts_known = false;
	plan_with(test_policies("storage"));

	for (size_t i = 0; i < p->n; i++)
		ck_assert_int_ne(p->steps[i].type, STEP_FS_READONLY);
	ck_assert(has_warning("0000:00:06.0: the inventory does not say what is mounted"));
	ck_assert_uint_eq(strv_length(p->warnings), 6);
}
END_TEST

/* ---- plan --dot ----------------------------------------------------------------- */

static char *dot_of(const struct plan *q, const struct inventory *i)
{
	char *dot = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&dot, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(plan_write_dot(q, i, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	return dot;
}

/*
 * The label of node s<id>, read as Graphviz reads a quoted string: \" is
 * a quote, \\ a backslash, \n a line break, &amp; an ampersand; any other
 * escape, a raw newline or an unclosed string fails.  The statement must
 * end on the same line.
 */
static char *dot_label(const char *dot, size_t id)
{
	char head[32], *out, *o;
	const char *c, *end;

	snprintf(head, sizeof(head), "\n\ts%zu [", id);
	c = strstr(dot, head);
	ck_assert_msg(c, "no node s%zu", id);
	end = strchr(c + 1, '\n');
	ck_assert_ptr_nonnull(end);
	c = strstr(c, "label=\"");
	ck_assert(c && c < end);
	o = out = malloc(strlen(c) + 1);
	ck_assert_ptr_nonnull(out);
	for (c += 7; *c != '"'; c++) {
		ck_assert_msg(c < end, "label of s%zu not closed on its line", id);
		if (*c == '\\') {
			c++;
			ck_assert_msg(*c == 'n' || *c == '"' || *c == '\\', "escape \\%c in s%zu",
				      *c, id);
			*o++ = *c == 'n' ? '\n' : *c;
		} else if (*c == '&') {
			ck_assert_msg(startswith(c, "&amp;"), "entity in s%zu", id);
			*o++ = '&';
			c += 4;
		} else
			*o++ = *c;
	}
	*o = 0;
	ck_assert_msg(end[-1] == ';' && end[-2] == ']', "s%zu does not end its line", id);
	return out;
}

static size_t count_str(const char *haystack, const char *needle)
{
	size_t n = 0;

	for (const char *q = haystack; (q = strstr(q, needle)); q++)
		n++;
	return n;
}

/* The server plan as tests/data/expected/plan-server.dot, with TESTDATA for the path. */
START_TEST(test_dot_server)
{
	_cleanup_free_ char *dot = NULL, *want = NULL, *path = NULL, *got = NULL;
	size_t n_edges = 0, len = 0;
	FILE *f;

	inv = test_inventory("server");
	plan_with(test_policies("server"));
	dot = dot_of(p, inv);
	for (size_t i = 0; i < p->n; i++) {
		_cleanup_free_ char *label = dot_label(dot, p->steps[i].id);
		_cleanup_free_ char *desc = step_describe(&p->steps[i]);

		n_edges += p->steps[i].n_deps;
		ck_assert_ptr_nonnull(strstr(label, desc));
		ck_assert_ptr_nonnull(strstr(label, p->steps[i].policy->name));
		ck_assert_ptr_nonnull(strstr(label, policy_key_to_string(p->steps[i].key)));
	}
	ck_assert_uint_eq(count_str(dot, "\n\ts"), p->n + n_edges + 1 /* the legend */);
	ck_assert_uint_eq(count_str(dot, " -> "), n_edges);
	ck_assert_uint_eq(n_edges, 12);
	ck_assert_ptr_nonnull(strstr(dot, "\ts18 -> s19;\n"));
	ck_assert_ptr_nonnull(strstr(dot, "\ts6 -> s18;\n"));

	/* The whole of it, the path of the fixtures made TESTDATA. */
	f = open_memstream(&got, &len);
	ck_assert_ptr_nonnull(f);
	for (const char *q = dot; *q;)
		if (startswith(q, TESTDATA)) {
			fputs("TESTDATA", f);
			q += strlen(TESTDATA);
		} else
			fputc(*q++, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_ge(asprintf(&path, "%s/expected/plan-server.dot", TESTDATA), 0);
	f = fopen(path, "re");
	ck_assert_ptr_nonnull(f);
	want = calloc(1, 65536);
	ck_assert_ptr_nonnull(want);
	ck_assert_uint_gt(fread(want, 1, 65535, f), 0);
	fclose(f);
	ck_assert_str_eq(got, want);
}
END_TEST

/*
 * Names a snapshot and a policy file may carry (tests/data/inventory/
 * crafted-names.json): quotes, backslashes that would be DOT escapes
 * (\N, \l), "];" and "->", markup and entities; and what no file can give
 * but the renderer must survive: a newline, a byte that is not UTF-8, and
 * U+FFFE (not a character SVG may carry).  Each stays inside its label,
 * shown as it is or escaped visibly.
 */
START_TEST(test_dot_crafted_names)
{
	static const char *const files[] = {
		"50-cr\"aft\\N}{.policy",
		"[Match]\nVendor=0x1234\n\n[Quiesce]\nAction=unbind\nNetworkDown=yes\n",
		NULL,
	};
	_cleanup_free_ char *dot = NULL, *l1 = NULL, *l2 = NULL, *l1b = NULL;

	inv = test_inventory("crafted-names");
	plan_with(policies(files));
	ck_assert_uint_eq(p->n, 2);
	dot = dot_of(p, inv);
	l1 = dot_label(dot, 1);
	l2 = dot_label(dot, 2);
	ck_assert_str_eq(l1, "1: bring interface eth\\\\n0\"<x> down\n"
			     "50-cr\"aft\\\\N}{.policy Quiesce.NetworkDown (line 6)");
	ck_assert_str_eq(l2, "2: unbind 0000:00:09.0\"];x->y;#\\\\N from drv\"q\\\\l<b>&amp;\n"
			     "50-cr\"aft\\\\N}{.policy Quiesce.Action (line 5)");
	ck_assert_uint_eq(count_str(dot, " -> "), 1);
	ck_assert_ptr_nonnull(strstr(dot, "\n\ts1 -> s2;\n"));

	free(p->steps[0].object);
	p->steps[0].object = strdup("eth\n0\xff\xef\xbf\xbe");
	ck_assert_ptr_nonnull(p->steps[0].object);
	free(dot);
	dot = dot_of(p, inv);
	l1b = dot_label(dot, 1);
	ck_assert_str_eq(l1b, "1: bring interface eth\\n0\\xff\\xef\\xbf\\xbe down\n"
			      "50-cr\"aft\\\\N}{.policy Quiesce.NetworkDown (line 6)");
	ck_assert_ptr_null(strchr(strstr(dot, "\ts1 ["), '\xff'));
}
END_TEST

/* Nothing to do: a graph without nodes that says so. */
START_TEST(test_dot_empty)
{
	static const char *const files[] = {
		"10-none.policy",
		"[Match]\nVendor=0xffff\n\n[Quiesce]\nAction=unbind\n",
		NULL,
	};
	_cleanup_free_ char *dot = NULL;

	inv = test_inventory("server");
	plan_with(policies(files));
	ck_assert_uint_eq(p->n, 0);
	dot = dot_of(p, inv);
	ck_assert_ptr_nonnull(strstr(dot, ": 0 steps in "));
	ck_assert_ptr_nonnull(strstr(dot, "; nothing to do\"];"));
	ck_assert_ptr_null(strstr(dot, "\ts1 ["));
	ck_assert_ptr_null(strstr(dot, "cluster_legend"));
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
	tcase_add_test(tc, test_order_independent);
	tcase_add_test(tc, test_no_policies);
	tcase_add_test(tc, test_kernel_method_per_device);
	tcase_add_test(tc, test_kernel_method_held_and_refused);
	tcase_add_test(tc, test_kernel_method_not_with_unbind);
	tcase_add_test(tc, test_kernel_method_not_with_unbind_grouped);
	tcase_add_test(tc, test_kernel_method_vetoed);
	tcase_add_test(tc, test_suppress_bind_attrs);
	tcase_add_test(tc, test_storage_nvme_partition);
	tcase_add_test(tc, test_storage_md_two_controllers);
	tcase_add_test(tc, test_storage_lvm);
	tcase_add_test(tc, test_storage_no_step_needed);
	tcase_add_test(tc, test_storage_kernel_action);
	tcase_add_test(tc, test_storage_unload_and_reset);
	tcase_add_test(tc, test_storage_bridge);
	tcase_add_test(tc, test_storage_mounts_unknown);
	tcase_add_test(tc, test_dot_server);
	tcase_add_test(tc, test_dot_crafted_names);
	tcase_add_test(tc, test_dot_empty);
	suite_add_tcase(s, tc);

	/* Inventories the loader would reject; the big ones take a while under ASan. */
	tc = test_tcase("crafted");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_crafted_physfn_self);
	tcase_add_test(tc, test_crafted_physfn_pair);
	tcase_add_test(tc, test_crafted_physfn_chain);
	tcase_add_test(tc, test_crafted_physfn_ring);
	tcase_add_test(tc, test_crafted_deep_tree);
	tcase_add_test(tc, test_crafted_not_linked);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(plan_suite());
}
