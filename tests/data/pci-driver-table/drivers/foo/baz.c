// SPDX-License-Identifier: GPL-2.0
/* Name from a char array; ->shutdown() only calls ->remove(); a second
 * definition under #if 0 is ignored; driver_managed_dma. */
static const char baz_name[] = "baz";

static void baz_remove(struct pci_dev *pdev) { }

static void baz_shutdown(struct pci_dev *pdev)
{
	baz_remove(pdev);
}

static struct pci_driver baz_driver = {
	.name = baz_name,
	.remove = baz_remove,
	.shutdown = baz_shutdown,
	.driver_managed_dma = true,
};

#if 0
static struct pci_driver old_baz_driver = {
	.name = "old_baz",
};
#endif

#ifdef CONFIG_PM
static void nothing_shutdown(struct pci_dev *pdev) { }
#else
#define nothing_shutdown NULL
#endif
#define never_shutdown NULL

/* ->shutdown() is a macro that is NULL in one branch: conditional. */
static struct pci_driver nothing_driver = {
	.name = "nothing",
	.shutdown = nothing_shutdown,
	.remove = NULL,
};

/* ->shutdown() is always NULL: counted as absent. */
static struct pci_driver never_driver = {
	.name = get_name(),
	.shutdown = never_shutdown,
};

static int __init baz_init(void)
{
	pci_register_driver(&baz_driver);
	pci_register_driver(&nothing_driver);
	return pci_register_driver(&never_driver);
}
