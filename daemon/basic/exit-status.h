/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Exit status of kexecq's commands: man/kexecq.8, EXIT STATUS. */
#pragma once

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1, /* a file, the inventory or the kernel image could not be read or loaded */
	EXIT_USAGE = 2, /* unknown command or option, missing argument */
	EXIT_POLICY = 3, /* a policy has errors or cannot be trusted */
	EXIT_PLAN = 4, /* the plan cannot be ordered */
	EXIT_AT_RISK = 5, /* check: a device is at risk */
	EXIT_ABORTED = 6, /* an OnFailure=abort step failed: rolled back, no kexec */
	EXIT_STEPS_FAILED = 7, /* apply: steps failed (the kexec goes on) */
	EXIT_STUCK = 8, /* a step was still in the kernel at the point of no return: no kexec */
	EXIT_DIFFERS = 9, /* verify: devices did not come back as they were before the kexec */
	EXIT_REFUSED =
		10, /* reboot, apply: a policy says a kexec is unsafe (Unsafe=), no --force */
	EXIT_INHIBITED = 11, /* reboot through kexecqd: a logind shutdown inhibitor blocks it */
};
