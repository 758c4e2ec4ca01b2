/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Build the edu test driver against Debian 12's own kernel (6.1, the demo's
 * stock kernel: tests/vm/debian-kernel.sh), with compat-unpatched.h: what
 * the driver uses of later kernels.  Kept apart from compat-unpatched.h so
 * that the 6.12 kernel without the series (whose cache key covers that
 * file) is not rebuilt when this one changes.
 */
#include <linux/version.h>
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 11, 0)
#include <linux/pci.h>

/* pcim_iomap_region() is from 6.11. */
static inline void __iomem *pcim_iomap_region(struct pci_dev *pdev, int bar,
					      const char *name)
{
	int ret = pcim_iomap_regions(pdev, BIT(bar), name);

	if (ret)
		return IOMEM_ERR_PTR(ret);
	return pcim_iomap_table(pdev)[bar];
}
#endif
