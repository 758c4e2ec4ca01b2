// SPDX-License-Identifier: GPL-2.0
/* A composite module; ->shutdown() is ->remove(). */
#include <linux/pci.h>

static void foo_remove(struct pci_dev *pdev) { }

static struct pci_driver foo_driver = {
	.name		= KBUILD_MODNAME,
	.id_table	= foo_ids,
	.probe		= foo_probe,
	.remove		= foo_remove,
	.shutdown	= foo_remove,	/* .shutdown = not_this, */
	.driver		= {
		.pm	= &foo_pm,
#ifdef CONFIG_PM
		.shutdown = "nested, not counted",
#endif
	},
	.err_handler	= &foo_err_handler,
};
module_pci_driver(foo_driver);
