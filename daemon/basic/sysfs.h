/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Plain sysfs file access under an injectable root ("/sys" in production,
 * a directory tree in tests), like util-linux's ul_path.  Reading is for
 * anyone; writing is for exec.c alone.
 */
#pragma once

/* Reads <root>/<rel>, without the trailing newline. */
int sysfs_read(const char *root, const char *rel, char **ret);

/* The last component of the target of symlink <root>/<rel>. */
int sysfs_read_link_name(const char *root, const char *rel, char **ret);

/* 1 when <root>/<rel> exists, 0 when it does not, -errno when that cannot be told. */
int sysfs_exists(const char *root, const char *rel);
