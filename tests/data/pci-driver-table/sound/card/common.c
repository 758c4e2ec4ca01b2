// SPDX-License-Identifier: GPL-2.0
/* #included by card1.c and card2.c: one driver per including module. */
static struct pci_driver card_driver = {
	.name = KBUILD_MODNAME,
	.probe = card_probe,
};
module_pci_driver(card_driver);
