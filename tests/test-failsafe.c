// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The last resort (failsafe.c) against files that stand in for
 * /proc/self/mountinfo and /proc/sysrq-trigger: what is asked of the kernel
 * is what lands in the file.  The real restart is exercised in tests/vm
 * (reboot-hang-forever, reboot-hang-systemd).  And the journal (journal.c):
 * its writer never holds up the caller, and it keeps to the kernel's
 * /dev/kmsg burst.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exec.h"
#include "failsafe.h"
#include "journal.h"
#include "testlib.h"

static char *slurp(const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = 0;
	close(fd);
	return buf;
}

static uint64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

/* The paths testtmp_write() gave a failsafe, freed at the end of the test. */
static void failsafe_paths_free(struct failsafe *f)
{
	free((char *)f->sysrq);
	free((char *)f->mountinfo);
}

START_TEST(test_nothing_to_do_when_read_only)
{
	_cleanup_free_ char *dir = testtmp_dir();
	_cleanup_(failsafe_paths_free) struct failsafe f = {
		.sysrq = testtmp_write(dir, "sysrq", ""),
		.mountinfo = testtmp_write(
			dir, "mountinfo",
			"22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
			"36 22 259:1 / /data ro,noatime - ext2 /dev/nvme0n1p1 ro,errors=continue\n"
			"37 22 0:33 / /run rw - tmpfs tmpfs rw,mode=755\n"),
	};

	ck_assert_int_eq(failsafe_filesystems(&f, 200000), 0);
	/* Nothing was asked of the kernel. */
	ck_assert_str_eq(slurp(f.sysrq), "");
}
END_TEST

START_TEST(test_remount_asked_and_bounded)
{
	_cleanup_free_ char *dir = testtmp_dir();
	_cleanup_(failsafe_paths_free) struct failsafe f = {
		.sysrq = testtmp_write(dir, "sysrq", ""),
		.mountinfo = testtmp_write(
			dir, "mountinfo",
			"36 22 259:1 / /data rw,noatime - ext2 /dev/nvme0n1p1 rw,errors=continue\n"
			"38 22 8:17 / /mnt/with\\040space rw - xfs /dev/sdb1 rw,attr2\n"
			/* btrfs reports an anonymous device number: its source tells. */
			"40 22 0:45 / /home rw - btrfs /dev/sda2 rw,ssd,subvol=/home\n"
			"41 22 0:46 / /tmp rw - tmpfs tmpfs rw\n"
			/* FUSE's source is its mounter's choice: not a disk. */
			"42 22 0:50 / /home/alice/r rw - fuse.sshfs /dev/nvme0n1p1 rw,user_id=1000\n"),
	};
	uint64_t t0 = mono_usec();

	/* The file never turns read-only: all three still read-write when the budget ends. */
	ck_assert_int_eq(failsafe_filesystems(&f, 300000), 3);
	ck_assert_str_eq(slurp(f.sysrq), "u");
	ck_assert_uint_ge(mono_usec() - t0, 150000);
}
END_TEST

START_TEST(test_restart_that_returns_is_an_error)
{
	_cleanup_free_ char *dir = testtmp_dir();
	_cleanup_free_ char *sysrq = testtmp_write(dir, "sysrq", ""), *missing = NULL;
	struct failsafe f = { .sysrq = sysrq, .mountinfo = "/nonexistent" };

	ck_assert_int_eq(failsafe_restart(&f), -EIO);
	ck_assert_str_eq(slurp(f.sysrq), "b");
	ck_assert_int_ge(asprintf(&missing, "%s/no-sysrq", dir), 0);
	f.sysrq = missing;
	ck_assert_int_eq(failsafe_restart(&f), -ENOENT);
	ck_assert_int_eq(failsafe_filesystems(&f, 1000), -ENOENT);
}
END_TEST

START_TEST(test_watchdog_missing)
{
	_cleanup_free_ char *error = NULL;

	ck_assert_int_eq(watchdog_arm("/nonexistent/watchdog0", 60, &error), -ENOENT);
	ck_assert_ptr_nonnull(strstr(error, "/nonexistent/watchdog0"));
}
END_TEST

/*
 * The journal's writer owns the output: a reader that never reads (a
 * terminal stopped with Ctrl-S, a full pipe) blocks the writer, not the
 * caller, and closing gives up after its bound.
 */
START_TEST(test_journal_never_blocks_the_caller)
{
	_cleanup_free_ char *dir = testtmp_dir();
	struct journal *j = journal_open(dir, NULL);
	int p[2];
	FILE *out;
	char junk[4096];
	uint64_t t0;

	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(pipe(p), 0);
	/* Fill the pipe, then make it blocking again: the next write blocks. */
	ck_assert_int_eq(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	memset(junk, 'x', sizeof(junk));
	while (write(p[1], junk, sizeof(junk)) > 0)
		;
	ck_assert_int_eq(fcntl(p[1], F_SETFL, 0), 0);
	out = fdopen(p[1], "w");
	ck_assert_ptr_nonnull(out);

	t0 = mono_usec();
	for (int i = 0; i < 1000; i++) {
		journal_print(j, out, "line %d\n", i);
		journal_log(j, LOG_INFO, "logged %d", i);
	}
	ck_assert_uint_lt(mono_usec() - t0, 1000000);
	ck_assert_int_eq(journal_flush(j, 100000), -ETIMEDOUT);
	t0 = mono_usec();
	ck_assert_ptr_null(journal_close(j)); /* the writer is left behind, blocked */
	ck_assert_uint_lt(mono_usec() - t0, JOURNAL_CLOSE_USEC + 1000000);
	/* Let the writer finish, or the process's exit would flush `out` into the full pipe. */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	for (int idle = 0; idle < 20;) {
		if (read(p[0], junk, sizeof(junk)) > 0)
			idle = 0;
		else {
			idle++;
			usleep(10000);
		}
	}
}
END_TEST

/*
 * Warnings and errors are not starved by the kernel's limit of 10 records
 * every 5 s: with the window used up by info lines, an error still goes
 * out at once (the review found the reason for a restart stuck behind
 * step lines).
 */
START_TEST(test_journal_kmsg_errors_first)
{
	_cleanup_free_ char *dir = testtmp_dir();
	_cleanup_free_ char *kmsg = NULL;
	struct journal *j;
	const char *k;
	int records = 0;

	ck_assert_int_ge(asprintf(&kmsg, "%s/kmsg", dir), 0);
	close(open(kmsg, O_WRONLY | O_CREAT, 0600));
	j = journal_open(NULL, kmsg);
	ck_assert_ptr_nonnull(j);
	/* Alternate levels: each line its own record. */
	for (int i = 0; i < 12; i++)
		journal_log(j, i % 2 ? LOG_NOTICE : LOG_INFO, "step %d done", i);
	journal_log(j, LOG_CRIT, "step 3 is stuck in the kernel");
	journal_log(j, LOG_ERR, "loaded kernel unloaded");
	/* The info backlog waits for the next window; the flush gives up. */
	ck_assert_int_eq(journal_flush(j, 500000), -ETIMEDOUT);
	k = slurp(kmsg);
	for (const char *p = k; (p = strchr(p, '<')); p++)
		records++;
	ck_assert_int_le(records, 10);
	/* Both urgent lines made it (packed into one record when they came together). */
	ck_assert_ptr_nonnull(strstr(k, "kexecq: step 3 is stuck in the kernel\n"));
	ck_assert_ptr_nonnull(strstr(k, "kexecq: loaded kernel unloaded\n"));
	ck_assert_ptr_null(strstr(k, "step 11 done"));
	ck_assert_ptr_null(journal_close(j));
}
END_TEST

/* The same when warnings (failed steps) and info lines alternate: the reason still goes first. */
START_TEST(test_journal_kmsg_reason_before_warnings)
{
	_cleanup_free_ char *dir = testtmp_dir();
	_cleanup_free_ char *kmsg = NULL;
	struct journal *j;

	ck_assert_int_ge(asprintf(&kmsg, "%s/kmsg", dir), 0);
	close(open(kmsg, O_WRONLY | O_CREAT, 0600));
	j = journal_open(NULL, kmsg);
	ck_assert_ptr_nonnull(j);
	for (int i = 0; i < 20; i++) {
		journal_log(j, LOG_INFO, "step %d done", 2 * i);
		journal_log(j, LOG_WARNING, "step %d failed", 2 * i + 1);
	}
	journal_log(j, LOG_ERR, "step 7 failed and its policy says OnFailure=abort: no kexec");
	ck_assert_int_eq(journal_flush(j, 1000000), -ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(slurp(kmsg), "kexecq: step 7 failed and its policy says "
						  "OnFailure=abort: no kexec\n"));
	ck_assert_ptr_null(journal_close(j));
}
END_TEST

/*
 * The executor's review found the deadline stalled by a stopped terminal
 * (8 s past a 1 s deadline): progress was printed on the thread that keeps
 * the deadlines.  With the run's callbacks writing through the journal, as
 * reboot.c's do, a blocked reader stalls only the journal's writer.
 */
static int hang_fd = -1;

static int t_prepare(void *u, const struct step *st, void **ret)
{
	(void)u;
	*ret = strdup(st->object);
	return *ret ? 0 : -ENOMEM;
}

static int t_run(void *job, char **m)
{
	char c;

	(void)m;
	if (streq(job, "hang"))
		while (read(hang_fd, &c, 1) < 0 && errno == EINTR)
			;
	return 0;
}

static int t_undo(void *job, char **m)
{
	(void)job;
	(void)m;
	return 0;
}

static const struct exec_ops t_ops = { t_prepare, t_run, t_undo, free };

static void t_on_end(void *userdata, const struct exec_report *r, size_t i)
{
	struct journal *j = userdata;
	_cleanup_free_ char *line = exec_step_line(r, i);

	journal_print(j, stdout, "%s\n", strna(line));
	journal_step_ended(j, r, i);
}

START_TEST(test_deadline_kept_with_stopped_terminal)
{
	_cleanup_free_ char *dir = testtmp_dir();
	struct journal *j = journal_open(dir, NULL);
	struct step st[2] = {
		{ .id = 1, .object = (char *)"ok", .timeout_usec = 500000 },
		{ .id = 2, .object = (char *)"hang", .timeout_usec = 500000 },
	};
	struct plan p = { .steps = st, .n = 2 };
	struct exec_options eo = {
		.deadline_usec = 1000000, .ops = &t_ops, .on_end = t_on_end, .event_userdata = j
	};
	_cleanup_(exec_report_freep) struct exec_report *r = NULL;
	int hang[2], out[2];
	char junk[4096];
	uint64_t t0;

	ck_assert_int_eq(pipe(hang), 0);
	hang_fd = hang[0];
	/* stdout: a pipe nobody reads, full. */
	ck_assert_int_eq(pipe(out), 0);
	ck_assert_int_eq(fcntl(out[1], F_SETFL, O_NONBLOCK), 0);
	memset(junk, 'x', sizeof(junk));
	while (write(out[1], junk, sizeof(junk)) > 0)
		;
	ck_assert_int_eq(fcntl(out[1], F_SETFL, 0), 0);
	ck_assert_int_ge(dup2(out[1], STDOUT_FILENO), 0);

	t0 = mono_usec();
	ck_assert_int_eq(exec_run(&p, &eo, &r), 0);
	ck_assert_uint_lt(mono_usec() - t0, 1500000);
	ck_assert_int_eq(r->results[1].state, STATE_TIMED_OUT);
	ck_assert(r->results[1].stuck);
	/* Now read the pipe: the writer catches up and the journal closes in time. */
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	for (int idle = 0; idle < 20;) {
		if (read(out[0], junk, sizeof(junk)) > 0)
			idle = 0;
		else {
			idle++;
			usleep(10000);
		}
	}
	ck_assert_int_eq(journal_flush(j, 1000000), 0);
	ck_assert_ptr_null(journal_close(j));
	ck_assert_int_eq(write(hang[1], "x", 1), 1); /* and the hung step returns */
}
END_TEST

/* Lines reach the file in order, and kmsg records pack lines of one level. */
START_TEST(test_journal_kmsg_packs_lines)
{
	_cleanup_free_ char *dir = testtmp_dir();
	_cleanup_free_ char *kmsg = NULL, *file = NULL;
	struct journal *j;
	const char *k, *fl;
	int records = 0;

	ck_assert_int_ge(asprintf(&kmsg, "%s/kmsg", dir), 0);
	ck_assert_int_ge(asprintf(&file, "%s/journal", dir), 0);
	close(open(kmsg, O_WRONLY | O_CREAT, 0600));
	j = journal_open(dir, kmsg);
	ck_assert_ptr_nonnull(j);
	for (int i = 0; i < 30; i++)
		journal_log(j, LOG_INFO, "step %d done", i);
	journal_log(j, LOG_ERR, "it failed");
	/* Two kmsg windows at most, even if the lines came apart on a loaded machine. */
	ck_assert_int_eq(journal_flush(j, 12000000), 0);
	ck_assert_ptr_null(journal_close(j));

	k = slurp(kmsg);
	/* Every line made it, each with its prefix, packed into few records. */
	for (int i = 0; i < 30; i++) {
		char needle[64];

		snprintf(needle, sizeof(needle), "kexecq: step %d done\n", i);
		ck_assert_ptr_nonnull(strstr(k, needle));
	}
	for (const char *p = k; (p = strstr(p, "<14>")); p++)
		records++;
	ck_assert_int_ge(records, 1);
	ck_assert_int_le(records, 20);
	ck_assert_ptr_nonnull(strstr(k, "<11>kexecq: it failed\n"));
	fl = slurp(file);
	ck_assert_ptr_nonnull(strstr(fl, "step 0 done"));
	ck_assert(strstr(fl, "step 0 done") < strstr(fl, "step 29 done"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("failsafe");
	TCase *tc = test_tcase("failsafe");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_nothing_to_do_when_read_only);
	tcase_add_test(tc, test_remount_asked_and_bounded);
	tcase_add_test(tc, test_restart_that_returns_is_an_error);
	tcase_add_test(tc, test_watchdog_missing);
	tcase_add_test(tc, test_journal_never_blocks_the_caller);
	tcase_add_test(tc, test_journal_kmsg_packs_lines);
	tcase_add_test(tc, test_deadline_kept_with_stopped_terminal);
	tcase_add_test(tc, test_journal_kmsg_errors_first);
	tcase_add_test(tc, test_journal_kmsg_reason_before_warnings);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
