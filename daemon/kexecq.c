// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kexecq: the admin command.  A thin front end: parse arguments, call the
 * pipeline (policy → inventory → match → plan), print.  Exit codes are
 * documented in man/kexecq.8.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf-files.h"
#include "inventory.h"
#include "json.h"
#include "log.h"
#include "match.h"
#include "plan.h"
#include "policy.h"
#include "scan.h"
#include "strv.h"

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_POLICY = 3,
	EXIT_PLAN = 4,
};

static struct {
	char **policy_dirs;
	const char *sysfs;
	const char *moddir;
	const char *inventory;
	const char *save;
	bool json;
	bool explain;
} arg = {
	.sysfs = "/sys",
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

static const char global_help[] =
	"Global options:\n"
	"  -h --help              Show this help\n"
	"     --version           Show the version\n"
	"  -P --policy-dir=DIR    Read policies from DIR (repeatable; replaces the\n"
	"                         default /etc, /run, /usr/lib policy.d search path)\n"
	"     --sysfs=DIR         Root of sysfs (default /sys)\n"
	"     --moddir=DIR        Kernel modules directory (default /lib/modules/`uname -r`)\n"
	"     --log-level=LEVEL   err, warning, info or debug\n";

static int help_main(void)
{
	printf("Usage: kexecq [OPTIONS…] COMMAND …\n\n"
	       "Quiesce devices before kexec, driven by per-driver policy.\n\n"
	       "Commands:\n"
	       "  plan [--json] [--explain] [--inventory FILE]\n"
	       "                         Show what would be done before a kexec\n"
	       "  check [--inventory FILE]\n"
	       "                         List devices at risk: bound drivers without\n"
	       "                         ->shutdown() that no policy covers\n"
	       "  inventory [--json] [--save FILE]\n"
	       "                         Show or save the device inventory\n"
	       "  policy verify [FILE…]  Check policy files; all installed ones by default\n"
	       "  policy list            List policies in precedence order\n"
	       "  policy cat NAME        Print the policy file that wins for NAME\n\n"
	       "%s\n"
	       "Run 'kexecq COMMAND --help' for a command's options.\n"
	       "See kexecq(8) and kexecq.policy(5).\n",
	       global_help);
	return EXIT_OK;
}

static void help_plan(void)
{
	printf("Usage: kexecq plan [--json] [--explain] [--inventory FILE]\n\n"
	       "Print the steps kexecq would take before a kexec, in order, each with\n"
	       "the policy file and key that caused it.  Reads nothing but sysfs (or\n"
	       "the snapshot) and the policy files; changes nothing.\n\n"
	       "  --json             Machine-readable plan\n"
	       "  --explain          Also say why each step and each device's policy\n"
	       "  --inventory FILE   Plan for a saved snapshot instead of this machine\n\n%s",
	       global_help);
}

static void help_inventory(void)
{
	printf("Usage: kexecq inventory [--json] [--save FILE]\n\n"
	       "Show PCI functions and what hangs below them (SCSI hosts, NVMe\n"
	       "controllers, disks with their write cache, network interfaces,\n"
	       "SR-IOV VFs), with driver, module and the kernel's kexec_method.\n\n"
	       "  --json          Print the snapshot as JSON\n"
	       "  --save FILE     Write the snapshot to FILE (\"-\" for stdout)\n"
	       "  --inventory FILE  Show a saved snapshot instead\n\n%s",
	       global_help);
}

static void help_policy(void)
{
	printf("Usage: kexecq policy verify [FILE…]\n"
	       "       kexecq policy list\n"
	       "       kexecq policy cat NAME\n\n"
	       "verify  Parse the files given, or every installed policy, and report\n"
	       "        each problem as FILE:LINE: message.  Exit status 3 on errors.\n"
	       "list    Show each policy name, whether it is active or masked, the\n"
	       "        file that wins and the files it overrides.\n"
	       "cat     Print the winning file for NAME (\".policy\" may be left out).\n\n%s",
	       global_help);
}

static void help_check(void)
{
	printf("Usage: kexecq check [--inventory FILE]\n\n"
	       "List PCI functions whose bound driver has no ->shutdown() (known only\n"
	       "on a kernel with the kexecq patches) and that no policy governs: on\n"
	       "kexec they may keep doing DMA into the next kernel.  Exit status 5\n"
	       "when any device is at risk.\n\n%s",
	       global_help);
}

/* ---- shared helpers ------------------------------------------------------ */

static char *const *policy_dirs(void)
{
	return arg.policy_dirs ? arg.policy_dirs : policy_default_dirs;
}

static int load_inventory(struct inventory **ret)
{
	struct scan_options o = { .sysfs = arg.sysfs, .moddir = arg.moddir };

	if (arg.inventory)
		return inventory_load_json(arg.inventory, ret);
	return inventory_scan(&o, ret);
}

static int load_policies(struct policy_set **ret)
{
	return policy_set_load(policy_dirs(), POLICY_RUNTIME, ret, NULL);
}

static const char *policy_name_or_default(const struct policy *p)
{
	return p ? p->name : "(default: kernel)";
}

/* ---- plan ------------------------------------------------------------------ */

static void print_step(const struct step *s)
{
	_cleanup_free_ char *desc = step_describe(s);

	printf("%4zu  %-17s %s", s->id, step_type_to_string(s->type), strna(desc));
	if (s->n_deps) {
		printf("  [after");
		for (size_t i = 0; i < s->n_deps; i++)
			printf("%s%zu", i ? "," : " ", s->deps[i]);
		printf("]");
	}
	putchar('\n');
	if (s->policy) {
		unsigned line = s->policy->line[s->key];

		if (arg.explain) {
			printf("      because %s", s->policy->path);
			if (line)
				printf(":%u", line);
			printf(" %s: %s\n", policy_key_to_string(s->key), strna(s->reason));
			printf("      timeout %llus, on failure %s\n",
			       (unsigned long long)(s->timeout_usec / 1000000),
			       on_failure_to_string(s->on_failure));
		} else {
			printf("      <- %s %s%s", s->policy->name, policy_key_to_string(s->key),
			       line ? "" : " (default)");
			if (line)
				printf(" (line %u)", line);
			putchar('\n');
		}
	}
}

static int verb_plan(void)
{
	_cleanup_(inventory_freep) struct inventory *inv = NULL;
	_cleanup_(policy_set_freep) struct policy_set *ps = NULL;
	_cleanup_(plan_freep) struct plan *plan = NULL;
	_cleanup_free_ char *error = NULL;
	unsigned level = (unsigned)-1;
	int r;

	r = load_policies(&ps);
	if (r < 0)
		return EXIT_FAIL;
	r = load_inventory(&inv);
	if (r < 0)
		return EXIT_FAIL;
	r = plan_build(inv, ps, &plan, &error);
	if (r == -ELOOP) {
		log_error("Cannot order the plan: %s", strna(error));
		return EXIT_PLAN;
	}
	if (r < 0) {
		log_error_errno(r, "Failed to build the plan: %m");
		return EXIT_FAIL;
	}
	if (arg.json)
		return plan_write_json(plan, inv, stdout) < 0 ? EXIT_FAIL : EXIT_OK;

	printf("Plan for %s (%zu PCI functions, %zu polic%s): %zu step%s in %u level%s\n",
	       inv->source, plan->n_devices, ps->n, ps->n == 1 ? "y" : "ies", plan->n,
	       plan->n == 1 ? "" : "s", plan->n_levels, plan->n_levels == 1 ? "" : "s");
	printf("Kernel kexec_method: %s\n",
	       inv->kernel_kexec_method == KMETHOD_UNSET ?
		       "not available (kernel without the kexecq patches)" :
		       kernel_method_to_string(inv->kernel_kexec_method));
	if (plan->n == 0)
		printf("\nNothing to do: every device is left to the kernel's own shutdown.\n");
	for (size_t i = 0; i < plan->n; i++) {
		if (plan->steps[i].level != level) {
			level = plan->steps[i].level;
			printf("\nLevel %u%s:\n", level, level == 0 ? " (no prerequisites)" : "");
		}
		print_step(&plan->steps[i]);
	}
	if (arg.explain) {
		printf("\nDevices:\n");
		for (size_t i = 0; i < plan->n_devices; i++) {
			const struct plan_device *pd = &plan->devices[i];
			_cleanup_free_ char *why =
				pd->policy ? match_explain(pd->policy, pd->device) : NULL;

			printf("  %-14s %-16s %s", pd->device->name, strna(pd->device->driver),
			       policy_name_or_default(pd->policy));
			if (pd->policy)
				printf(" Action=%s: %s",
				       policy_action_to_string(pd->policy->action), strna(why));
			putchar('\n');
		}
	}
	if (plan->warnings) {
		printf("\nWarnings:\n");
		STRV_FOREACH (w, plan->warnings)
			printf("  %s\n", *w);
	}
	return EXIT_OK;
}

/* ---- check ----------------------------------------------------------------- */

static int verb_check(void)
{
	_cleanup_(inventory_freep) struct inventory *inv = NULL;
	_cleanup_(policy_set_freep) struct policy_set *ps = NULL;
	unsigned at_risk = 0, unknown = 0;

	if (load_policies(&ps) < 0 || load_inventory(&inv) < 0)
		return EXIT_FAIL;
	for (size_t i = 0; i < inv->n; i++) {
		const struct device *d = inv->devices[i];
		const struct policy *p;

		if (d->kind != DEVICE_PCI || !d->driver)
			continue;
		p = match_device(ps, d);
		if (d->has_shutdown < 0) {
			unknown++;
			continue;
		}
		if (d->has_shutdown || p)
			continue;
		at_risk++;
		printf("%s  %s: driver has no ->shutdown() and no policy governs it%s\n", d->name,
		       d->driver,
		       d->kexec_method == KMETHOD_AUTO || d->kexec_method == KMETHOD_REMOVE ?
			       " (the kernel will fall back to ->remove())" :
			       "");
	}
	if (unknown)
		printf("%u bound device%s not checked: the kernel does not say whether their "
		       "drivers have ->shutdown() (it lacks the kexecq patches)\n",
		       unknown, unknown == 1 ? "" : "s");
	if (!at_risk && !unknown)
		printf("No device at risk.\n");
	return at_risk ? 5 : EXIT_OK;
}

/* ---- inventory -------------------------------------------------------------- */

static void print_tree(const struct device *d, int depth)
{
	printf("%*s%-*s %-9s", depth * 2, "", 16 - depth * 2 > 4 ? 16 - depth * 2 : 4, d->name,
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
		if (d->has_shutdown == 0)
			printf(" no-shutdown");
		if (d->sriov_totalvfs)
			printf(" vfs %u/%u", d->sriov_numvfs, d->sriov_totalvfs);
		if (d->physfn)
			printf(" vf-of %s", d->physfn->name);
		break;
	case DEVICE_DISK:
		printf(" %s cache %s", strna(d->devnode), write_cache_to_string(d->write_cache));
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
	for (size_t i = 0; i < d->n_children; i++)
		print_tree(d->children[i], depth + 1);
}

static int verb_inventory(void)
{
	_cleanup_(inventory_freep) struct inventory *inv = NULL;
	int r;

	if (load_inventory(&inv) < 0)
		return EXIT_FAIL;
	if (arg.save && !streq(arg.save, "-")) {
		_cleanup_free_ char *tmp = NULL;
		FILE *f;

		if (asprintf(&tmp, "%s.tmpXXXXXX", arg.save) < 0)
			return log_oom(), EXIT_FAIL;
		int fd = mkstemp(tmp);

		if (fd < 0) {
			log_error_errno(errno, "Cannot create %s: %m", tmp);
			return EXIT_FAIL;
		}
		f = fdopen(fd, "w");
		if (!f) {
			close(fd);
			unlink(tmp);
			return EXIT_FAIL;
		}
		r = inventory_save_json(inv, f);
		if (fclose(f) != 0 && r >= 0)
			r = -errno;
		if (r >= 0 && rename(tmp, arg.save) < 0)
			r = -errno;
		if (r < 0) {
			unlink(tmp);
			log_error_errno(r, "Failed to save inventory to %s: %m", arg.save);
			return EXIT_FAIL;
		}
		printf("Saved %zu devices to %s\n", inv->n, arg.save);
		return EXIT_OK;
	}
	if (arg.json || arg.save)
		return inventory_save_json(inv, stdout) < 0 ? EXIT_FAIL : EXIT_OK;

	printf("Inventory from %s, kernel %s, kexec_method %s\n", inv->source,
	       strna(inv->kernel_release),
	       inv->kernel_kexec_method == KMETHOD_UNSET ?
		       "not available" :
		       kernel_method_to_string(inv->kernel_kexec_method));
	for (size_t i = 0; i < inv->n; i++)
		if (!inv->devices[i]->parent)
			print_tree(inv->devices[i], 0);
	return EXIT_OK;
}

/* ---- policy -------------------------------------------------------------------- */

static int verb_policy_verify(char **files)
{
	unsigned errors = 0, n = 0;
	int r;

	if (files && files[0]) {
		_cleanup_(policy_set_freep) struct policy_set *s = calloc(1, sizeof(*s));

		if (!s || !(s->policies = calloc(strv_length(files), sizeof(*s->policies))))
			return log_oom(), EXIT_FAIL;
		STRV_FOREACH (f, files) {
			_cleanup_free_ char *copy = strdup(*f);
			const char *base = copy ? strrchr(copy, '/') : NULL;
			struct policy *p = NULL;
			unsigned e = 0;

			if (!copy)
				return log_oom(), EXIT_FAIL;
			n++;
			r = policy_parse_file(*f, base ? base + 1 : copy, POLICY_VERIFY, &p, &e);
			if (r < 0)
				errors += e ? e : 1;
			else
				s->policies[s->n++] = p;
		}
		if (policy_set_check_order(s, POLICY_VERIFY) < 0)
			errors++;
	} else {
		_cleanup_(policy_set_freep) struct policy_set *s = NULL;

		r = policy_set_load(policy_dirs(), POLICY_VERIFY, &s, &errors);
		if (r < 0)
			return EXIT_FAIL;
		n = (unsigned)s->n + errors;
	}
	if (errors) {
		fprintf(stderr, "%u error%s.\n", errors, errors == 1 ? "" : "s");
		return EXIT_POLICY;
	}
	printf("%u polic%s OK.\n", n, n == 1 ? "y" : "ies");
	return EXIT_OK;
}

static int verb_policy_list(void)
{
	struct conf_file_list l = {};
	int r;

	r = conf_files_list(policy_dirs(), POLICY_SUFFIX, &l);
	if (r < 0)
		return EXIT_FAIL;
	if (l.n == 0)
		printf("No policies installed.\n");
	for (size_t i = 0; i < l.n; i++) {
		printf("%-32s %-7s %s\n", l.files[i].name, l.files[i].masked ? "masked" : "active",
		       l.files[i].path);
		STRV_FOREACH (s, l.files[i].shadowed)
			printf("%-32s %-7s %s\n", "", "(over)", *s);
	}
	conf_file_list_done(&l);
	return EXIT_OK;
}

static int verb_policy_cat(const char *name)
{
	_cleanup_free_ char *want = NULL;
	struct conf_file_list l = {};
	const struct conf_file *cf = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	char buf[4096];
	size_t n;
	int ret = EXIT_FAIL;

	if (strlen(name) > strlen(POLICY_SUFFIX) &&
	    streq(name + strlen(name) - strlen(POLICY_SUFFIX), POLICY_SUFFIX))
		want = strdup(name);
	else if (asprintf(&want, "%s%s", name, POLICY_SUFFIX) < 0)
		want = NULL;
	if (!want)
		return log_oom(), EXIT_FAIL;
	if (conf_files_list(policy_dirs(), POLICY_SUFFIX, &l) < 0)
		return EXIT_FAIL;
	for (size_t i = 0; i < l.n && !cf; i++)
		if (streq(l.files[i].name, want))
			cf = &l.files[i];

	if (!cf) {
		log_error("No policy named %s.", want);
	} else if (cf->masked) {
		printf("# %s (masked)\n", cf->path);
		ret = EXIT_OK;
	} else if (!(f = fopen(cf->path, "re"))) {
		log_error_errno(errno, "%s: cannot open: %m", cf->path);
	} else {
		printf("# %s\n", cf->path);
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, stdout);
		ret = EXIT_OK;
	}
	conf_file_list_done(&l);
	return ret;
}

/* ---- argument parsing ------------------------------------------------------------- */

enum {
	OPT_VERSION = 0x100,
	OPT_SYSFS,
	OPT_MODDIR,
	OPT_LOG_LEVEL,
	OPT_JSON,
	OPT_EXPLAIN,
	OPT_INVENTORY,
	OPT_SAVE,
};

static const struct option options[] = { { "help", no_argument, NULL, 'h' },
					 { "version", no_argument, NULL, OPT_VERSION },
					 { "policy-dir", required_argument, NULL, 'P' },
					 { "sysfs", required_argument, NULL, OPT_SYSFS },
					 { "moddir", required_argument, NULL, OPT_MODDIR },
					 { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
					 { "json", no_argument, NULL, OPT_JSON },
					 { "explain", no_argument, NULL, OPT_EXPLAIN },
					 { "inventory", required_argument, NULL, OPT_INVENTORY },
					 { "save", required_argument, NULL, OPT_SAVE },
					 {} };

static int usage_error(const char *msg)
{
	log_error("%s (see 'kexecq --help')", msg);
	return EXIT_USAGE;
}

/* Returns 0, or an exit status to stop with. */
static int parse_option(int c, char ***dirs, bool *help)
{
	int r;

	switch (c) {
	case 'h':
		*help = true;
		return 0;
	case OPT_VERSION:
		printf("kexecq %s\n", PACKAGE_VERSION);
		return -1;
	case 'P':
		if (strv_extend(dirs, optarg) < 0)
			return log_oom(), EXIT_FAIL;
		arg.policy_dirs = *dirs;
		return 0;
	case OPT_SYSFS:
		arg.sysfs = optarg;
		return 0;
	case OPT_MODDIR:
		arg.moddir = optarg;
		return 0;
	case OPT_LOG_LEVEL:
		r = log_level_from_string(optarg);
		if (r < 0)
			return usage_error("Invalid --log-level.");
		log_set_max_level(r);
		return 0;
	case OPT_JSON:
		arg.json = true;
		return 0;
	case OPT_EXPLAIN:
		arg.explain = true;
		return 0;
	case OPT_INVENTORY:
		arg.inventory = optarg;
		return 0;
	case OPT_SAVE:
		arg.save = optarg;
		return 0;
	default:
		return EXIT_USAGE;
	}
}

int main(int argc, char *argv[])
{
	_cleanup_strv_free_ char **dirs = NULL;
	bool help = false;
	const char *verb, *e;
	int c, r;

	log_set_fn(log_cli, NULL);
	log_set_max_level(LOG_WARNING);
	e = getenv("KEXECQ_LOG_LEVEL");
	if (e && log_level_from_string(e) >= 0)
		log_set_max_level(log_level_from_string(e));

	/* Global options, then the verb, then the verb's options. */
	while ((c = getopt_long(argc, argv, "+hP:", options, NULL)) >= 0) {
		r = parse_option(c, &dirs, &help);
		if (r)
			return r < 0 ? EXIT_OK : r;
	}
	if (optind >= argc) {
		if (help)
			return help_main();
		return usage_error("Missing command.");
	}
	verb = argv[optind++];
	while ((c = getopt_long(argc, argv, "hP:", options, NULL)) >= 0) {
		r = parse_option(c, &dirs, &help);
		if (r)
			return r < 0 ? EXIT_OK : r;
	}

	if (streq(verb, "help"))
		return help_main();
	if (streq(verb, "plan")) {
		if (help)
			return help_plan(), EXIT_OK;
		if (optind < argc)
			return usage_error("plan takes no arguments.");
		return verb_plan();
	}
	if (streq(verb, "check")) {
		if (help)
			return help_check(), EXIT_OK;
		if (optind < argc)
			return usage_error("check takes no arguments.");
		return verb_check();
	}
	if (streq(verb, "inventory")) {
		if (help)
			return help_inventory(), EXIT_OK;
		if (optind < argc)
			return usage_error("inventory takes no arguments.");
		return verb_inventory();
	}
	if (streq(verb, "policy")) {
		const char *sub = optind < argc ? argv[optind++] : NULL;

		if (help || !sub) {
			help_policy();
			return help ? EXIT_OK : EXIT_USAGE;
		}
		if (streq(sub, "verify"))
			return verb_policy_verify(argv + optind);
		if (streq(sub, "list"))
			return verb_policy_list();
		if (streq(sub, "cat")) {
			if (argc - optind != 1)
				return usage_error("policy cat takes exactly one NAME.");
			return verb_policy_cat(argv[optind]);
		}
		return usage_error("Unknown policy command.");
	}
	log_error("Unknown command \"%s\" (see 'kexecq --help').", verb);
	return EXIT_USAGE;
}
