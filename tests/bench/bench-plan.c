// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Plan benchmark: a synthetic server of 4096 PCI functions (16 PFs with
 * 255 VFs each; 12 NICs with a netdev per function, 4 NVMe controllers with
 * a namespace per function) and 50 policies, 48 of which match nothing, so
 * every device is tried against nearly all of them.  The two that match take
 * the costly paths: unbind with link-down and a kernel method for the NICs,
 * one module unload under 1024 functions plus flushes for NVMe.  Prints the
 * time of plan_build() (matching included) and the peak RSS; asserts nothing.
 *
 *   bench-plan [--runs N] [--save FILE]
 *
 * --save writes the inventory as a snapshot, for "kexecq plan --inventory".
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "snapshot.h"
#include "log.h"
#include "plan.h"
#include "policy-set.h"
#include "strv.h"

#define N_PF 16
#define N_VF 255
#define N_NVME_PF 4
#define N_POLICIES 50
#define TARGET_MS 50.0
#define TARGET_MIB 32.0

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static struct device *add(struct inventory *inv, enum device_kind k, const char *syspath,
			  const char *name)
{
	struct device *d = device_new(k, syspath, name);

	if (!d || inventory_add(inv, d) < 0) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	return d;
}

static char *xstrdup(const char *s)
{
	char *r = strdup(s);

	if (!r)
		exit(1);
	return r;
}

static void fill_pci(struct device *d, bool nvme, bool vf)
{
	d->vendor = xstrdup(nvme ? "144d" : "8086");
	d->device_id = xstrdup(nvme ? (vf ? "a824" : "a822") : (vf ? "1515" : "1528"));
	d->subsystem_vendor = xstrdup(d->vendor);
	d->subsystem_device = xstrdup("0001");
	d->class = xstrdup(nvme ? "010802" : "020000");
	d->driver = xstrdup(nvme ? "nvme" : (vf ? "ixgbevf" : "ixgbe"));
	d->module = xstrdup(d->driver);
	d->kexec_method = KMETHOD_SHUTDOWN;
	d->kexec_action = KACTION_SHUTDOWN;
	if (asprintf(&d->id_path, "pci-%s", d->name) < 0 ||
	    asprintf(&d->modalias, "pci:v0000%sd0000%ssv0000%ssd00000001bc%.2ssc%.2si%.2s",
		     d->vendor, d->device_id, d->vendor, d->class, d->class + 2, d->class + 4) < 0)
		exit(1);
}

static void add_child(struct inventory *inv, const struct device *pci, bool nvme, unsigned *n)
{
	char path[512], name[32];
	struct device *c;

	if (nvme) {
		snprintf(name, sizeof(name), "nvme%u", *n);
		snprintf(path, sizeof(path), "%s/nvme/%s", pci->syspath, name);
		add(inv, DEVICE_NVME, path, name);
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%sn1", name);
		snprintf(name + strlen(name), sizeof(name) - strlen(name), "n1");
		c = add(inv, DEVICE_DISK, path, name);
		c->write_cache = (*n % 2) ? CACHE_WRITE_BACK : CACHE_WRITE_THROUGH;
		if (asprintf(&c->devnode, "/dev/%s", name) < 0)
			exit(1);
	} else {
		snprintf(name, sizeof(name), "eth%u", *n);
		snprintf(path, sizeof(path), "%s/net/%s", pci->syspath, name);
		c = add(inv, DEVICE_NET, path, name);
		c->up = true;
	}
	(*n)++;
}

static struct inventory *synthetic(void)
{
	struct inventory *inv = inventory_new();
	unsigned n_net = 0, n_nvme = 0;

	inv->kernel_per_device_method = true;
	inv->kernel_release = xstrdup("6.12.0-bench");
	inv->source = xstrdup("synthetic");
	for (unsigned p = 0; p < N_PF; p++) {
		bool nvme = p < N_NVME_PF;
		unsigned bus = 0x10 + p * 2;
		char root[128], path[256], name[32];
		struct device *pf;

		/* Root port, PF at function 0 behind it, VFs on the same bus. */
		snprintf(root, sizeof(root), "/sys/devices/pci0000:00/0000:00:%02x.0", p + 1);
		pf = add(inv, DEVICE_PCI, root, root + strlen("/sys/devices/pci0000:00/"));
		pf->driver = xstrdup("pcieport");
		pf->module_builtin = true;
		pf->class = xstrdup("060400");
		pf->vendor = xstrdup("8086");
		pf->device_id = xstrdup("a110");

		snprintf(name, sizeof(name), "0000:%02x:00.0", bus);
		snprintf(path, sizeof(path), "%s/%s", root, name);
		pf = add(inv, DEVICE_PCI, path, name);
		fill_pci(pf, nvme, false);
		pf->sriov_numvfs = N_VF;
		pf->sriov_totalvfs = N_VF;
		add_child(inv, pf, nvme, nvme ? &n_nvme : &n_net);

		for (unsigned v = 0; v < N_VF; v++) {
			struct device *vf;
			unsigned devfn = 0x10 + v;

			snprintf(name, sizeof(name), "0000:%02x:%02x.%u", bus + devfn / 256,
				 (devfn % 256) >> 3, devfn & 7);
			snprintf(path, sizeof(path), "%s/%s", root, name);
			vf = add(inv, DEVICE_PCI, path, name);
			fill_pci(vf, nvme, true);
			vf->physfn_syspath = xstrdup(pf->syspath);
			add_child(inv, vf, nvme, nvme ? &n_nvme : &n_net);
		}
	}
	if (inventory_link(inv) < 0)
		exit(1);
	return inv;
}

static char *write_policies(void)
{
	char *dir = xstrdup("/tmp/kexecq-bench.XXXXXX");

	if (!mkdtemp(dir))
		exit(1);
	for (unsigned i = 0; i < N_POLICIES - 2; i++) {
		char path[256];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%02u-other.policy", dir, i);
		f = fopen(path, "we");
		if (!f)
			exit(1);
		/* Varied keys that never match, as a real policy.d would have. */
		fprintf(f,
			"[Match]\nDriver=fake%u_* other%u\nVendor=0x%04x\nPath=pci-0000:%02x:*\n"
			"[Quiesce]\nAction=unbind\nTimeoutSec=%us\n",
			i, i, 0x1000 + i, i, 10 + i);
		fclose(f);
		chmod(path, 0644);
	}
	{
		char path[256];
		FILE *f;

		snprintf(path, sizeof(path), "%s/98-nic.policy", dir);
		f = fopen(path, "we");
		fprintf(f,
			"[Match]\nDriver=ixgbe ixgbevf\n[Quiesce]\nAction=unbind\nNetworkDown=yes\n"
			"KernelMethod=remove\n");
		fclose(f);
		chmod(path, 0644);
		snprintf(path, sizeof(path), "%s/99-nvme.policy", dir);
		f = fopen(path, "we");
		fprintf(f, "[Match]\nDriver=nvme\nClass=0x0108*\n[Quiesce]\nAction=unload\n"
			   "FlushCache=auto\n");
		fclose(f);
		chmod(path, 0644);
	}
	return dir;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "save", required_argument, NULL, 's' },
		{},
	};
	const char *save = NULL;
	struct policy_set *ps = NULL;
	struct inventory *inv;
	struct rusage ru;
	double *t, t0, load_ms;
	unsigned errors = 0;
	size_t n_steps = 0, n_dev = 0;
	unsigned levels = 0;
	int runs = 20, c;
	char *dirv[2];

	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		if (c == 'r')
			runs = atoi(optarg);
		else if (c == 's')
			save = optarg;
		else
			return 2;
	}
	if (runs < 1)
		runs = 1;
	t = calloc((size_t)runs, sizeof(double));

	inv = synthetic();
	if (save) {
		FILE *f = fopen(save, "we");

		if (!f || inventory_save_json(inv, f) < 0 || fclose(f) != 0) {
			perror(save);
			return 1;
		}
	}
	dirv[0] = write_policies();
	dirv[1] = NULL;
	t0 = now_ms();
	if (policy_set_load(dirv, 0, &ps, &errors) < 0 || errors) {
		fprintf(stderr, "policies did not load\n");
		return 1;
	}
	load_ms = now_ms() - t0;

	for (int i = 0; i < runs; i++) {
		struct plan *p = NULL;
		char *err = NULL;

		t0 = now_ms();
		if (plan_build(inv, ps, &p, &err) < 0) {
			fprintf(stderr, "plan failed: %s\n", err ? err : "?");
			return 1;
		}
		t[i] = now_ms() - t0;
		n_steps = p->n;
		n_dev = p->n_devices;
		levels = p->n_levels;
		plan_free(p);
	}
	qsort(t, (size_t)runs, sizeof(double), cmp_double);
	getrusage(RUSAGE_SELF, &ru);

	printf("inventory: %zu devices, %zu PCI functions (%d PFs x %d VFs + root ports)\n", inv->n,
	       n_dev, N_PF, N_VF);
	printf("policies:  %zu loaded in %.2f ms\n", ps->n, load_ms);
	printf("plan:      %zu steps in %u levels\n", n_steps, levels);
	printf("plan time: median %.2f ms, min %.2f ms, max %.2f ms over %d runs (target < %.0f ms)\n",
	       t[runs / 2], t[0], t[runs - 1], runs, TARGET_MS);
	printf("peak RSS:  %.1f MiB (target < %.0f MiB)\n", (double)ru.ru_maxrss / 1024.0,
	       TARGET_MIB);

	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dirv[0]);
		(void)!system(cmd);
	}
	free(dirv[0]);
	free(t);
	policy_set_free(ps);
	inventory_free(inv);
	return 0;
}
