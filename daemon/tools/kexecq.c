// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kexecq: the admin command.  A thin front end: parse arguments, call the
 * pipeline (policy → inventory → match → plan), print.  Exit codes are
 * documented in man/kexecq.8.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bus.h"
#include "conf-files.h"
#include "driver-table.h"
#include "exit-status.h"
#include "freeze.h"
#include "inventory.h"
#include "kexec-load.h"
#include "log.h"
#include "match.h"
#include "plan-output.h"
#include "plan.h"
#include "client.h"
#include "policy-set.h"
#include "query.h"
#include "exec.h"
#include "fileio.h"
#include "journal-read.h"
#include "plot-output.h"
#include "reboot.h"
#include "record.h"
#include "scan.h"
#include "settings.h"
#include "snapshot.h"
#include "string-util.h"
#include "strv.h"
#include "values.h"
#include "verify-output.h"
#include "verify.h"

/* The verbs, as bits, so that each option can say where it belongs. */
enum verb {
	VERB_PLAN = 1 << 0,
	VERB_CHECK = 1 << 1,
	VERB_INVENTORY = 1 << 2,
	VERB_POLICY = 1 << 3, /* verify, list, cat */
	VERB_LOAD = 1 << 4,
	VERB_UNLOAD = 1 << 5,
	VERB_REBOOT = 1 << 6,
	VERB_APPLY = 1 << 7,
	VERB_VERIFY = 1 << 8,
	VERB_STATUS = 1 << 9,
	VERB_ENABLE = 1 << 10, /* and disable */
	VERB_PLOT = 1 << 11,
	VERB_ANY = VERB_PLAN | VERB_CHECK | VERB_INVENTORY | VERB_POLICY | VERB_LOAD | VERB_UNLOAD |
		   VERB_REBOOT | VERB_APPLY | VERB_VERIFY | VERB_STATUS | VERB_ENABLE | VERB_PLOT,
};

static struct {
	char **policy_dirs;
	const char *sysfs;
	const char *moddir;
	const char *mountinfo;
	const char *inventory;
	const char *save;
	bool json;
	bool explain;
	bool dot;
	bool ignore_policy_errors;
	bool help;
	/* load, reboot, apply */
	const char *kernel, *initrd, *append, *rundir, *stage;
	bool reuse_cmdline, dry_run, now, force;
	unsigned jobs;
	uint64_t deadline_usec;
	int if_stuck;
	unsigned watchdog_sec;
	bool ignore_inhibitors;
	/* reboot, verify, status */
	const char *state_dir, *proc, *record;
	/* check */
	const char *tables;
	bool tables_explicit;
	/* plan, check, load, unload, reboot */
	bool no_daemon;
	/* enable, disable */
	const char *config;
	/* plot */
	const char *journal, *output;
} arg = {
	.tables = DRIVER_TABLE_DIR,
	.sysfs = "/sys",
	.mountinfo = "/proc/self/mountinfo",
	.rundir = "/run/kexecq",
	.state_dir = "/var/lib/kexecq",
	.proc = "/proc",
};

static void log_cli(int level, const char *msg, void *userdata)
{
	(void)userdata;
	if (level <= LOG_ERR)
		fprintf(stderr, "kexecq: %s\n", msg);
	else if (level == LOG_WARNING)
		fprintf(stderr, "kexecq: warning: %s\n", msg);
	else
		fprintf(stderr, "%s\n", msg);
}

/* ---- help ------------------------------------------------------------- */

static const char common_help[] = "Options of every command:\n"
				  "  -h --help              Show help\n"
				  "     --log-level=LEVEL   err, warning, info or debug\n";

static const char policy_dir_help[] =
	"  -P --policy-dir=DIR    Read policies from DIR (repeatable, highest\n"
	"                         precedence first; replaces the default search\n"
	"                         path /etc, /run, /usr/lib kexecq/policy.d)\n";

#define SYSFS_HELP "     --sysfs=DIR         Root of sysfs (default /sys)\n"
#define MODDIR_HELP "     --moddir=DIR        Kernel modules (default /lib/modules/`uname -r`)\n"

static const char source_help[] =
	"     --inventory=FILE    Use a saved snapshot instead of this machine\n" SYSFS_HELP
		MODDIR_HELP "     --proc=DIR          Root of procfs (default /proc)\n";

static const char mountinfo_help[] =
	"     --mountinfo=FILE    What is mounted (default /proc/self/mountinfo)\n";

static const char ignore_help[] =
	"     --ignore-policy-errors\n"
	"                         Skip broken or untrusted policy files (warnings);\n"
	"                         the next file of the same name governs\n";

static int help_main(void)
{
	printf("Usage: kexecq [OPTIONS…] COMMAND …\n\n"
	       "Quiesce devices before kexec, driven by per-driver policy.\n\n"
	       "Commands:\n"
	       "  plan                   Show what would be done before a kexec\n"
	       "  check                  List devices at risk: bound drivers without\n"
	       "                         ->shutdown() that no policy covers\n"
	       "  inventory              Show or save the device inventory\n"
	       "  policy verify [FILE…]  Check policy files; all installed ones by default\n"
	       "  policy list            List policies in precedence order\n"
	       "  policy cat NAME        Print the policy file that wins for NAME\n"
	       "  load                   Load the next kernel (kexec_file_load)\n"
	       "  unload                 Unload it\n"
	       "  reboot                 Load, quiesce along the plan and kexec\n"
	       "  apply --stage=final    The systemd shutdown hook's part: quiesce\n"
	       "                         along the frozen plan\n"
	       "  verify                 After a kexec: did every device come back?\n"
	       "  status                 The loaded kernel, the frozen plan, the last kexec\n"
	       "  plot                   Draw the last quiesce from the journal (SVG)\n"
	       "  enable, disable        Kexec by default: kexecqd keeps every reboot a\n"
	       "                         quiesced kexec\n\n"
	       "%s     --version           Show the version\n\n"
	       "Run 'kexecq COMMAND --help' for a command's options.\n"
	       "See kexecq(8) and kexecq.policy(5).\n",
	       common_help);
	return EXIT_OK;
}

static const char daemon_help[] =
	"     --no-daemon         Run here even when kexecqd is on the bus (it answers\n"
	"                         otherwise, unless other sources are asked for)\n";

static void help_plan(void)
{
	printf("Usage: kexecq plan [OPTIONS…]\n\n"
	       "Print the steps kexecq would take before a kexec, in order, each with\n"
	       "the policy file and key that caused it.  Reads nothing but sysfs (or\n"
	       "the snapshot) and the policy files; changes nothing.  Exit status 3\n"
	       "when a policy is broken or untrusted, 4 when the steps cannot be ordered.\n\n"
	       "     --json             Machine-readable plan\n"
	       "     --explain          Also say why each step and each device's policy\n"
	       "     --dot              The step graph for Graphviz, coloured by action:\n"
	       "                        kexecq plan --dot | dot -Tsvg >plan.svg\n"
	       "%s%s%s%s%s%s",
	       daemon_help, source_help, mountinfo_help, policy_dir_help, ignore_help, common_help);
}

static void help_inventory(void)
{
	printf("Usage: kexecq inventory [OPTIONS…]\n\n"
	       "Show PCI functions and what hangs below them (SCSI hosts, NVMe\n"
	       "controllers, disks with their write cache, network interfaces,\n"
	       "SR-IOV VFs), with driver, module and, on a kernel with the kexecq\n"
	       "patches, each function's kexec_method and what a kexec does to it\n"
	       "(kexec_action), and below each disk the file systems mounted from it.\n\n"
	       "     --json             Print the snapshot as JSON\n"
	       "     --save=FILE        Write the snapshot to FILE (\"-\" for stdout)\n"
	       "%s%s%s",
	       source_help, mountinfo_help, common_help);
}

static void help_policy(void)
{
	printf("Usage: kexecq policy verify [OPTIONS…] [FILE…]\n"
	       "       kexecq policy list [OPTIONS…]\n"
	       "       kexecq policy cat [OPTIONS…] NAME\n\n"
	       "verify  Parse the files given, or every installed policy, and report\n"
	       "        each problem as FILE:LINE: message.  Exit status 3 on errors.\n"
	       "list    Show each policy name, whether it is active, masked or refused,\n"
	       "        the file that wins and the files it overrides.\n"
	       "cat     Print the winning file for NAME (\".policy\" may be left out).\n\n"
	       "%s%s",
	       policy_dir_help, common_help);
}

static void help_check(void)
{
	printf("Usage: kexecq check [OPTIONS…]\n\n"
	       "List what a kexec would put at risk: PCI functions the kernel leaves as\n"
	       "their driver has them (no ->shutdown(), not unbound) that no policy\n"
	       "quiesces; disks with a volatile cache whose policy says FlushCache=no;\n"
	       "functions given to userspace (vfio-pci) that a VM still uses; devices\n"
	       "whose policy says a kexec is unsafe.  A kernel with the kexecq patches\n"
	       "says per device what a kexec does; for a stock kernel the table of PCI\n"
	       "drivers of its series is used, or of the nearest one (the report says\n"
	       "which).  Exit status 5 when anything is at risk or, on a patched\n"
	       "kernel, a function's kexec_action could not be read (not-checked),\n"
	       "3 when a policy is broken or untrusted.\n\n"
	       "     --driver-tables=DIR Tables of PCI drivers, pci-drivers-SERIES.tsv\n"
	       "                         (default " DRIVER_TABLE_DIR ")\n"
	       "     --json              Print the report as JSON\n"
	       "%s%s%s%s%s%s",
	       daemon_help, source_help, mountinfo_help, policy_dir_help, ignore_help, common_help);
}

static const char kernel_help[] =
	"     --kernel=FILE       The kernel image (default: the boot loader's default\n"
	"                         entry, else /vmlinuz, else the running kernel's)\n"
	"     --initrd=FILE       Its initrd (default: those that go with it)\n"
	"     --append=ARGS       Add kernel parameters ARGS to the command line\n"
	"     --reuse-cmdline     This boot's command line, even for a boot loader entry\n";

static const char run_help[] =
	"  -j --jobs=N            Steps at a time (default: what the thread limits\n"
	"                         allow, 4 to 4096)\n"
	"     --deadline=TIME     Everything from the first step to the jump, rollback\n"
	"                         included (default 80s)\n"
	"     --if-stuck=WHAT     A step still in the kernel at the end: restart\n"
	"                         (default: file systems read-only, firmware restart),\n"
	"                         abort (no kexec, exit 8) or kexec (jump anyway)\n"
	"     --json              Print the report as JSON\n";

static const char rundir_help[] =
	"     --run-dir=DIR       Journal and frozen plan (default /run/kexecq)\n";

static const char state_help[] =
	"     --state-dir=DIR     Boot records (default /var/lib/kexecq)\n";

static void help_load(void)
{
	printf("Usage: kexecq load [OPTIONS…]\n\n"
	       "Choose, check and load the next kernel, through kexec_file_load (kexec -s),\n"
	       "or kexec_load (kexec -c) when the kernel lacks it.  Nothing else changes:\n"
	       "with a kernel loaded, systemd turns a plain reboot into a kexec.\n\n"
	       "     --dry-run           Print the choice, load nothing\n"
	       "%s" SYSFS_HELP "%s%s",
	       kernel_help, daemon_help, common_help);
}

static void help_unload(void)
{
	printf("Usage: kexecq unload [OPTIONS…]\n\n"
	       "Unload the kernel loaded for kexec, and remove a frozen plan.\n\n"
	       "%s" SYSFS_HELP "%s%s",
	       rundir_help, daemon_help, common_help);
}

static void help_reboot(void)
{
	printf("Usage: kexecq reboot [OPTIONS…]\n\n"
	       "Load the next kernel, then quiesce the devices along the plan and kexec.\n"
	       "The kernel is loaded first: a missing or bad image changes nothing.\n"
	       "By default (PID 1 is systemd) the plan is frozen in /run/kexecq and\n"
	       "kexec.target started; systemd's shutdown hook quiesces after file systems\n"
	       "are unmounted.  With --now kexecq syncs, quiesces and kexecs itself.  A\n"
	       "failed step whose policy says OnFailure=abort, or SIGINT, SIGTERM or SIGHUP\n"
	       "during the quiesce, rolls everything back and unloads the kernel (exit\n"
	       "status 6).  See kexecq(8), FAIL-SAFE RULES.  Before it quiesces anything it\n"
	       "records what is bound in the state directory and adds kexecq.from=BOOT-ID\n"
	       "to the next kernel's command line, for 'kexecq verify' there.\n\n"
	       "     --now              Quiesce and kexec now, without systemd\n"
	       "     --dry-run          Print what would happen, change nothing\n"
	       "     --force            Kexec even when a policy says it is unsafe for a\n"
	       "                        device (Unsafe=; otherwise exit status 10)\n"
	       "     --ignore-inhibitors\n"
	       "                        Through kexecqd: reboot despite logind's shutdown\n"
	       "                        inhibitors (otherwise exit status 11)\n"
	       "     --watchdog=TIME    With --now: arm /dev/watchdog0 with TIME before\n"
	       "                        the jump and leave it running\n"
	       "%s%s%s%s%s%s%s%s%s",
	       kernel_help, run_help, rundir_help, state_help, source_help, policy_dir_help,
	       ignore_help, daemon_help, common_help);
}

static void help_enable(void)
{
	printf("Usage: kexecq enable|disable [OPTIONS…]\n\n"
	       "Kexec by default.  enable writes KexecByDefault=yes to the settings and asks\n"
	       "kexecqd to apply it: the daemon keeps the default kernel loaded and the\n"
	       "plan frozen, so that every reboot through reboot.target (systemctl reboot,\n"
	       "reboot, logind) is a quiesced kexec; it says what the next reboot will be.\n"
	       "disable undoes it.  See kexecqd(8), KEXEC BY DEFAULT.\n\n"
	       "     --config=FILE       The settings (default " SETTINGS_PATH ")\n"
	       "%s",
	       common_help);
}

static void help_apply(void)
{
	printf("Usage: kexecq apply --stage=final [OPTIONS…]\n\n"
	       "Quiesce along the plan frozen by 'kexecq reboot' (or, if there is none, the\n"
	       "installed policies): what systemd's shutdown hook runs on kexec.  Logs each\n"
	       "step to /dev/kmsg.  On an OnFailure=abort failure it rolls back and unloads\n"
	       "the kernel, so that systemd reboots through firmware instead.\n\n"
	       "     --stage=final      Required: the only stage\n"
	       "%s%s" SYSFS_HELP MODDIR_HELP "%s",
	       run_help, rundir_help, common_help);
}

static void help_verify(void)
{
	printf("Usage: kexecq verify [OPTIONS…]\n\n"
	       "After a kexec by 'kexecq reboot' (kexecq.from=BOOT-ID on the command line):\n"
	       "compare the devices with the record written before the jump, and name\n"
	       "every PCI function that is missing, unbound or bound to another driver,\n"
	       "every interface that is missing or down, every disk that is missing.\n"
	       "Exit status 9 when there is any such difference; 0 when everything came\n"
	       "back, or when this boot did not come from a kexecq kexec.\n\n"
	       "     --json             Machine-readable result (\"kexecq-verify\")\n"
	       "     --record=FILE      Compare with FILE, not the record kexecq.from= names\n"
	       "%s%s%s",
	       state_help, source_help, common_help);
}

static void help_plot(void)
{
	printf("Usage: kexecq plot [OPTIONS…]\n\n"
	       "Draw the last quiesce recorded in the journal as an SVG timeline: a bar\n"
	       "per step from its start to its end, coloured by outcome, the steps of\n"
	       "the critical path outlined.  Changes nothing.  Exit status 1 when the\n"
	       "journal cannot be read or holds no run.\n\n"
	       "     --journal=FILE      The journal (default <run-dir>/journal)\n"
	       "  -o --output=FILE       Write the SVG to FILE (default: standard output)\n"
	       "%s%s",
	       rundir_help, common_help);
}

static void help_status(void)
{
	printf("Usage: kexecq status [OPTIONS…]\n\n"
	       "Show whether a kernel is loaded (and which, if kexecq reboot loaded it),\n"
	       "the frozen plan, whether this boot came from a kexecq kexec and how the\n"
	       "devices compare with its record, how the last kexec went, and what the\n"
	       "next reboot will be: a kexec into which kernel, along which plan and on\n"
	       "which commands, or a reboot through the firmware and why.\n\n"
	       "     --json             Machine-readable status (\"kexecq-status\")\n"
	       "     --config=FILE       The settings (default " SETTINGS_PATH ")\n"
	       "%s%s%s%s",
	       rundir_help, state_help, source_help, common_help);
}

/* ---- shared helpers ------------------------------------------------------ */

static char *const *policy_dirs(void)
{
	return arg.policy_dirs ? arg.policy_dirs : policy_default_dirs;
}

static unsigned policy_load_flags(void)
{
	return (arg.policy_dirs ? POLICY_DIRS_EXPLICIT : 0) |
	       (arg.ignore_policy_errors ? POLICY_SKIP_BROKEN : 0);
}

static int load_inventory(struct inventory **ret)
{
	struct scan_options o = { .sysfs = arg.sysfs,
				  .moddir = arg.moddir,
				  .mountinfo = arg.mountinfo,
				  .proc = arg.proc };

	if (arg.inventory)
		return inventory_load_json(arg.inventory, ret);
	return inventory_scan(&o, ret);
}

/* ---- plan and check: service/query.c, shared with kexecqd --------------- */

static int run_query(char **args, const char *verb, int (*fn)(const struct query *, FILE *))
{
	struct scan_options so = { .sysfs = arg.sysfs,
				   .moddir = arg.moddir,
				   .mountinfo = arg.mountinfo,
				   .proc = arg.proc };
	struct query q = {
		.policy_dirs = arg.policy_dirs,
		.ignore_policy_errors = arg.ignore_policy_errors,
		.snapshot = arg.inventory,
		.scan = &so,
		.json = arg.json,
		.explain = arg.explain,
		.dot = arg.dot,
		.tables = arg.tables,
		.tables_explicit = arg.tables_explicit,
	};

	int status;

	if (args[0]) {
		log_error("%s takes no arguments (see 'kexecq %s --help').", verb, verb);
		return EXIT_USAGE;
	}
	/*
	 * kexecqd answers for this machine with its own configuration: only
	 * when nothing here asks for other sources.
	 */
	if (!arg.no_daemon && !arg.policy_dirs && !arg.inventory && streq(arg.sysfs, "/sys") &&
	    !arg.moddir && streq(arg.mountinfo, "/proc/self/mountinfo") &&
	    streq(arg.proc, "/proc") && !arg.tables_explicit &&
	    client_query(fn == query_plan ? "Plan" : "Check", &q, stdout, &status) > 0)
		return status;
	return fn(&q, stdout);
}

static int verb_plan(char **args)
{
	if (arg.dot && (arg.json || arg.explain)) {
		log_error(
			"--dot draws the plan for Graphviz: not with %s (see 'kexecq plan --help').",
			arg.json ? "--json" : "--explain");
		return EXIT_USAGE;
	}
	return run_query(args, "plan", query_plan);
}

static int verb_check(char **args)
{
	return run_query(args, "check", query_check);
}

/* ---- enable, disable ----------------------------------------------------- */

static int verb_enable(bool on, char **args)
{
	_cleanup_free_ char *next = NULL;
	const char *path = arg.config ? arg.config : SETTINGS_PATH;
	struct settings s;
	int r;

	if (args[0]) {
		log_error("This command takes no arguments (see its --help).");
		return EXIT_USAGE;
	}
	if (geteuid() != 0) {
		log_error("Must be root.");
		return EXIT_FAIL;
	}
	r = settings_read(path, &s);
	if (r < 0)
		return EXIT_FAIL;
	s.kexec_by_default = on;
	if (!arg.config)
		(void)mkdir("/etc/kexecq", 0755);
	if (settings_write(path, &s) < 0)
		return EXIT_FAIL;
	printf("%s: KexecByDefault=%s\n", path, on ? "yes" : "no");
	/*
	 * The daemon keeps the next reboot armed from boot on: its unit is
	 * enabled with the setting.  Without systemd (or a test's --config),
	 * say what to do instead.
	 */
	if (!arg.config && bus_systemd_running("/")) {
		_cleanup_free_ char *error = NULL;

		if (bus_enable_unit(KEXECQD_UNIT, on, &error) < 0)
			log_warning("%s; kexecqd must be %s by hand (systemctl %s %s).",
				    strna(error), on ? "enabled" : "disabled",
				    on ? "enable" : "disable", KEXECQD_UNIT);
		else
			printf("%s %s.\n", KEXECQD_UNIT, on ? "enabled" : "disabled");
	}
	/* Reload starts kexecqd when it is not running (bus activation). */
	r = client_reload(&next);
	if (r < 0)
		return EXIT_FAIL;
	if (r == 0) {
		printf("kexecqd is not on the bus: it applies this when it starts "
		       "(systemctl start %s).\n",
		       KEXECQD_UNIT);
		return EXIT_OK;
	}
	printf("Next reboot: %s\n", strna(next));
	return EXIT_OK;
}

/* ---- inventory -------------------------------------------------------------- */

static void print_device(const struct device *d, size_t depth)
{
	int indent = depth > 6 ? 12 : (int)depth * 2;

	printf("%*s%-*s %-9s", indent, "", 16 - indent > 4 ? 16 - indent : 4, d->name,
	       device_kind_to_string(d->kind));
	switch (d->kind) {
	case DEVICE_PCI:
		printf(" [%s:%s] class %s driver %s", strna(d->vendor), strna(d->device_id),
		       strna(d->class), strna(d->driver));
		if (d->module && (!d->driver || !streq(d->module, d->driver)))
			printf(" module %s", d->module);
		if (d->module_builtin)
			printf(" (built in)");
		if (d->kexec_method != KMETHOD_UNSET)
			printf(" kexec_method %s", kernel_method_to_string(d->kexec_method));
		if (d->kexec_action != KACTION_UNKNOWN)
			printf(" on-kexec %s", kexec_action_to_string(d->kexec_action));
		if (d->sriov_totalvfs)
			printf(" vfs %u/%u", d->sriov_numvfs, d->sriov_totalvfs);
		if (d->physfn)
			printf(" vf-of %s", d->physfn->name);
		if (d->bound_below)
			printf(" bound-below %s (%s)", d->bound_below,
			       strna(d->bound_below_driver));
		break;
	case DEVICE_DISK:
		printf(" %s cache %s", strna(d->devnode), write_cache_to_string(d->write_cache));
		for (size_t i = 0; i < d->n_mounts; i++) {
			const struct device_mount *m = &d->mounts[i];
			_cleanup_free_ char *mp = cescape(m->mount_point),
					    *src = cescape(m->source);
			_cleanup_free_ char *via = strv_join(m->via, " ");

			printf("\n%*s%s %s %s from %s%s%s", indent + 2, "", strna(mp),
			       strna(m->fstype), m->read_only ? "ro" : "rw", strna(src),
			       !isempty(via) ? " via " : "", strempty(via));
		}
		break;
	case DEVICE_NET:
		printf(" %s", d->up ? "up" : "down");
		break;
	default:
		if (d->driver)
			printf(" driver %s", d->driver);
		break;
	}
	putchar('\n');
}

/* Depth first, iteratively: the tree comes from syspaths, which may be crafted. */
static int print_tree(const struct inventory *inv)
{
	_cleanup_free_ const struct device **stack = calloc(inv->n + 1, sizeof(*stack));
	_cleanup_free_ size_t *depth = calloc(inv->n + 1, sizeof(*depth));
	size_t sp = 0;

	if (!stack || !depth)
		return log_oom();
	for (size_t i = inv->n; i-- > 0;)
		if (!inv->devices[i]->parent) {
			stack[sp] = inv->devices[i];
			depth[sp++] = 0;
		}
	while (sp > 0) {
		const struct device *d = stack[--sp];
		size_t dd = depth[sp];

		print_device(d, dd);
		/* Each device is pushed once, by its parent: sp stays below n. */
		for (size_t c = d->n_children; c-- > 0;) {
			stack[sp] = d->children[c];
			depth[sp++] = dd + 1;
		}
	}
	return 0;
}

static int save_inventory(const struct inventory *inv, const char *path)
{
	_cleanup_free_ char *tmp = NULL;
	FILE *f;
	int fd, r;

	if (asprintf(&tmp, "%s.tmpXXXXXX", path) < 0)
		return log_oom();
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(errno, "Cannot save the inventory to %s: %m", path);
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		unlink(tmp);
		return log_error_errno(r, "Cannot save the inventory to %s: %m", path);
	}
	r = inventory_save_json(inv, f);
	if (fclose(f) != 0 && r >= 0)
		r = -errno;
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return log_error_errno(r, "Cannot save the inventory to %s: %m", path);
	}
	return 0;
}

static int verb_inventory(char **args)
{
	_cleanup_(inventory_freep) struct inventory *inv = NULL;
	_cleanup_free_ char *title = NULL;

	if (args[0]) {
		log_error("inventory takes no arguments (see 'kexecq inventory --help').");
		return EXIT_USAGE;
	}
	if (load_inventory(&inv) < 0)
		return EXIT_FAIL;
	if (arg.save && !streq(arg.save, "-")) {
		if (save_inventory(inv, arg.save) < 0)
			return EXIT_FAIL;
		printf("Saved %zu devices to %s\n", inv->n, arg.save);
		return EXIT_OK;
	}
	if (arg.json || arg.save)
		return inventory_save_json(inv, stdout) < 0 ? EXIT_FAIL : EXIT_OK;

	title = inventory_title(inv);
	if (!title)
		return log_oom(), EXIT_FAIL;
	printf("Inventory of %s, kernel %s%s%s%s, kexec_method %s\n", title,
	       strna(inv->kernel_release), inv->kernel_upstream ? " (Linux " : "",
	       strempty(inv->kernel_upstream), inv->kernel_upstream ? ")" : "",
	       inv->kernel_per_device_method ? "per device" : "not available");
	return print_tree(inv) < 0 ? EXIT_FAIL : EXIT_OK;
}

/* ---- policy -------------------------------------------------------------------- */

static int verify_files(char **files)
{
	_cleanup_(policy_set_freep) struct policy_set *s = calloc(1, sizeof(*s));
	unsigned errors = 0;

	if (!s || !(s->policies = calloc(strv_length(files), sizeof(*s->policies))))
		return log_oom(), EXIT_FAIL;
	STRV_FOREACH (f, files) {
		const char *base = strrchr(*f, '/');
		struct policy *p = NULL;
		unsigned e = 0;
		int r;

		r = policy_parse_file(*f, base ? base + 1 : *f, POLICY_VERIFY, &p, &e);
		if (r == -ENOMEM)
			return EXIT_FAIL;
		if (r < 0)
			errors += e ? e : 1;
		else
			s->policies[s->n++] = p;
	}
	if (policy_set_check_order(s, POLICY_VERIFY) < 0)
		errors++;
	if (errors) {
		fprintf(stderr, "%u error%s.\n", errors, errors == 1 ? "" : "s");
		return EXIT_POLICY;
	}
	printf("%zu polic%s OK.\n", s->n, s->n == 1 ? "y" : "ies");
	return EXIT_OK;
}

static int verb_policy_verify(char **files)
{
	_cleanup_(policy_set_freep) struct policy_set *s = NULL;
	unsigned errors = 0;
	int r;

	if (files[0]) {
		if (arg.policy_dirs) {
			log_error("policy verify takes either FILE… or -P DIR, not both.");
			return EXIT_USAGE;
		}
		return verify_files(files);
	}
	r = policy_set_load(policy_dirs(), policy_load_flags() & ~POLICY_SKIP_BROKEN, &s, &errors);
	if (r < 0)
		return r == -ENOENT || r == -ENOTDIR ? EXIT_USAGE : EXIT_FAIL;
	if (errors) {
		fprintf(stderr, "%u error%s.\n", errors, errors == 1 ? "" : "s");
		return EXIT_POLICY;
	}
	printf("%zu polic%s OK.\n", s->n, s->n == 1 ? "y" : "ies");
	return EXIT_OK;
}

static int list_policies(struct conf_file_list *l)
{
	unsigned flags = arg.policy_dirs ? CONF_FILES_DIRS_EXPLICIT : 0;
	int r;

	if (geteuid() == 0)
		flags |= CONF_FILES_TRUST;
	r = conf_files_list(policy_dirs(), POLICY_SUFFIX, flags, LOG_WARNING, l);
	if (r < 0)
		return r == -ENOENT || r == -ENOTDIR ? EXIT_USAGE : EXIT_FAIL;
	return EXIT_OK;
}

static int verb_policy_list(char **args)
{
	struct conf_file_list l = {};
	int r;

	if (args[0]) {
		log_error("policy list takes no arguments.");
		return EXIT_USAGE;
	}
	r = list_policies(&l);
	if (r != EXIT_OK)
		return r;
	{
		_cleanup_free_ char *path = strv_join(policy_dirs(), " ");

		printf("Search path (highest precedence first): %s\n", strna(path));
	}
	if (l.n == 0)
		printf("No policies installed.\n");
	for (size_t i = 0; i < l.n; i++) {
		const struct conf_candidate *w = conf_file_winner(&l.files[i]);

		for (size_t k = 0; k < l.files[i].n_candidates; k++) {
			const struct conf_candidate *c = &l.files[i].candidates[k];
			const char *state = c->problem ? "refused" :
					    c != w     ? "(over)" :
					    c->masked  ? "masked" :
							 "active";

			printf("%-32s %-7s %s", k == 0 ? l.files[i].name : "", state, c->path);
			if (c->problem)
				printf(" (%s)", c->problem);
			putchar('\n');
		}
	}
	conf_file_list_done(&l);
	return EXIT_OK;
}

static int verb_policy_cat(char **args)
{
	_cleanup_free_ char *want = NULL;
	struct conf_file_list l = {};
	const struct conf_candidate *c = NULL;
	bool found = false;
	char buf[4096];
	ssize_t n = 0;
	int r;

	if (!args[0] || args[1]) {
		log_error("policy cat takes exactly one NAME.");
		return EXIT_USAGE;
	}
	want = policy_name_normalize(args[0]);
	if (!want) {
		_cleanup_free_ char *shown = cescape(args[0]);

		log_error("\"%s\" is not a policy name.", strna(shown));
		return EXIT_USAGE;
	}
	r = list_policies(&l);
	if (r != EXIT_OK)
		return r;
	r = EXIT_FAIL;
	for (size_t i = 0; i < l.n; i++)
		if (streq(l.files[i].name, want)) {
			found = true;
			c = conf_file_winner(&l.files[i]);
		}
	if (!found) {
		log_error("No policy named %s.", want);
	} else if (!c) {
		log_error("Every file named %s was refused (see 'kexecq policy list').", want);
	} else if (c->masked) {
		printf("# %s (masked)\n", c->path);
		r = EXIT_OK;
	} else {
		/* The descriptor that was checked, not the path again. */
		printf("# %s\n", c->path);
		fflush(stdout);
		r = EXIT_OK;
		while (r == EXIT_OK && (n = read(c->fd, buf, sizeof(buf))) > 0)
			if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
				r = EXIT_FAIL;
		if (n < 0) {
			log_error_errno(errno, "%s: cannot read: %m", c->path);
			r = EXIT_FAIL;
		}
	}
	conf_file_list_done(&l);
	return r;
}

/* ---- load, unload, reboot, apply ------------------------------------------------------ */

static int verb_run(enum verb verb, char **args)
{
	_cleanup_free_ char *boot_id = NULL, *kernel = NULL, *initrd = NULL;

	/*
	 * Absolute paths: in the record, the frozen plan's notes and for
	 * kexecqd, which does not share this working directory.
	 */
	if ((arg.kernel && !(kernel = path_absolute(arg.kernel))) ||
	    (arg.initrd && !(initrd = path_absolute(arg.initrd))))
		return log_oom(), EXIT_FAIL;
	arg.kernel = kernel;
	arg.initrd = initrd;

	/* The next boot's marker and the name of this boot's record (record.h). */
	if (verb == VERB_REBOOT && boot_id_read(arg.proc, &boot_id) < 0)
		log_warning("Without this boot's id the next boot cannot be verified; going on.");

	struct reboot_options o = {
		.kexec = {
			.root = "/",
			.kernel = arg.kernel,
			.initrd = arg.initrd,
			.append = arg.append,
			.reuse_cmdline = arg.reuse_cmdline,
			.from_boot_id = boot_id,
		},
		.policy_dirs = policy_dirs(),
		.policy_dirs_explicit = arg.policy_dirs != NULL,
		.ignore_policy_errors = arg.ignore_policy_errors,
		.sysfs = arg.sysfs,
		.moddir = arg.moddir,
		.inventory = arg.inventory,
		.rundir = arg.rundir,
		.kmsg = "/dev/kmsg",
		.state_dir = arg.state_dir,
		.proc = arg.proc,
		.jobs = arg.jobs,
		.deadline_usec = arg.deadline_usec,
		.if_stuck = (enum if_stuck)arg.if_stuck,
		.watchdog_sec = arg.watchdog_sec,
		.watchdog_device = "/dev/watchdog0",
		.sysrq = "/proc/sysrq-trigger",
		.mountinfo = "/proc/self/mountinfo",
		.dry_run = arg.dry_run,
		.now = arg.now,
		.force = arg.force,
		.json = arg.json,
		.progress = !arg.json && isatty(STDOUT_FILENO),
		.out = stdout,
	};

	if (args[0]) {
		log_error("This command takes no arguments (see its --help).");
		return EXIT_USAGE;
	}
	if (arg.inventory && !arg.dry_run) {
		log_error("--inventory describes another machine: only with --dry-run.");
		return EXIT_USAGE;
	}
	if (arg.now && !arg.dry_run && !streq(arg.sysfs, "/sys")) {
		log_error("--sysfs describes another tree: not with reboot --now, which loads and "
			  "unloads this machine's kernel.");
		return EXIT_USAGE;
	}
	if (arg.watchdog_sec && !arg.now) {
		log_error(
			"--watchdog arms the watchdog across kexecq's own jump: only with --now.");
		return EXIT_USAGE;
	}
	if (arg.dry_run && arg.json) {
		log_error("--dry-run prints text; for the plan as JSON use 'kexecq plan --json'.");
		return EXIT_USAGE;
	}
	/*
	 * kexecqd on the bus runs it (polkit may let others than root), unless
	 * this run needs what only the process has: --now (the daemon hands
	 * the quiesce to systemd's hook), JSON, or sources of its own.
	 */
	if (verb != VERB_APPLY && !arg.no_daemon && !arg.now && !arg.json && !arg.policy_dirs &&
	    !arg.ignore_policy_errors && !arg.inventory && !arg.moddir && !arg.watchdog_sec &&
	    streq(arg.sysfs, "/sys") && streq(arg.rundir, "/run/kexecq") &&
	    streq(arg.state_dir, "/var/lib/kexecq") && streq(arg.proc, "/proc")) {
		struct client_action ca = {
			.kernel = arg.kernel,
			.initrd = arg.initrd,
			.append = arg.append,
			.if_stuck = if_stuck_to_string((enum if_stuck)arg.if_stuck),
			.reuse_cmdline = arg.reuse_cmdline,
			.dry_run = arg.dry_run,
			.force = arg.force,
			.ignore_inhibitors = arg.ignore_inhibitors,
			.deadline_usec = arg.deadline_usec,
			.jobs = arg.jobs,
		};
		int status;

		if (client_run(verb == VERB_LOAD   ? "Load" :
			       verb == VERB_UNLOAD ? "Unload" :
						     "Reboot",
			       &ca, stdout, &status) > 0)
			return status;
	}
	if (!arg.dry_run && geteuid() != 0 && verb != VERB_LOAD) {
		log_error("Must be root (only --dry-run works for others).");
		return EXIT_FAIL;
	}
	switch (verb) {
	case VERB_LOAD:
		if (!arg.dry_run && geteuid() != 0) {
			log_error("Must be root to load a kernel (--dry-run shows the choice).");
			return EXIT_FAIL;
		}
		return reboot_load(&o);
	case VERB_UNLOAD:
		return reboot_unload(&o);
	case VERB_REBOOT:
		return reboot_run(&o);
	default:
		if (!arg.stage || !streq(arg.stage, "final")) {
			log_error("apply needs --stage=final (it is what the shutdown hook runs).");
			return EXIT_USAGE;
		}
		return reboot_apply_final(&o);
	}
}

/* ---- verify, status ------------------------------------------------------------------ */

/* The current devices as a record's device list, for verify_compare(). */
static int devices_now(struct record **ret)
{
	_cleanup_(inventory_freep) struct inventory *inv = NULL;
	_cleanup_(record_freep) struct record *now = record_new();
	int r;

	if (!now)
		return log_oom();
	r = load_inventory(&inv);
	if (r < 0)
		return r;
	r = record_add_inventory(now, inv);
	if (r < 0)
		return r == -ENOMEM ? log_oom() : r;
	*ret = TAKE_PTR(now);
	return 0;
}

static int verb_verify(char **args)
{
	_cleanup_(record_freep) struct record *rec = NULL, *now = NULL;
	_cleanup_(verify_result_freep) struct verify_result *v = NULL;
	_cleanup_free_ char *boot_id = NULL, *from = NULL, *path = NULL;
	int r;

	if (args[0]) {
		log_error("verify takes no arguments (see 'kexecq verify --help').");
		return EXIT_USAGE;
	}
	if (boot_id_read(arg.proc, &boot_id) < 0)
		return EXIT_FAIL;
	if (arg.record) {
		if (record_read_file(arg.record, &rec) < 0)
			return EXIT_FAIL;
		path = strdup(arg.record);
	} else {
		r = boot_from_read(arg.proc, &from);
		if (r < 0)
			return EXIT_FAIL;
		if (r == 0) {
			r = arg.json ? verify_write_json(boot_id, NULL, NULL, NULL, stdout) :
				       verify_print_text(boot_id, NULL, NULL, stdout);
			return r < 0 ? EXIT_FAIL : EXIT_OK;
		}
		path = record_path(arg.state_dir, from);
		if (!path)
			return log_oom(), EXIT_FAIL;
		r = record_load(arg.state_dir, from, &rec);
		if (r == -ENOENT) {
			log_error(
				"This boot came from a kexecq kexec (%s%s), but %s does not exist: "
				"it was not written before the jump, or was removed since.",
				KEXEC_CMDLINE_FROM, from, path);
			return EXIT_FAIL;
		}
		if (r < 0)
			return EXIT_FAIL;
	}
	if (!path)
		return log_oom(), EXIT_FAIL;
	if (streq(rec->boot_id, boot_id)) {
		log_error("%s is the record of this boot (a kexec still to come), not of the boot "
			  "before it.",
			  path);
		return EXIT_FAIL;
	}
	if (devices_now(&now) < 0)
		return EXIT_FAIL;
	r = verify_compare(rec, now, &v);
	if (r < 0)
		return log_oom(), EXIT_FAIL;
	r = arg.json ? verify_write_json(boot_id, path, rec, v, stdout) :
		       verify_print_text(boot_id, rec, v, stdout);
	if (r < 0)
		return EXIT_FAIL;
	return v->n_errors ? EXIT_DIFFERS : EXIT_OK;
}

static int verb_status(char **args)
{
	_cleanup_(record_freep) struct record *mine = NULL, *from_rec = NULL, *latest = NULL,
					      *now = NULL;
	_cleanup_(verify_result_freep) struct verify_result *v = NULL;
	_cleanup_(inventory_freep) struct inventory *finv = NULL;
	_cleanup_(policy_set_freep) struct policy_set *fps = NULL;
	_cleanup_free_ char *boot_id = NULL, *from = NULL, *frozen = NULL, *systemd_version = NULL;
	struct status s = {};
	struct utsname u;
	int r;

	if (args[0]) {
		log_error("status takes no arguments (see 'kexecq status --help').");
		return EXIT_USAGE;
	}
	if (boot_id_read(arg.proc, &boot_id) < 0)
		return EXIT_FAIL;
	if (uname(&u) < 0)
		return log_error_errno(errno, "uname() failed: %m"), EXIT_FAIL;
	if (asprintf(&frozen, "%s/frozen", arg.rundir) < 0)
		return log_oom(), EXIT_FAIL;
	s.boot_id = boot_id;
	s.release = u.release;
	s.kexec_loaded = kexec_loaded(arg.sysfs);
	s.frozen_path = frozen;

	/* Each part on its own: what cannot be read is said, the rest is shown. */
	r = record_load(arg.state_dir, boot_id, &mine);
	if (r >= 0)
		s.mine = mine;
	if (access(frozen, F_OK) == 0) {
		s.frozen = freeze_read(frozen, &finv, &fps, NULL) < 0 ? -1 : 1;
		if (s.frozen > 0) {
			s.frozen_devices = finv->n;
			s.frozen_policies = fps->n;
		}
	}
	if (boot_from_read(arg.proc, &from) > 0) {
		s.from = from;
		r = record_load(arg.state_dir, from, &from_rec);
		if (r == -ENOENT)
			log_warning("No record of boot %s in %s.", from, arg.state_dir);
		if (r >= 0) {
			s.from_record = from_rec;
			if (devices_now(&now) >= 0 && verify_compare(from_rec, now, &v) >= 0)
				s.verify = v;
		}
	}
	if (record_load_latest(arg.state_dir, boot_id, &latest) >= 0)
		s.latest = latest;
	{
		struct settings set;

		s.kexec_by_default = settings_read(arg.config ? arg.config : SETTINGS_PATH, &set) <
						     0 ?
					     -1 :
					     set.kexec_by_default;
	}
	s.systemd = bus_systemd_running("/");
	if (s.systemd && bus_systemd_version(&systemd_version) >= 0)
		s.systemd_version = systemd_version;
	s.dropin = access(REBOOT_DROPIN_DIR "/" REBOOT_DROPIN_NAME, F_OK) == 0;
	s.dropin_loaded = s.dropin &&
			  bus_unit_has_dropin("systemd-reboot.service",
					      REBOOT_DROPIN_DIR "/" REBOOT_DROPIN_NAME) > 0;
	/* Where systemd-shutdown looks, merged /usr or not. */
	s.hook = access("/usr/lib/systemd/system-shutdown/kexecq.shutdown", X_OK) == 0 ||
		 access("/lib/systemd/system-shutdown/kexecq.shutdown", X_OK) == 0;
	r = arg.json ? status_write_json(&s, stdout) : status_print_text(&s, stdout);
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}

/* ---- plot ------------------------------------------------------------------------- */

/*
 * Write an output file as a shell's > would, but whole or not at all: a
 * regular file (or a symlink to one: written through, never replaced) is
 * replaced by rename; anything else that exists, a FIFO or a terminal
 * (/dev/stdout is a symlink to one), is written to in place.
 */
static int write_output(const char *path, const char *data, size_t len)
{
	_cleanup_free_ char *target = NULL;
	struct stat st;
	int r;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		size_t done = 0;

		if (fd < 0)
			return log_error_errno(errno, "Cannot open %s: %m", path);
		while (done < len) {
			ssize_t n = write(fd, data + done, len - done);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return log_error_errno(n < 0 ? errno : EIO, "Cannot write %s: %m",
						       path);
			done += (size_t)n;
		}
		return 0;
	}
	target = realpath(path, NULL); /* NULL: it does not exist yet */
	r = write_file_atomic(target ? target : path, data, 0644);
	if (r < 0)
		return log_error_errno(r, "Cannot write %s: %m", path);
	return 0;
}

static int verb_plot(char **args)
{
	_cleanup_(journal_run_freep) struct journal_run *run = NULL;
	_cleanup_free_ char *path = NULL, *svg = NULL;
	size_t len = 0;
	FILE *m;
	int r;

	if (args[0]) {
		log_error("plot takes no arguments (see 'kexecq plot --help').");
		return EXIT_USAGE;
	}
	if (arg.journal)
		path = strdup(arg.journal);
	else if (asprintf(&path, "%s/journal", arg.rundir) < 0)
		path = NULL;
	if (!path)
		return log_oom(), EXIT_FAIL;
	if (journal_run_read_file(path, &run) < 0)
		return EXIT_FAIL;
	/* Whole, then written: a failed plot leaves no half of an SVG behind. */
	m = open_memstream(&svg, &len);
	if (!m)
		return log_oom(), EXIT_FAIL;
	r = plot_write_svg(run, path, m);
	if (fclose(m) != 0 || r < 0)
		return log_oom(), EXIT_FAIL;
	if (!arg.output || streq(arg.output, "-")) {
		if (fwrite(svg, 1, len, stdout) != len || fflush(stdout) != 0)
			return log_error_errno(errno, "Cannot write the SVG: %m"), EXIT_FAIL;
		return EXIT_OK;
	}
	return write_output(arg.output, svg, len) < 0 ? EXIT_FAIL : EXIT_OK;
}

/* ---- argument parsing ------------------------------------------------------------- */

enum {
	OPT_VERSION = 0x100,
	OPT_SYSFS,
	OPT_MODDIR,
	OPT_MOUNTINFO,
	OPT_LOG_LEVEL,
	OPT_JSON,
	OPT_EXPLAIN,
	OPT_INVENTORY,
	OPT_SAVE,
	OPT_IGNORE_POLICY_ERRORS,
	OPT_KERNEL,
	OPT_INITRD,
	OPT_APPEND,
	OPT_REUSE_CMDLINE,
	OPT_DRY_RUN,
	OPT_NOW,
	OPT_DEADLINE,
	OPT_RUN_DIR,
	OPT_STAGE,
	OPT_IF_STUCK,
	OPT_WATCHDOG,
	OPT_STATE_DIR,
	OPT_PROC,
	OPT_RECORD,
	OPT_FORCE,
	OPT_DRIVER_TABLES,
	OPT_NO_DAEMON,
	OPT_CONFIG,
	OPT_IGNORE_INHIBITORS,
	OPT_DOT,
	OPT_JOURNAL,
};

static const struct option options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "policy-dir", required_argument, NULL, 'P' },
	{ "sysfs", required_argument, NULL, OPT_SYSFS },
	{ "moddir", required_argument, NULL, OPT_MODDIR },
	{ "mountinfo", required_argument, NULL, OPT_MOUNTINFO },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "inventory", required_argument, NULL, OPT_INVENTORY },
	{ "save", required_argument, NULL, OPT_SAVE },
	{ "ignore-policy-errors", no_argument, NULL, OPT_IGNORE_POLICY_ERRORS },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "reuse-cmdline", no_argument, NULL, OPT_REUSE_CMDLINE },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "now", no_argument, NULL, OPT_NOW },
	{ "jobs", required_argument, NULL, 'j' },
	{ "deadline", required_argument, NULL, OPT_DEADLINE },
	{ "run-dir", required_argument, NULL, OPT_RUN_DIR },
	{ "stage", required_argument, NULL, OPT_STAGE },
	{ "if-stuck", required_argument, NULL, OPT_IF_STUCK },
	{ "watchdog", required_argument, NULL, OPT_WATCHDOG },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "proc", required_argument, NULL, OPT_PROC },
	{ "record", required_argument, NULL, OPT_RECORD },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "ignore-inhibitors", no_argument, NULL, OPT_IGNORE_INHIBITORS },
	{ "driver-tables", required_argument, NULL, OPT_DRIVER_TABLES },
	{ "no-daemon", no_argument, NULL, OPT_NO_DAEMON },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "dot", no_argument, NULL, OPT_DOT },
	{ "journal", required_argument, NULL, OPT_JOURNAL },
	{ "output", required_argument, NULL, 'o' },
	{},
};

/* Which verbs take each option; 0 means the option needs no verb (--version). */
static unsigned option_verbs(int c)
{
	switch (c) {
	case 'P':
		return VERB_PLAN | VERB_CHECK | VERB_POLICY | VERB_REBOOT;
	case OPT_SYSFS:
		return VERB_PLAN | VERB_CHECK | VERB_INVENTORY | VERB_REBOOT | VERB_APPLY |
		       VERB_LOAD | VERB_UNLOAD | VERB_VERIFY | VERB_STATUS;
	case OPT_MODDIR:
		return VERB_PLAN | VERB_CHECK | VERB_INVENTORY | VERB_REBOOT | VERB_APPLY |
		       VERB_VERIFY | VERB_STATUS;
	case OPT_MOUNTINFO:
		return VERB_PLAN | VERB_CHECK | VERB_INVENTORY;
	case OPT_INVENTORY:
		return VERB_PLAN | VERB_CHECK | VERB_INVENTORY | VERB_REBOOT | VERB_VERIFY |
		       VERB_STATUS;
	case OPT_JSON:
		return VERB_PLAN | VERB_CHECK | VERB_INVENTORY | VERB_REBOOT | VERB_APPLY |
		       VERB_VERIFY | VERB_STATUS;
	case OPT_EXPLAIN:
	case OPT_DOT:
		return VERB_PLAN;
	case OPT_JOURNAL:
	case 'o':
		return VERB_PLOT;
	case OPT_SAVE:
		return VERB_INVENTORY;
	case OPT_IGNORE_POLICY_ERRORS:
		return VERB_PLAN | VERB_CHECK | VERB_REBOOT;
	case OPT_KERNEL:
	case OPT_INITRD:
	case OPT_APPEND:
	case OPT_REUSE_CMDLINE:
	case OPT_DRY_RUN:
		return VERB_LOAD | VERB_REBOOT;
	case OPT_NOW:
		return VERB_REBOOT;
	case 'j':
	case OPT_DEADLINE:
	case OPT_IF_STUCK:
		return VERB_REBOOT | VERB_APPLY;
	case OPT_WATCHDOG:
	case OPT_FORCE:
	case OPT_IGNORE_INHIBITORS:
		return VERB_REBOOT;
	case OPT_DRIVER_TABLES:
		return VERB_CHECK;
	case OPT_NO_DAEMON:
		return VERB_PLAN | VERB_CHECK | VERB_LOAD | VERB_UNLOAD | VERB_REBOOT;
	case OPT_CONFIG:
		return VERB_ENABLE | VERB_STATUS;
	case OPT_RUN_DIR:
		return VERB_REBOOT | VERB_APPLY | VERB_UNLOAD | VERB_STATUS | VERB_PLOT;
	case OPT_STAGE:
		return VERB_APPLY;
	case OPT_STATE_DIR:
		return VERB_REBOOT | VERB_VERIFY | VERB_STATUS;
	case OPT_PROC:
		return VERB_PLAN | VERB_CHECK | VERB_INVENTORY | VERB_REBOOT | VERB_VERIFY |
		       VERB_STATUS;
	case OPT_RECORD:
		return VERB_VERIFY;
	case OPT_VERSION:
		return 0;
	default: /* --help, --log-level */
		return VERB_ANY;
	}
}

static const struct {
	const char *name;
	enum verb verb;
	void (*help)(void);
} verbs[] = {
	{ "plan", VERB_PLAN, help_plan },
	{ "check", VERB_CHECK, help_check },
	{ "inventory", VERB_INVENTORY, help_inventory },
	{ "policy", VERB_POLICY, help_policy },
	{ "load", VERB_LOAD, help_load },
	{ "unload", VERB_UNLOAD, help_unload },
	{ "reboot", VERB_REBOOT, help_reboot },
	{ "apply", VERB_APPLY, help_apply },
	{ "verify", VERB_VERIFY, help_verify },
	{ "status", VERB_STATUS, help_status },
	{ "plot", VERB_PLOT, help_plot },
	{ "enable", VERB_ENABLE, help_enable },
	{ "disable", VERB_ENABLE, help_enable },
};

/* Returns -1 to go on, or an exit status. */
static int parse_option(int c, char ***dirs)
{
	int r;

	switch (c) {
	case 'h':
		arg.help = true;
		return -1;
	case 'P':
		if (strv_extend(dirs, optarg) < 0)
			return log_oom(), EXIT_FAIL;
		arg.policy_dirs = *dirs;
		return -1;
	case OPT_SYSFS:
		arg.sysfs = optarg;
		return -1;
	case OPT_MODDIR:
		arg.moddir = optarg;
		return -1;
	case OPT_MOUNTINFO:
		arg.mountinfo = optarg;
		return -1;
	case OPT_LOG_LEVEL:
		r = log_level_from_string(optarg);
		if (r < 0) {
			log_error("Invalid --log-level \"%s\" (err, warning, info or debug).",
				  optarg);
			return EXIT_USAGE;
		}
		log_set_max_level(r);
		return -1;
	case OPT_JSON:
		arg.json = true;
		return -1;
	case OPT_EXPLAIN:
		arg.explain = true;
		return -1;
	case OPT_DOT:
		arg.dot = true;
		return -1;
	case OPT_JOURNAL:
		arg.journal = optarg;
		return -1;
	case 'o':
		arg.output = optarg;
		return -1;
	case OPT_INVENTORY:
		arg.inventory = optarg;
		return -1;
	case OPT_SAVE:
		arg.save = optarg;
		return -1;
	case OPT_IGNORE_POLICY_ERRORS:
		arg.ignore_policy_errors = true;
		return -1;
	case OPT_KERNEL:
		arg.kernel = optarg;
		return -1;
	case OPT_INITRD:
		arg.initrd = optarg;
		return -1;
	case OPT_APPEND:
		arg.append = optarg;
		return -1;
	case OPT_REUSE_CMDLINE:
		arg.reuse_cmdline = true;
		return -1;
	case OPT_DRY_RUN:
		arg.dry_run = true;
		return -1;
	case OPT_NOW:
		arg.now = true;
		return -1;
	case OPT_FORCE:
		arg.force = true;
		return -1;
	case OPT_IGNORE_INHIBITORS:
		arg.ignore_inhibitors = true;
		return -1;
	case OPT_DRIVER_TABLES:
		arg.tables = optarg;
		arg.tables_explicit = true;
		return -1;
	case OPT_NO_DAEMON:
		arg.no_daemon = true;
		return -1;
	case OPT_CONFIG:
		arg.config = optarg;
		return -1;
	case 'j': {
		char *end = NULL;
		unsigned long n;

		errno = 0;
		n = strtoul(optarg, &end, 10);
		if (errno || !end || *end || end == optarg || n < 1 || n > EXEC_JOBS_MAX) {
			log_error("Invalid --jobs \"%s\" (1 to %u).", optarg, EXEC_JOBS_MAX);
			return EXIT_USAGE;
		}
		arg.jobs = (unsigned)n;
		return -1;
	}
	case OPT_DEADLINE:
		if (parse_timespan(optarg, &arg.deadline_usec) < 0 ||
		    arg.deadline_usec < 1000000ULL || arg.deadline_usec > 3600ULL * 1000000ULL) {
			log_error("Invalid --deadline \"%s\" (e.g. 80s or 2min, 1s to 1h).",
				  optarg);
			return EXIT_USAGE;
		}
		return -1;
	case OPT_RUN_DIR:
		arg.rundir = optarg;
		return -1;
	case OPT_STAGE:
		arg.stage = optarg;
		return -1;
	case OPT_IF_STUCK:
		arg.if_stuck = if_stuck_from_string(optarg);
		if (arg.if_stuck < 0) {
			log_error("Invalid --if-stuck \"%s\" (restart, abort or kexec).", optarg);
			return EXIT_USAGE;
		}
		return -1;
	case OPT_WATCHDOG: {
		uint64_t usec;

		if (parse_timespan(optarg, &usec) < 0 || usec < 1000000ULL ||
		    usec > 3600ULL * 1000000ULL) {
			log_error("Invalid --watchdog \"%s\" (e.g. 2min, 1s to 1h).", optarg);
			return EXIT_USAGE;
		}
		arg.watchdog_sec = (unsigned)(usec / 1000000ULL);
		return -1;
	}
	case OPT_STATE_DIR:
		arg.state_dir = optarg;
		return -1;
	case OPT_PROC:
		arg.proc = optarg;
		return -1;
	case OPT_RECORD:
		arg.record = optarg;
		return -1;
	case OPT_VERSION:
		return -1;
	default: /* getopt has said what is wrong */
		fprintf(stderr, "See 'kexecq --help'.\n");
		return EXIT_USAGE;
	}
}

/*
 * As a systemd system-shutdown hook (a link named kexecq.shutdown in
 * /usr/lib/systemd/system-shutdown, see contrib/systemd/): systemd-shutdown
 * runs it with the verb as argv[1], after file systems are unmounted or
 * read-only and with D-Bus and journald gone.  On "kexec" it quiesces along
 * the frozen plan and logs to /dev/kmsg; on anything else it does nothing.
 */
static int shutdown_hook(int argc, char *argv[])
{
	if (argc < 2 || !streq(argv[1], "kexec"))
		return EXIT_OK;
	arg.stage = "final";
	log_set_max_level(LOG_NOTICE);
	return verb_run(VERB_APPLY, argv + argc);
}

int main(int argc, char *argv[])
{
	_cleanup_strv_free_ char **dirs = NULL, **args = NULL;
	unsigned long long seen = 0; /* bit i: options[i] was given */
	bool version = false;
	const char *e;
	enum verb verb = 0;
	size_t vi = 0;
	int c, r;

	log_set_fn(log_cli, NULL);
	log_set_max_level(LOG_WARNING);
	{
		const char *base = strrchr(argv[0], '/');

		if (streq(base ? base + 1 : argv[0], "kexecq.shutdown"))
			return shutdown_hook(argc, argv);
	}
	e = getenv("KEXECQ_LOG_LEVEL");
	if (e && log_level_from_string(e) >= 0)
		log_set_max_level(log_level_from_string(e));

	/*
	 * One pass over everything, options anywhere ("kexecq -P d plan",
	 * "kexecq policy list -P d"); "--" ends them.  What each verb accepts
	 * is checked once the verb is known.
	 */
	while ((c = getopt_long(argc, argv, "hP:j:o:", options, NULL)) >= 0) {
		r = parse_option(c, &dirs);
		if (r >= 0)
			return r;
		if (c == OPT_VERSION)
			version = true;
		for (size_t i = 0; options[i].name; i++)
			if (options[i].val == c)
				seen |= 1ULL << i;
	}
	for (int i = optind; i < argc; i++)
		if (strv_extend(&args, argv[i]) < 0)
			return log_oom(), EXIT_FAIL;
	if (!args && !(args = calloc(1, sizeof(char *))))
		return log_oom(), EXIT_FAIL;

	if (version) {
		printf("kexecq %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	if (!args[0] || streq(args[0], "help")) {
		if (args[0] || arg.help)
			return help_main();
		log_error("Missing command (see 'kexecq --help').");
		return EXIT_USAGE;
	}
	for (vi = 0; vi < ELEMENTSOF(verbs); vi++)
		if (streq(args[0], verbs[vi].name)) {
			verb = verbs[vi].verb;
			break;
		}
	if (!verb) {
		_cleanup_free_ char *shown = cescape(args[0]);

		log_error("Unknown command \"%s\" (see 'kexecq --help').", strna(shown));
		return EXIT_USAGE;
	}
	for (size_t i = 0; options[i].name; i++)
		if ((seen & (1ULL << i)) && !(option_verbs(options[i].val) & verb)) {
			log_error("%s does not take --%s (see 'kexecq %s --help').", args[0],
				  options[i].name, args[0]);
			return EXIT_USAGE;
		}
	if (arg.help) {
		verbs[vi].help();
		return EXIT_OK;
	}

	switch (verb) {
	case VERB_LOAD:
	case VERB_UNLOAD:
	case VERB_REBOOT:
	case VERB_APPLY:
		return verb_run(verb, args + 1);
	case VERB_PLAN:
		return verb_plan(args + 1);
	case VERB_CHECK:
		return verb_check(args + 1);
	case VERB_INVENTORY:
		return verb_inventory(args + 1);
	case VERB_VERIFY:
		return verb_verify(args + 1);
	case VERB_STATUS:
		return verb_status(args + 1);
	case VERB_PLOT:
		return verb_plot(args + 1);
	case VERB_ENABLE:
		return verb_enable(streq(args[0], "enable"), args + 1);
	case VERB_POLICY:
		if (!args[1]) {
			help_policy();
			return EXIT_USAGE;
		}
		if (streq(args[1], "verify"))
			return verb_policy_verify(args + 2);
		if (streq(args[1], "list"))
			return verb_policy_list(args + 2);
		if (streq(args[1], "cat"))
			return verb_policy_cat(args + 2);
		{
			_cleanup_free_ char *shown = cescape(args[1]);

			log_error("Unknown policy command \"%s\" (verify, list or cat).",
				  strna(shown));
		}
		return EXIT_USAGE;
	default:
		return EXIT_USAGE;
	}
}
