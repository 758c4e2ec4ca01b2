/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Build the edu test driver against a kernel without the kexecq series,
 * for A/B runs.  Such a kernel cannot tell kexec from reboot: the best it
 * has is system_state, which is SYSTEM_RESTART for both, so this shim
 * reports kexec as "reboot" -- the very problem the series fixes.
 */
#include <linux/kernel.h>

enum shutdown_reason {
	SHUTDOWN_REASON_NONE = 0,
	SHUTDOWN_REASON_REBOOT,
	SHUTDOWN_REASON_HALT,
	SHUTDOWN_REASON_POWEROFF,
	SHUTDOWN_REASON_KEXEC,
};

static inline enum shutdown_reason system_shutdown_reason(void)
{
	switch (system_state) {
	case SYSTEM_RESTART:
		return SHUTDOWN_REASON_REBOOT;
	case SYSTEM_HALT:
		return SHUTDOWN_REASON_HALT;
	case SYSTEM_POWER_OFF:
		return SHUTDOWN_REASON_POWEROFF;
	default:
		return SHUTDOWN_REASON_NONE;
	}
}

static inline const char *shutdown_reason_name(enum shutdown_reason reason)
{
	static const char *const names[] = { "none", "reboot", "halt", "poweroff", "kexec" };

	return names[reason];
}
