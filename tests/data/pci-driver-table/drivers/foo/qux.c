// SPDX-License-Identifier: GPL-2.0
/* An array of drivers; members set through macros. */
#define QUX_OPS .remove = qux_remove, .shutdown = qux_shutdown
#define SET_QUX_SHUTDOWN(f) .shutdown = f

static struct pci_driver qux_drivers[] = {
	{ .name = "qux0", QUX_OPS },
	{ .name = "qux1", .remove = qux_remove, SET_QUX_SHUTDOWN(qux_remove) },
	{ .name = "qux2", FROBNICATE },
};

static int __init qux_init(void)
{
	int i;

	for (i = 0; i < 3; i++)
		pci_register_driver(&qux_drivers[i]);
	return 0;
}
