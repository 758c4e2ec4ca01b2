/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The only file that talks rtnetlink (through libmnl): set an interface
 * up or down, as `ip link set dev NAME up|down` does, without running ip.
 */
#pragma once

#include <stdbool.h>

/*
 * Set IFF_UP on interface ifname (up) or clear it.  Returns 0, or -errno
 * from the kernel's answer (-ENODEV: no such interface).  Each call uses
 * its own socket, so it may be called from any thread.
 */
int netlink_link_set_up(const char *ifname, bool up);
