/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logging.  Every module logs through here; front ends choose where it
 * goes (stderr, a test buffer, later the journal) with log_set_fn().
 *
 *     return log_error_errno(r, "Failed to read %s: %m", path);
 *
 * logs and propagates a negative errno in one line; %m expands to it.
 */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <syslog.h>

#include "macro.h"

typedef void (*log_fn_t)(int level, const char *msg, void *userdata);

void log_set_fn(log_fn_t fn, void *userdata);
/* The function in force, to put it back after a log_set_fn(). */
void log_get_fn(log_fn_t *ret_fn, void **ret_userdata);
void log_set_max_level(int level);
int log_get_max_level(void);
/* Parses "err", "warning", "info", "debug" or a number 0..7. */
int log_level_from_string(const char *s);

int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_full_errno(level, error, ...)                                          \
	({                                                                         \
		int _l_ = (level), _e_ = (error);                                  \
		_l_ <= log_get_max_level() ? log_internal(_l_, _e_, __VA_ARGS__) : \
					     (_e_ > 0 ? -_e_ : _e_);               \
	})

#define log_debug(...) (void)log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) (void)log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) (void)log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) (void)log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) (void)log_full_errno(LOG_ERR, 0, __VA_ARGS__)

#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, e, __VA_ARGS__)

/* Out of memory: log once, return -ENOMEM. */
#define log_oom() log_full_errno(LOG_ERR, ENOMEM, "Out of memory.")
