/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kexecq's own settings, /etc/kexecq/kexecq.conf (systemd.syntax(7), the
 * policy files' parser):
 *
 *   [Reboot]
 *   KexecByDefault=yes    kexecqd keeps the default kernel loaded and the
 *                         plan frozen, so that every reboot through
 *                         reboot.target is a quiesced kexec (kexecqd(8))
 *
 * Written by `kexecq enable|disable`, read by kexecqd.  A missing file is
 * the defaults; a broken one is an error naming file:line.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define SETTINGS_PATH "/etc/kexecq/kexecq.conf"
/* Where kexecqd puts systemd-reboot.service's drop-in while it has armed a kexec. */
#define REBOOT_DROPIN_DIR "/run/systemd/system/systemd-reboot.service.d"
#define REBOOT_DROPIN_NAME "50-kexecq.conf"

struct settings {
	bool kexec_by_default;
};

int settings_parse(const char *path, const char *text, size_t size, struct settings *ret);
/* -ENOENT is not an error: the defaults. */
int settings_read(const char *path, struct settings *ret);
/* Replace path with these settings (atomically, mode 0644). */
int settings_write(const char *path, const struct settings *s);
