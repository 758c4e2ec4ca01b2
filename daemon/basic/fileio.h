/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small files written whole and atomically (reading: conf-parser.h, read_regular_fd()). */
#pragma once

#include <sys/types.h>

/*
 * Replace path by content, mode mode: a temporary file beside it, fsync'd,
 * renamed over it, so that a reader sees the old file or the new one,
 * never half of either.  0 or -errno (nothing left behind).
 */
int write_file_atomic(const char *path, const char *content, mode_t mode);
