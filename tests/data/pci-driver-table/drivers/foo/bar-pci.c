// SPDX-License-Identifier: GPL-2.0
/* Name from a header found through ccflags -I, concatenated; the
 * definition spans lines and has an attribute; ->shutdown() is under
 * #ifdef, so the entry is conditional. */
#include "bar.h"

static struct pci_driver
bar_driver __refdata = {
	.name = DRV_NAME "_pci",
	.remove = bar_remove,
#ifdef CONFIG_BAR_SHUTDOWN
	.shutdown = bar_shutdown,
#endif
};

static int __init bar_init(void)
{
	return pci_register_driver(&bar_driver);
}
