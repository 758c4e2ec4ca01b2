/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Build the edu test driver against a kernel without the kexecq series,
 * for A/B runs.  Such a kernel cannot tell kexec from reboot to a module:
 * kexec_in_progress is not exported, and system_state is SYSTEM_RESTART
 * for both, so the driver reports kexec as "reboot" -- the very problem
 * the series' first patch fixes.  Its drivers cannot opt in to ->remove()
 * on kexec either (kexec_remove=1 fails to load).
 */
#include <linux/types.h>

#define EDU_UNPATCHED 1

static inline bool kexec_shutdown_in_progress(void)
{
	return false;
}

/*
 * Debian 12's kernel (6.1, the demo's stock kernel: tests/vm/debian-kernel.sh)
 * predates pcim_iomap_region() (6.11).
 */
#include <linux/version.h>
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 11, 0)
#include <linux/pci.h>

static inline void __iomem *pcim_iomap_region(struct pci_dev *pdev, int bar,
					      const char *name)
{
	int ret = pcim_iomap_regions(pdev, BIT(bar), name);

	if (ret)
		return IOMEM_ERR_PTR(ret);
	return pcim_iomap_table(pdev)[bar];
}
#endif
