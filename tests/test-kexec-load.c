// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which kernel kexecq loads by default, and the checks before loading, on
 * file trees made here.  Loading itself needs a kernel: tests/vm.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kexec-load.h"
#include "strv.h"
#include "testlib.h"

static void free_path(char *p)
{
	ck_assert_ptr_nonnull(p);
	free(p);
}

static char *mkdirs(const char *root, const char *rel)
{
	char *p = NULL;

	ck_assert_int_ge(asprintf(&p, "%s/%s", root, rel), 0);
	for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		(void)mkdir(p, 0755);
		*s = '/';
	}
	(void)mkdir(p, 0755);
	return p;
}

/* An x86 boot image as far as the check looks: "HdrS" at 0x202. */
static void write_kernel(const char *dir, const char *name)
{
	char buf[0x400] = { 0 };
	char *path = NULL;
	FILE *f;

	memcpy(buf + 0x202, "HdrS", 4);
	buf[0x1f1] = 1; /* one setup sector + the boot sector: 1 KiB, syssize 0 */
	ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(buf, 1, sizeof(buf), f), sizeof(buf));
	fclose(f);
	free(path);
}

static struct kexec_image *choose(const struct kexec_request *req)
{
	struct kexec_image *img = NULL;
	char *error = NULL;

	ck_assert_msg(kexec_image_choose(req, &img, &error) == 0, "choose: %s",
		      error ? error : "?");
	free(error);
	return img;
}

/* A stand-in for kexec-tools: a script that records its arguments in <script>.argv. */
static char *fake_kexec(const char *dir, const char *name, const char *body)
{
	char *text = NULL, *path;

	ck_assert_int_ge(
		asprintf(&text, "#!/bin/sh\nprintf '%%s\\n' \"$@\" >\"$0.argv\"\n%s", body), 0);
	path = testtmp_write(dir, name, text);
	ck_assert_int_eq(chmod(path, 0755), 0);
	free(text);
	return path;
}

/* The whole of a small file, or NULL. */
static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return NULL;
	buf = calloc(1, 65537);
	ck_assert_ptr_nonnull(buf);
	n = fread(buf, 1, 65536, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

START_TEST(test_bls_order_and_default)
{
	char *root = testtmp_dir();
	char *entries = mkdirs(root, "boot/loader/entries");
	char *loader = mkdirs(root, "boot/loader");
	char *proc = mkdirs(root, "proc");
	char *boot = mkdirs(root, "boot");
	struct kexec_request req = { .root = root, .release = "6.12.0" };
	struct kexec_image *img;

	free_path(testtmp_write(proc, "cmdline", "BOOT_IMAGE=/old root=/dev/sda1 ro\n"));
	write_kernel(boot, "vmlinuz-6.1");
	write_kernel(boot, "vmlinuz-6.12");
	free_path(testtmp_write(boot, "initrd-6.1", "x"));
	free_path(testtmp_write(
		entries, "debian-6.1.conf",
		"title Debian\nversion 6.1.0\nlinux /vmlinuz-6.1\ninitrd /initrd-6.1\n"
		"options root=/dev/sda1\noptions quiet\n"));
	free_path(testtmp_write(
		entries, "debian-6.12.conf",
		"title Debian\nversion 6.12.0\nlinux /vmlinuz-6.12\noptions root=/dev/vda\n"));
	free_path(testtmp_write(entries, "uki.conf",
				"title A type #2 entry has no linux key\nefi /x.efi\n"));

	/* No default: the first in boot menu order, the highest version. */
	img = choose(&req);
	ck_assert_str_eq(img->kernel + strlen(root), "/boot/vmlinuz-6.12");
	ck_assert_ptr_null(img->initrds);
	ck_assert_str_eq(img->cmdline, "root=/dev/vda");
	ck_assert_ptr_nonnull(strstr(img->origin, "first in boot menu order"));
	kexec_image_free(img);

	/* loader.conf's default glob, several options lines, --append. */
	free_path(testtmp_write(loader, "loader.conf", "timeout 3\ndefault debian-6.1.conf\n"));
	req.append = "kexecq.test=1";
	img = choose(&req);
	ck_assert_str_eq(img->kernel + strlen(root), "/boot/vmlinuz-6.1");
	ck_assert_str_eq(img->initrds[0] + strlen(root), "/boot/initrd-6.1");
	ck_assert_ptr_null(img->initrds[1]);
	ck_assert_str_eq(img->cmdline, "root=/dev/sda1 quiet kexecq.test=1");
	ck_assert_ptr_nonnull(strstr(img->origin, "the default"));
	kexec_image_free(img);

	/* --reuse-cmdline: this boot's, without BOOT_IMAGE=. */
	req.append = NULL;
	req.reuse_cmdline = true;
	img = choose(&req);
	ck_assert_str_eq(img->cmdline, "root=/dev/sda1 ro");
	kexec_image_free(img);
	free(entries);
	free(loader);
	free(proc);
	free(boot);
	free(root);
}
END_TEST

/* A system call and the error it is to fail with. */
struct deny {
	int nr, err;
};

/*
 * Make system calls fail with the given errors before they reach the
 * kernel (seccomp; the process's native ABI only, enough for a test).  For
 * a forked child: it cannot be undone.
 */
static int deny_syscalls(const struct deny *d, size_t n)
{
	struct sock_filter f[2 + 2 * 8];
	struct sock_fprog prog = { .filter = f };
	size_t k = 0;

	if (n > 8)
		return -E2BIG;
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	for (size_t i = 0; i < n; i++) {
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)d[i].nr,
						      0, 1);
		f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
						      SECCOMP_RET_ERRNO | ((unsigned)d[i].err &
									   SECCOMP_RET_DATA));
	}
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = (unsigned short)k;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -errno;
	return 0;
}

/* Run fn(arg) in a child; its return value (0..125) is the child's exit status. */
static int in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(fn(arg));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "child killed by signal %d", WTERMSIG(status));
	return WEXITSTATUS(status);
}

static bool have_openat2(void)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));

	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

/* Choose with one entry, "a.conf", holding text; returns the result, *ret_error set. */
static int choose_entry(const struct kexec_request *req, const char *entries, const char *text,
			struct kexec_image **ret_img, char **ret_error)
{
	char *path = testtmp_write(entries, "a.conf", text);
	int r;

	*ret_img = NULL;
	*ret_error = NULL;
	r = kexec_image_choose(req, ret_img, ret_error);
	ck_assert_int_eq(unlink(path), 0);
	free(path);
	return r;
}

static bool endswith(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && streq(s + a - b, suffix);
}

struct confined {
	const struct kexec_request *req;
	const char *entries;
};

/* Without openat2: a plain path works, a symlink is refused by name.  0: as expected. */
static int confined_without_openat2(void *userdata)
{
	const struct confined *c = userdata;
	const struct deny d = { SYS_openat2, ENOSYS };
	struct kexec_image *img;
	char *error;
	int r;

	if (deny_syscalls(&d, 1) < 0)
		return 100;
	r = choose_entry(c->req, c->entries, "title t\nlinux /vmlinuz-6.1\n", &img, &error);
	if (r != 0 || !endswith(img->kernel, "/boot/vmlinuz-6.1"))
		return 1;
	kexec_image_free(img);
	r = choose_entry(c->req, c->entries, "title t\nlinux /vmlinuz\n", &img, &error);
	if (r != -ELOOP || !error || !strstr(error, "a.conf:2: linux /vmlinuz: a symlink"))
		return 2;
	free(error);
	return 0;
}

/*
 * Every initrd of an entry, in order: microcode first, then the initramfs
 * (Arch).  Loading concatenates them as boot loaders do, each at a
 * multiple of 4 bytes, and passes the result as one file.
 */
START_TEST(test_bls_all_initrds)
{
	static const char want[] = "ucode\0\0\0initramfs";
	char *root = testtmp_dir();
	char *entries = mkdirs(root, "boot/loader/entries");
	char *boot = mkdirs(root, "boot");
	char *proc = mkdirs(root, "proc");
	char *kexec = fake_kexec(
		root, "kexec",
		"for a; do case $a in --initrd=*) cat \"${a#--initrd=}\" >\"$0.initrd\";; "
		"esac; done\n");
	struct kexec_request req = { .root = root, .release = "6.12.0" };
	struct kexec_env env = { .kexec = kexec };
	struct kexec_image *img;
	char *error = NULL, *argv = NULL, *path = NULL, got[64];
	FILE *f;
	size_t n;

	free_path(testtmp_write(proc, "cmdline", "root=/dev/sda1\n"));
	write_kernel(boot, "vmlinuz-linux");
	free_path(testtmp_write(boot, "intel-ucode.img", "ucode"));
	free_path(testtmp_write(boot, "initramfs-linux.img", "initramfs"));
	free_path(testtmp_write(entries, "arch.conf",
				"title Arch Linux\nlinux /vmlinuz-linux\ninitrd /intel-ucode.img\n"
				"initrd /initramfs-linux.img\noptions root=/dev/sda2 rw\n"));

	img = choose(&req);
	ck_assert_uint_eq(strv_length(img->initrds), 2);
	ck_assert_str_eq(img->initrds[0] + strlen(root), "/boot/intel-ucode.img");
	ck_assert_str_eq(img->initrds[1] + strlen(root), "/boot/initramfs-linux.img");
	ck_assert_ptr_null(strstr(img->origin, "only"));
	ck_assert_int_eq(kexec_image_verify(img, &error), 0);

	/* kexec gets one file: the two, in order, the second at offset 8. */
	ck_assert_int_eq(kexec_image_load(img, KEXEC_SYSCALL_FILE, &env, NULL, &error), 0);
	ck_assert_int_ge(asprintf(&path, "%s.argv", kexec), 0);
	argv = slurp(path);
	ck_assert_msg(strstr(argv, "\n--initrd=/proc/self/fd/"), "%s", argv);
	free(path);
	ck_assert_int_ge(asprintf(&path, "%s.initrd", kexec), 0);
	f = fopen(path, "re");
	ck_assert_ptr_nonnull(f);
	n = fread(got, 1, sizeof(got), f);
	fclose(f);
	ck_assert_uint_eq(n, sizeof(want) - 1);
	ck_assert_int_eq(memcmp(got, want, n), 0);
	kexec_image_free(img);

	/* More than 32 initrd lines: refused, naming the line. */
	{
		char text[2048] = "title t\nlinux /vmlinuz-linux\n";

		for (int i = 0; i < 33; i++)
			strcat(text, "initrd /intel-ucode.img\n");
		free_path(testtmp_write(entries, "arch.conf", text));
		img = NULL;
		ck_assert_int_eq(kexec_image_choose(&req, &img, &error), -E2BIG);
		ck_assert_msg(strstr(error, "arch.conf:35: more than 32 initrd lines"), "%s",
			      error);
		free(error);
		free_path(testtmp_write(
			entries, "arch.conf",
			"title Arch Linux\nlinux /vmlinuz-linux\ninitrd /intel-ucode.img\n"
			"initrd /initramfs-linux.img\n"));
	}

	/* A missing second initrd is named with its line. */
	free(path);
	ck_assert_int_ge(asprintf(&path, "%s/initramfs-linux.img", boot), 0);
	ck_assert_int_eq(unlink(path), 0);
	img = NULL;
	ck_assert_int_eq(kexec_image_choose(&req, &img, &error), -ENOENT);
	ck_assert_msg(strstr(error, "arch.conf:4: initrd /initramfs-linux.img: No such file"), "%s",
		      error);
	free(error);

	free(argv);
	free(path);
	free(kexec);
	free(entries);
	free(boot);
	free(proc);
	free(root);
}
END_TEST

/*
 * Boot Loader Spec paths are relative to the partition's root and stay
 * there: "..", and symlinks out of it, are refused with the entry file,
 * line and path named.
 */
START_TEST(test_bls_paths_stay_in_partition)
{
	char *root = testtmp_dir();
	char *entries = mkdirs(root, "boot/loader/entries");
	char *boot = mkdirs(root, "boot");
	char *outside = mkdirs(root, "outside");
	char *proc = mkdirs(root, "proc");
	char *link = NULL;
	struct kexec_request req = { .root = root, .release = "6.12.0" };
	struct confined c = { .req = &req, .entries = entries };
	struct kexec_image *img;
	char *error;
	int r;

	free_path(testtmp_write(proc, "cmdline", "root=/dev/sda1\n"));
	write_kernel(boot, "vmlinuz-6.1");
	write_kernel(outside, "k");
	free_path(testtmp_write(outside, "i", "x"));
	ck_assert_int_ge(asprintf(&link, "%s/vmlinuz", boot), 0);

	/* "..": refused, wherever it is and whichever key. */
	ck_assert_int_eq(choose_entry(&req, entries, "title t\nlinux /../outside/k\n", &img,
				      &error),
			 -EINVAL);
	ck_assert_ptr_null(img);
	ck_assert_msg(strstr(error, "/boot/loader/entries/a.conf:2: linux /../outside/k: \"..\""),
		      "%s", error);
	free(error);
	ck_assert_int_eq(
		choose_entry(&req, entries,
			     "title t\nlinux /vmlinuz-6.1\n# comment\ninitrd /x/../../outside/i\n",
			     &img, &error),
		-EINVAL);
	ck_assert_msg(strstr(error, "a.conf:4: initrd /x/../../outside/i"), "%s", error);
	free(error);

	/* A symlink that leads out resolves inside the partition, where there is nothing. */
	ck_assert_int_eq(symlink("../outside/k", link), 0);
	ck_assert_int_lt(choose_entry(&req, entries, "title t\nlinux /vmlinuz\n", &img, &error), 0);
	ck_assert_ptr_null(img);
	ck_assert_msg(strstr(error, "a.conf:2: linux /vmlinuz: "), "%s", error);
	free(error);
	ck_assert_int_eq(unlink(link), 0);

	/* A symlink inside it: "/" is the partition's root; the path given to kexec has no symlink. */
	ck_assert_int_eq(symlink("/vmlinuz-6.1", link), 0);
	if (have_openat2()) {
		ck_assert_int_eq(
			choose_entry(&req, entries, "title t\nlinux /vmlinuz\n", &img, &error), 0);
		ck_assert_msg(endswith(img->kernel, "/boot/vmlinuz-6.1"), "%s", img->kernel);
		kexec_image_free(img);
	} else
		fprintf(stderr, "openat2() is missing here: only the fallback is tested\n");
	/* Without openat2 no symlink is followed. */
	r = in_child(confined_without_openat2, &c);
	if (r == 100)
		fprintf(stderr, "no seccomp here: the fallback without openat2 is not tested\n");
	else
		ck_assert_int_eq(r, 0);

	free(link);
	free(entries);
	free(boot);
	free(outside);
	free(proc);
	free(root);
}
END_TEST

START_TEST(test_distribution_links_then_running)
{
	char *root = testtmp_dir();
	char *boot = mkdirs(root, "boot");
	char *proc = mkdirs(root, "proc");
	struct kexec_request req = { .root = root, .release = "6.12.9-amd64" };
	struct kexec_image *img = NULL;
	char *error = NULL, *link = NULL;

	free_path(testtmp_write(proc, "cmdline", "root=/dev/vda1\n"));
	/* Nothing at all: the error says what was looked for. */
	ck_assert_int_eq(kexec_image_choose(&req, &img, &error), -ENOENT);
	ck_assert_ptr_nonnull(strstr(error, "/boot/vmlinuz-6.12.9-amd64"));
	ck_assert_ptr_nonnull(strstr(error, "--kernel"));
	free(error);

	/* The running kernel's image. */
	write_kernel(boot, "vmlinuz-6.12.9-amd64");
	free_path(testtmp_write(boot, "initrd.img-6.12.9-amd64", "x"));
	img = choose(&req);
	ck_assert_ptr_nonnull(strstr(img->kernel, "/boot/vmlinuz-6.12.9-amd64"));
	ck_assert_ptr_nonnull(strstr(img->initrds[0], "/boot/initrd.img-6.12.9-amd64"));
	ck_assert_str_eq(img->origin, "the running kernel's image");
	ck_assert_str_eq(img->cmdline, "root=/dev/vda1");
	kexec_image_free(img);

	/* Debian's /vmlinuz link wins over it. */
	write_kernel(boot, "vmlinuz-6.12.10-amd64");
	ck_assert_int_ge(asprintf(&link, "%s/vmlinuz", root), 0);
	ck_assert_int_eq(symlink("boot/vmlinuz-6.12.10-amd64", link), 0);
	img = choose(&req);
	ck_assert_ptr_nonnull(strstr(img->kernel, "/vmlinuz"));
	ck_assert_ptr_null(img->initrds); /* no /initrd.img next to it */
	ck_assert_str_eq(img->origin, "the distribution's /vmlinuz link");
	kexec_image_free(img);
	free(link);
	free(boot);
	free(proc);
	free(root);
}
END_TEST

/*
 * kexecq.from=: the one inherited from this boot is dropped, the new one
 * goes in before a "--" (the words after it are init's), one inside a
 * quoted value is not a parameter.
 */
START_TEST(test_from_marker)
{
	char *root = testtmp_dir();
	char *proc = mkdirs(root, "proc");
	struct kexec_request req = { .root = root,
				     .kernel = "/boot/vmlinuz",
				     .release = "6.12.0",
				     .from_boot_id = "5e0b6c7d-0000-4000-8000-000000000001" };
	struct kexec_image *img;

	free_path(
		testtmp_write(proc, "cmdline",
			      "BOOT_IMAGE=/old root=/dev/sda1 kexecq.from=1b4e28ba-2fa1-11d2-883f-"
			      "0016d3cca427 x.y=\"a kexecq.from=b\" quiet\n"));
	img = choose(&req);
	ck_assert_str_eq(img->cmdline, "root=/dev/sda1 x.y=\"a kexecq.from=b\" quiet "
				       "kexecq.from=5e0b6c7d-0000-4000-8000-000000000001");
	kexec_image_free(img);

	free_path(testtmp_write(proc, "cmdline",
				"root=/dev/sda1 kexecq.from=x -- single kexecq.from=y\n"));
	req.append = "";
	img = choose(&req);
	ck_assert_str_eq(img->cmdline,
			 "root=/dev/sda1 "
			 "kexecq.from=5e0b6c7d-0000-4000-8000-000000000001 -- single");
	kexec_image_free(img);

	/* 'kexecq load' adds none, and still drops the old one; --append goes before "--". */
	req.from_boot_id = NULL;
	req.append = "quiet";
	img = choose(&req);
	ck_assert_str_eq(img->cmdline, "root=/dev/sda1 quiet -- single");
	kexec_image_free(img);
	free(proc);
	free(root);
}
END_TEST

START_TEST(test_verify)
{
	char *dir = testtmp_dir();
	struct kexec_image img = {};
	char *error = NULL;

	write_kernel(dir, "good");
	ck_assert_int_ge(asprintf(&img.kernel, "%s/good", dir), 0);
	ck_assert_int_eq(kexec_image_verify(&img, &error), 0);

	/* A missing initrd is named, the second as the first. */
	free(testtmp_write(dir, "initrd", "x"));
	img.initrds = calloc(3, sizeof(char *));
	ck_assert_ptr_nonnull(img.initrds);
	ck_assert_int_ge(asprintf(&img.initrds[0], "%s/initrd", dir), 0);
	ck_assert_int_ge(asprintf(&img.initrds[1], "%s/missing-initrd", dir), 0);
	ck_assert_int_eq(kexec_image_verify(&img, &error), -ENOENT);
	ck_assert_ptr_nonnull(strstr(error, "initrd"));
	ck_assert_ptr_nonnull(strstr(error, "missing-initrd"));
	free(error);
	error = NULL;
	/* Several initrds: at most 1 GiB together (sparse files here). */
	for (int i = 0; i < 2; i++) {
		free(img.initrds[i]);
		ck_assert_int_ge(asprintf(&img.initrds[i], "%s/big%d", dir, i), 0);
		free(testtmp_write(dir, img.initrds[i] + strlen(dir) + 1, ""));
		ck_assert_int_eq(truncate(img.initrds[i], 600 << 20), 0);
	}
	ck_assert_int_eq(kexec_image_verify(&img, &error), -EFBIG);
	ck_assert_msg(strstr(error, "the initrds are 1200 MiB together"), "%s", error);
	free(error);
	error = NULL;
	img.initrds = strv_free(img.initrds);

	/* Garbage is not a kernel. */
	free(img.kernel);
	img.kernel =
		testtmp_write(dir, "garbage", "this is not a kernel image at all, just text\n");
	ck_assert_int_eq(kexec_image_verify(&img, &error), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(error, "not a kernel image"));
	free(error);
	error = NULL;

	/* A truncated bzImage: the header says more than the file has. */
	free(img.kernel);
	{
		char buf[0x400] = { 0 };
		FILE *f;

		memcpy(buf + 0x202, "HdrS", 4);
		buf[0x1f1] = 1;
		buf[0x1f4] = 0x40; /* syssize: 1 KiB more */
		ck_assert_int_ge(asprintf(&img.kernel, "%s/truncated", dir), 0);
		f = fopen(img.kernel, "w");
		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fwrite(buf, 1, sizeof(buf), f), sizeof(buf));
		fclose(f);
	}
	ck_assert_int_eq(kexec_image_verify(&img, &error), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(error, "truncated"));
	free(error);
	error = NULL;

	/* Nor an empty file or a directory. */
	free(img.kernel);
	img.kernel = testtmp_write(dir, "empty", "");
	ck_assert_int_eq(kexec_image_verify(&img, &error), -EINVAL);
	ck_assert_ptr_nonnull(strstr(error, "empty"));
	free(error);
	error = NULL;
	free(img.kernel);
	img.kernel = strdup(dir);
	ck_assert_int_eq(kexec_image_verify(&img, &error), -EINVAL);
	ck_assert_ptr_nonnull(strstr(error, "not a regular file"));
	free(error);
	free(img.kernel);
	free(dir);
}
END_TEST

/* Options before "--", the kernel after it: a file named like an option stays a file. */
START_TEST(test_load_argv_ends_options)
{
	char *dir = testtmp_dir();
	char *kexec = fake_kexec(dir, "kexec", "exit 0\n");
	struct kexec_env env = { .kexec = kexec };
	struct kexec_image img = { .kernel = (char *)"-e", .cmdline = (char *)"root=/dev/vda" };
	char *error = NULL, *argv_file = NULL, *argv = NULL;

	ck_assert_int_ge(asprintf(&argv_file, "%s.argv", kexec), 0);
	ck_assert_int_eq(kexec_image_load(&img, KEXEC_SYSCALL_FILE, &env, NULL, &error), 0);
	argv = slurp(argv_file);
	ck_assert_str_eq(argv, "-s\n-l\n--command-line=root=/dev/vda\n--\n-e\n");
	free(argv);

	img.initrds = (char *[]){ (char *)"--initrd=x", NULL };
	ck_assert_int_eq(kexec_image_load(&img, KEXEC_SYSCALL_LOAD, &env, NULL, &error), 0);
	argv = slurp(argv_file);
	ck_assert_str_eq(argv,
			 "-c\n-l\n--initrd=--initrd=x\n--command-line=root=/dev/vda\n--\n-e\n");
	free(argv);

	/* A failure names the command as it ran. */
	free(kexec);
	kexec = fake_kexec(dir, "kexec-fails", "echo 'Cannot load -e' >&2; exit 255\n");
	env.kexec = kexec;
	ck_assert_int_eq(kexec_image_load(&img, KEXEC_SYSCALL_FILE, &env, NULL, &error), -EIO);
	ck_assert_ptr_nonnull(strstr(error, "-s -l -- -e failed: Cannot load -e"));
	free(error);
	free(argv_file);
	free(kexec);
	free(dir);
}
END_TEST

/* A procfs with the kexec settings: kexec_load_limit_reboot is limit, or missing when NULL. */
static char *fake_proc(const char *limit, const char *disabled)
{
	char *proc = testtmp_dir();
	char *kernel = mkdirs(proc, "sys/kernel");

	free_path(testtmp_write(kernel, "osrelease", "6.12.0\n"));
	free_path(testtmp_write(kernel, "kexec_load_disabled", disabled));
	if (limit)
		free_path(testtmp_write(kernel, "kexec_load_limit_reboot", limit));
	free(kernel);
	return proc;
}

struct probe_case {
	const char *limit; /* kernel.kexec_load_limit_reboot, NULL: no such setting */
	const char *disabled;
	struct deny kernel[2]; /* what the kexec calls answer, if asked */
	enum kexec_syscall want;
	const char *why; /* in the reason, for NONE */
	char *proc; /* made from limit and disabled (by the parent, which removes it) */
};

/* In a child whose kexec calls never reach the kernel: 0 when the probe answers as expected. */
static int probe_child(void *userdata)
{
	const struct probe_case *c = userdata;
	struct kexec_env env = { .proc = c->proc };
	enum kexec_syscall got;
	char *why = NULL;

	if (deny_syscalls(c->kernel, 2) < 0)
		return 100;
	got = kexec_probe(&env, &why);
	if (got != c->want) {
		fprintf(stderr, "limit %s: %s, not %s (%s)\n", strna(c->limit),
			kexec_syscall_to_string(got), kexec_syscall_to_string(c->want), strna(why));
		return 1;
	}
	if (c->why && (!why || !strstr(why, c->why))) {
		fprintf(stderr, "limit %s: reason \"%s\"\n", strna(c->limit), strna(why));
		return 2;
	}
	return 0;
}

/*
 * Since Linux 6.7 every kexec system call, a probe with a bad fd as well,
 * takes one from kernel.kexec_load_limit_reboot.  Where that counts, the
 * probe makes no system call: here each kexec call answers EHWPOISON, so
 * any call made would turn the answer into "unexpected" (NONE).
 */
START_TEST(test_probe_spends_no_load)
{
	const struct deny poisoned[2] = { { SYS_kexec_file_load, EHWPOISON },
					  { SYS_kexec_load, EHWPOISON } };
	const struct deny has_file[2] = { { SYS_kexec_file_load, EBADF },
					  { SYS_kexec_load, EHWPOISON } };
	const struct deny load_only[2] = { { SYS_kexec_file_load, ENOSYS },
					   { SYS_kexec_load, EINVAL } };
	struct probe_case cases[] = {
		/* Counted: no system call. */
		{ "3\n", "0\n", { poisoned[0], poisoned[1] }, KEXEC_SYSCALL_FILE, NULL },
		{ "1\n", "0\n", { poisoned[0], poisoned[1] }, KEXEC_SYSCALL_FILE, NULL },
		{ "0\n",
		  "0\n",
		  { poisoned[0], poisoned[1] },
		  KEXEC_SYSCALL_NONE,
		  "kexec_load_limit_reboot is 0" },
		{ "-1\n",
		  "1\n",
		  { poisoned[0], poisoned[1] },
		  KEXEC_SYSCALL_NONE,
		  "kexec_load_disabled is 1" },
		/* Not counted (-1, or before 6.7): probed, as the answers show. */
		{ "-1\n", "0\n", { poisoned[0], poisoned[1] }, KEXEC_SYSCALL_NONE, "unexpected" },
		{ "-1\n", "0\n", { has_file[0], has_file[1] }, KEXEC_SYSCALL_FILE, NULL },
		{ NULL, "0\n", { load_only[0], load_only[1] }, KEXEC_SYSCALL_LOAD, NULL },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		int r;

		cases[i].proc = fake_proc(cases[i].limit, cases[i].disabled);
		r = in_child(probe_child, &cases[i]);
		free(cases[i].proc);

		if (r == 100) {
			fprintf(stderr, "no seccomp here: the probe is not tested\n");
			return;
		}
		ck_assert_msg(r == 0, "case %zu: %d", i, r);
	}
}
END_TEST

/*
 * Counted loads, so -s was not probed: kexec -c follows kexec -s only when
 * kexec_file_load is missing, which is when the count did not move.
 */
START_TEST(test_load_falls_back_only_on_enosys)
{
	char *proc = fake_proc("2\n", "0\n");
	char *dir = testtmp_dir();
	char *body = NULL, *kexec, *argv_file = NULL, *argv;
	struct kexec_env env = { .proc = proc };
	struct kexec_image img = { .kernel = (char *)"/boot/vmlinuz", .cmdline = (char *)"ro" };
	enum kexec_syscall used = KEXEC_SYSCALL_NONE;
	char *error = NULL;

	/* -s: what kexec-tools says when kexec_file_load is ENOSYS; the count stays. */
	kexec = fake_kexec(
		dir, "kexec-enosys",
		"[ \"$1\" = -s ] && { echo 'syscall kexec_file_load not available.' >&2; "
		"exit 253; }\nexit 0\n");
	env.kexec = kexec;
	ck_assert_int_ge(asprintf(&argv_file, "%s.argv", kexec), 0);
	ck_assert_int_eq(kexec_image_load(&img, KEXEC_SYSCALL_FILE, &env, &used, &error), 0);
	ck_assert_int_eq(used, KEXEC_SYSCALL_LOAD);
	argv = slurp(argv_file);
	ck_assert_str_eq(argv, "-c\n-l\n--command-line=ro\n--\n/boot/vmlinuz\n");
	free(argv);
	free(argv_file);
	free(kexec);

	/* The kernel refused the image (EINVAL: also EFALLBACK) and counted it: no -c. */
	ck_assert_int_ge(
		asprintf(&body,
			 "[ \"$1\" = -s ] && { echo 1 >%s/sys/kernel/kexec_load_limit_reboot; "
			 "echo 'syscall kexec_file_load not available.' >&2; exit 253; }\n"
			 "exit 0\n",
			 proc),
		0);
	kexec = fake_kexec(dir, "kexec-einval", body);
	env.kexec = kexec;
	ck_assert_int_ge(asprintf(&argv_file, "%s.argv", kexec), 0);
	used = KEXEC_SYSCALL_NONE;
	ck_assert_int_eq(kexec_image_load(&img, KEXEC_SYSCALL_FILE, &env, &used, &error), -EIO);
	ck_assert_int_eq(used, KEXEC_SYSCALL_NONE);
	ck_assert_msg(strstr(error, "-s -l -- /boot/vmlinuz failed: syscall kexec_file_load not"),
		      "%s", error);
	argv = slurp(argv_file);
	ck_assert_str_eq(argv, "-s\n-l\n--command-line=ro\n--\n/boot/vmlinuz\n");
	free(argv);
	free(error);
	free(argv_file);
	free(body);
	free(kexec);
	free(dir);
	free(proc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kexec-load");
	TCase *tc = test_tcase("kexec-load");

	tcase_add_test(tc, test_bls_order_and_default);
	tcase_add_test(tc, test_bls_paths_stay_in_partition);
	tcase_add_test(tc, test_bls_all_initrds);
	tcase_add_test(tc, test_distribution_links_then_running);
	tcase_add_test(tc, test_from_marker);
	tcase_add_test(tc, test_verify);
	tcase_add_test(tc, test_load_argv_ends_options);
	tcase_add_test(tc, test_probe_spends_no_load);
	tcase_add_test(tc, test_load_falls_back_only_on_enosys);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
