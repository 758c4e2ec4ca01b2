// SPDX-License-Identifier: GPL-2.0
/* ->remove() and ->shutdown() set at run time by a helper. */
static void quux_helper(struct pci_driver *drv)
{
	drv->remove = quux_remove;
	drv->shutdown = quux_remove;
	pci_register_driver(drv);
}

static struct pci_driver quux_driver = {
	.name = "quux",
};

static int __init quux_init(void)
{
	quux_helper(&quux_driver);
	return 0;
}
