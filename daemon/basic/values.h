/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Value parsers shared by policy files (policy.c) and inventory
 * snapshots (snapshot.c), so that a value means the same in both and is
 * checked the same way.  Pure; no logging: callers say where.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest name (driver, module, device, interface) or id we accept. */
#define VALUE_NAME_MAX 255

/* "yes", "no", "1", "off", ...: 1, 0 or -EINVAL. */
int parse_boolean(const char *v);

/*
 * A time span as in systemd.time(7): "30", "30s", "1min 30s", "500ms".
 * A bare number is seconds.  -EINVAL on syntax, -ERANGE on overflow.
 */
int parse_timespan(const char *s, uint64_t *ret);

/*
 * A hex id of at most width digits ("0x10DF", "10df", "1") as the
 * inventory holds it: lower case, zero-padded to width ("10df", "0001").
 * -EINVAL when it is not hex or too long.
 */
int hex_id_normalize(const char *s, size_t width, char **ret);

/*
 * A match pattern for a hex id: a plain value as hex_id_normalize(), or
 * with prefix_short a shorter plain value as a prefix ("0104" for a
 * 6-digit class becomes "0104*"); a glob of hex digits and *?[]!- is
 * kept, lower-cased.  The result is sized from the input, whatever the
 * width.  -EINVAL for anything else.
 */
int hex_pattern_normalize(const char *pat, size_t width, bool prefix_short, char **ret);

/*
 * A name as sysfs spells drivers, modules, devices and interfaces:
 * 1..VALUE_NAME_MAX printable ASCII characters, no space, no "/", not "."
 * or "..".
 */
bool name_is_valid(const char *s);

/*
 * An absolute sysfs path: "/" followed by names as above joined by single
 * slashes, no "." or ".." components, no trailing slash, shorter than
 * PATH_MAX.
 */
bool syspath_is_valid(const char *s);

/*
 * The series of a kernel release or version: "6.18.44-fc" -> major 6,
 * minor 18; -EINVAL when it does not start so.
 */
int kernel_series(const char *s, unsigned *major, unsigned *minor);

/* Valid UTF-8 without control characters, at most max bytes. */
bool text_is_valid(const char *s, size_t max);
