/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Build the edu test driver against a kernel without the kexecq series,
 * for A/B runs.  Such a kernel cannot tell kexec from reboot to a module:
 * kexec_in_progress is not exported, and system_state is SYSTEM_RESTART
 * for both, so the driver reports kexec as "reboot" -- the very problem
 * the series' first patch fixes.  Its drivers cannot opt in to ->remove()
 * on kexec either (kexec_remove=1 fails to load).
 */
#include <linux/types.h>

#define EDU_UNPATCHED 1

static inline bool kexec_shutdown_in_progress(void)
{
	return false;
}
