/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the Check suites. */
#pragma once

#include <check.h>
#include <stdbool.h>

#include "inventory.h"
#include "plan.h"
#include "policy-set.h"

/* Capture everything logged, for asserting on messages. */
void testlog_start(void);
const char *testlog_text(void);
bool testlog_contains(const char *needle);
void testlog_stop(void);

/* A fresh directory under $TMPDIR, removed by testtmp_cleanup(). */
char *testtmp_dir(void);
void testtmp_cleanup(void);
/* Write content to dir/name (mode 0644) and return the path. */
char *testtmp_write(const char *dir, const char *name, const char *content);

/*
 * Build the fake sysfs TESTDATA/sysfs/<name>.tree in a fresh temporary
 * directory and return its root ("d DIR", "f FILE CONTENT", "l LINK TARGET").
 */
char *test_sysfs_tree(const char *name);

/* Load TESTDATA/inventory/<name>.json, or fail the test. */
struct inventory *test_inventory(const char *name);
/* Load policies from TESTDATA/policy/<name>/ (RUNTIME mode), or fail. */
struct policy_set *test_policies(const char *name);
/* Parse one policy from a string, or fail. */
struct policy *test_policy_from_string(const char *name, const char *text);

/* Index of the first step of type on object, or -1. */
int plan_find(const struct plan *p, enum step_type t, const char *object);
/* True when step a (index) is a transitive prerequisite of step b. */
bool plan_before(const struct plan *p, int a, int b);

/* A test case whose temporary directories are removed after each test. */
TCase *test_tcase(const char *name);
int test_run_suite(Suite *s);
