// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>

#include "next-reboot.h"

unsigned systemd_major(const char *version)
{
	unsigned long v;
	char *end;

	if (!version || *version < '0' || *version > '9')
		return 0;
	v = strtoul(version, &end, 10);
	return v > 100000 ? 0 : (unsigned)v;
}

static void firmware(struct next_reboot *n, const char *reason, const char *hint)
{
	n->kexec = false;
	n->reason = reason;
	n->hint = hint;
}

void next_reboot_describe(const struct next_reboot_facts *f, struct next_reboot *n)
{
	size_t c = 0;

	*n = (struct next_reboot){};
	if (f->kexec_loaded == -ENOENT)
		return firmware(n, "this kernel has no kexec", NULL);
	if (f->kexec_loaded < 0)
		return firmware(n, "whether a kernel is loaded cannot be read",
				"see /sys/kernel/kexec_loaded");
	if (f->kexec_loaded == 0) {
		if (f->kexec_by_default > 0)
			return firmware(n, "no kernel is loaded, though kexec by default is on",
					"kexecqd arms the reboot: systemctl status kexecqd.service "
					"says why it did not");
		return firmware(n, "no kernel is loaded",
				f->kexec_by_default == 0 ?
					"kexecq reboot kexecs once; kexecq enable makes every "
					"reboot a kexec" :
					"the settings cannot be read (kexecq.conf(5))");
	}
	if (!f->systemd)
		return firmware(n, "PID 1 is not systemd: a reboot does not kexec",
				"kexecq reboot --now quiesces and kexecs");
	if (f->hook && f->frozen < 0)
		return firmware(n,
				"a kernel is loaded but the frozen plan cannot be read: kexecq's "
				"shutdown hook unloads it before the jump",
				"kexecq reboot loads, freezes and reboots in one go");

	n->kexec = true;
	n->plan = !f->hook	? NEXT_PLAN_NONE :
		  f->frozen > 0 ? NEXT_PLAN_FROZEN :
				  NEXT_PLAN_AT_SHUTDOWN;
	if (f->mine) {
		n->kernel = f->mine->into_kernel;
		n->initrd = f->mine->into_initrd;
		n->cmdline = f->mine->into_cmdline;
	}
	n->callers[c++] = "systemctl kexec";
	n->callers[c++] = "reboot";
	n->callers[c++] = "shutdown -r";
	if (f->dropin_loaded) {
		n->callers[c++] = "systemctl reboot";
		n->callers[c++] = "logind's Reboot";
		n->reason = "kexecqd's drop-in makes systemd-reboot.service kexec";
	} else if (systemd_major(f->systemd_version) >= 255) {
		n->callers[c++] = "systemctl reboot";
		n->reason =
			"systemd 255 and later kexec on systemctl reboot when a kernel is loaded";
		n->hint = "logind's Reboot called by others without its kexec flag (a desktop's "
			  "restart may be one) and systemctl start reboot.target go through the "
			  "firmware; kexecq enable makes them kexec too";
	} else {
		n->reason = "systemd before 255 reboots through the firmware on systemctl reboot "
			    "(systemd#26635)";
		n->hint = f->dropin ? "kexecqd's drop-in is there but systemd has not read it: "
				      "systemctl daemon-reload" :
				      "kexecq enable makes systemctl reboot kexec too";
	}
	n->callers[c] = NULL;
	/* What matters most goes last, where it is read. */
	if (n->plan == NEXT_PLAN_NONE)
		n->hint = "kexecq's systemd-shutdown hook is not installed: nothing quiesces the "
			  "devices (reinstall kexecq, or kexecq unload)";
	else if (!f->mine)
		n->hint = "the kernel was not loaded by kexecq in this boot";
}
