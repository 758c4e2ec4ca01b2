// SPDX-License-Identifier: GPL-2.0
/*
 * Test driver for device shutdown on kexec, for QEMU's "edu" PCI device
 * (qemu-system-x86_64 -device edu, 1234:11e8).  Test-only: built out of
 * tree by kexecq's VM bench (tests/vm/kbuild.sh) against each kernel it
 * boots, with and without the series; not part of the series.
 *
 * Module parameters choose whether the driver has a ->shutdown() callback,
 * how long ->shutdown() and ->remove() take, whether they hang, whether
 * probe fails and whether userspace may unbind the driver.  Each callback
 * logs what ran and why, for example
 *
 *   edu_kexec_test 0000:00:04.0: callback=remove reason=kexec
 *
 * so that a test can check what the PCI core called on kexec, reboot or
 * unbind (reason=none).
 *
 * With irq=1 each device installs a shared, device-managed interrupt
 * handler, and ->shutdown() and ->remove() first make their device raise
 * an interrupt: every handler on a shared line then runs, also one whose
 * device was removed earlier if its handler is still installed, which is
 * reported ("handler ran after ->remove()").  A second ->remove() of one
 * device is reported too ("->remove() called twice").
 *
 * Both callbacks log whether the bridge above the device, if any, is
 * still a bus master ("upstream bridge 0000:00:05.0 bus master on"):
 * on kexec it must stay one until the devices below are shut down.
 *
 * kexec_remove=1 sets struct pci_driver.kexec_remove (the series' opt-in).
 */

#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/kexec.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/reboot.h>

#define EDU_REG_ID		0x00	/* 0xRRrr00ed: major, minor version */
#define EDU_REG_LIVENESS	0x04	/* reads back the inverse of a write */
#define EDU_REG_STATUS		0x20	/* bit 7: raise an IRQ on completion */
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64
#define EDU_IRQ_TEST		0x100	/* the interrupt status bit we raise */

static bool has_shutdown = true;
module_param(has_shutdown, bool, 0444);
MODULE_PARM_DESC(has_shutdown,
		 "Register a ->shutdown() callback (default: true; load time only)");

static unsigned int shutdown_delay_ms;
module_param(shutdown_delay_ms, uint, 0644);
MODULE_PARM_DESC(shutdown_delay_ms, "Milliseconds ->shutdown() takes (default: 0)");

static unsigned int remove_delay_ms;
module_param(remove_delay_ms, uint, 0644);
MODULE_PARM_DESC(remove_delay_ms, "Milliseconds ->remove() takes (default: 0)");

static bool hang;
module_param(hang, bool, 0644);
MODULE_PARM_DESC(hang,
		 "Make ->shutdown() and ->remove() wait until hang is cleared (default: false)");

static char *hang_only;
module_param(hang_only, charp, 0444);
MODULE_PARM_DESC(hang_only,
		 "With hang: only the callbacks of this device (PCI address) hang (default: all)");

static bool fail;
module_param(fail, bool, 0644);
MODULE_PARM_DESC(fail, "Make probe fail with -EIO (default: false)");

static bool fail_unbind;
module_param(fail_unbind, bool, 0444);
MODULE_PARM_DESC(fail_unbind,
		 "No bind and unbind attributes: unbinding from userspace fails (default: false; load time only)");

static bool kexec_remove;
module_param(kexec_remove, bool, 0444);
MODULE_PARM_DESC(kexec_remove,
		 "Opt in to ->remove() on kexec (struct pci_driver.kexec_remove; default: false; load time only)");

static bool irq;
module_param(irq, bool, 0444);
MODULE_PARM_DESC(irq,
		 "Install a shared interrupt handler and raise an interrupt in ->shutdown() and ->remove() (default: false)");

/*
 * What outlives a device's driver data: whether its ->remove() ran.  A
 * handler left installed after ->remove() or a second ->remove() finds
 * it here, not in memory that may be gone.
 */
#define EDU_MAX_DEVICES 256
static struct edu_slot {
	struct pci_dev *pdev;
	bool removed;
} edu_slots[EDU_MAX_DEVICES];
static DEFINE_SPINLOCK(edu_slots_lock);

struct edu {
	void __iomem *mmio;
	struct edu_slot *slot;
	atomic_t irqs;
};

static struct edu_slot *edu_slot_get(struct pci_dev *pdev)
{
	struct edu_slot *slot = NULL;
	int i;

	spin_lock(&edu_slots_lock);
	for (i = 0; i < EDU_MAX_DEVICES && !slot; i++)
		if (edu_slots[i].pdev == pdev)
			slot = &edu_slots[i];
	for (i = 0; i < EDU_MAX_DEVICES && !slot; i++)
		if (!edu_slots[i].pdev)
			slot = &edu_slots[i];
	if (slot) {
		slot->pdev = pdev;
		slot->removed = false;
	}
	spin_unlock(&edu_slots_lock);
	return slot;
}

static irqreturn_t edu_irq(int irqno, void *data)
{
	struct edu *edu = data;
	u32 status;

	if (READ_ONCE(edu->slot->removed))
		pr_err("%s: %s: interrupt handler ran after ->remove()\n",
		       KBUILD_MODNAME, pci_name(edu->slot->pdev));
	status = ioread32(edu->mmio + EDU_REG_IRQ_STATUS);
	if (!status)
		return IRQ_NONE;
	iowrite32(status, edu->mmio + EDU_REG_IRQ_ACK);
	atomic_inc(&edu->irqs);
	return IRQ_HANDLED;
}

/* Raise an interrupt on the line and wait until our handler saw it. */
static void edu_raise_irq(struct pci_dev *pdev, struct edu *edu)
{
	int seen = atomic_read(&edu->irqs), i;

	iowrite32(EDU_IRQ_TEST, edu->mmio + EDU_REG_IRQ_RAISE);
	for (i = 0; i < 100 && atomic_read(&edu->irqs) == seen; i++)
		usleep_range(1000, 2000);
	dev_info(&pdev->dev, "raised an interrupt: %s\n",
		 atomic_read(&edu->irqs) != seen ? "handled" : "not seen");
}

/* What the series' kexec context and system_state say. */
static const char *edu_reason(void)
{
	if (kexec_shutdown_in_progress())
		return "kexec";
	switch (system_state) {
	case SYSTEM_RESTART:
		return "reboot";
	case SYSTEM_HALT:
		return "halt";
	case SYSTEM_POWER_OFF:
		return "poweroff";
	default:
		return "none";
	}
}

/* Is the bridge above still forwarding the device's DMA? */
static void edu_log_bridge(struct pci_dev *pdev)
{
	struct pci_dev *bridge = pci_upstream_bridge(pdev);
	u16 cmd;

	if (!bridge)
		return;
	pci_read_config_word(bridge, PCI_COMMAND, &cmd);
	dev_info(&pdev->dev, "upstream bridge %s bus master %s\n",
		 pci_name(bridge), cmd & PCI_COMMAND_MASTER ? "on" : "off");
}

static bool edu_hangs(struct pci_dev *pdev)
{
	return READ_ONCE(hang) && (!hang_only || !strcmp(hang_only, pci_name(pdev)));
}

/* What ->shutdown() and ->remove() both do: stop interrupts and DMA. */
static void edu_quiesce(struct pci_dev *pdev, const char *callback,
			unsigned int delay_ms)
{
	struct edu *edu = pci_get_drvdata(pdev);
	ktime_t start = ktime_get();

	dev_info(&pdev->dev, "callback=%s reason=%s\n", callback, edu_reason());
	if (irq)
		edu_raise_irq(pdev, edu);
	edu_log_bridge(pdev);

	if (edu_hangs(pdev)) {
		dev_info(&pdev->dev, "callback=%s hanging until hang=0\n",
			 callback);
		while (READ_ONCE(hang))
			msleep(100);
	}
	if (delay_ms)
		msleep(delay_ms);

	iowrite32(0, edu->mmio + EDU_REG_STATUS);
	iowrite32(ioread32(edu->mmio + EDU_REG_IRQ_STATUS),
		  edu->mmio + EDU_REG_IRQ_ACK);
	pci_clear_master(pdev);

	dev_info(&pdev->dev, "callback=%s done in %lld ms\n", callback,
		 ktime_ms_delta(ktime_get(), start));
}

static void edu_shutdown(struct pci_dev *pdev)
{
	edu_quiesce(pdev, "shutdown", READ_ONCE(shutdown_delay_ms));
}

static void edu_remove(struct pci_dev *pdev)
{
	struct edu *edu = pci_get_drvdata(pdev);

	if (READ_ONCE(edu->slot->removed))
		dev_err(&pdev->dev, "->remove() called twice\n");
	edu_quiesce(pdev, "remove", READ_ONCE(remove_delay_ms));
	WRITE_ONCE(edu->slot->removed, true);
}

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu *edu;
	u32 ident;
	int ret;

	if (READ_ONCE(fail))
		return dev_err_probe(&pdev->dev, -EIO, "failing probe (fail=1)\n");

	edu = devm_kzalloc(&pdev->dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->slot = edu_slot_get(pdev);
	if (!edu->slot)
		return dev_err_probe(&pdev->dev, -ENOSPC, "more than %d devices\n",
				     EDU_MAX_DEVICES);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;

	edu->mmio = pcim_iomap_region(pdev, 0, KBUILD_MODNAME);
	if (IS_ERR(edu->mmio))
		return PTR_ERR(edu->mmio);

	ident = ioread32(edu->mmio + EDU_REG_ID);
	if ((ident & 0xff) != 0xed)
		return dev_err_probe(&pdev->dev, -ENODEV,
				     "not an edu device (id %#x)\n", ident);

	iowrite32(0x5a5a5a5a, edu->mmio + EDU_REG_LIVENESS);
	if (ioread32(edu->mmio + EDU_REG_LIVENESS) != ~0x5a5a5a5aU)
		return dev_err_probe(&pdev->dev, -EIO, "liveness check failed\n");

	if (irq) {
		ret = devm_request_irq(&pdev->dev, pdev->irq, edu_irq,
				       IRQF_SHARED, KBUILD_MODNAME, edu);
		if (ret)
			return dev_err_probe(&pdev->dev, ret, "no IRQ %d\n",
					     pdev->irq);
	}
	pci_set_master(pdev);
	pci_set_drvdata(pdev, edu);
	dev_info(&pdev->dev, "bound: edu %u.%u, shutdown callback %s, irq %s\n",
		 ident >> 24, (ident >> 16) & 0xff,
		 has_shutdown ? "yes" : "no", irq ? "shared" : "none");
	return 0;
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name		= KBUILD_MODNAME,
	.id_table	= edu_ids,
	.probe		= edu_probe,
	.remove		= edu_remove,
};

static int __init edu_init(void)
{
	if (has_shutdown)
		edu_driver.shutdown = edu_shutdown;
	edu_driver.driver.suppress_bind_attrs = fail_unbind;
#ifndef EDU_UNPATCHED
	edu_driver.kexec_remove = kexec_remove;
#else
	if (kexec_remove)
		return -EINVAL;
#endif
	return pci_register_driver(&edu_driver);
}
module_init(edu_init);

static void __exit edu_exit(void)
{
	pci_unregister_driver(&edu_driver);
}
module_exit(edu_exit);

MODULE_DESCRIPTION("Test driver for device shutdown on kexec (QEMU edu device)");
MODULE_LICENSE("GPL");
