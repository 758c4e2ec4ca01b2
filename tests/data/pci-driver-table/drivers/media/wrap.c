// SPDX-License-Identifier: GPL-2.0
/* A structure embedding a struct pci_driver: not counted, reported. */
struct wrap_extension {
	char name[32];
	struct pci_driver driver;
};

static struct wrap_extension wrap_ext = {
	.name = "wrap",
};
