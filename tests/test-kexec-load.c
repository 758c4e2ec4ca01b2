// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which kernel kexecq loads by default, and the checks before loading, on
 * file trees made here.  Loading itself needs a kernel: tests/vm.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kexec-load.h"
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

START_TEST(test_bls_order_and_default)
{
	char *root = testtmp_dir();
	char *entries = mkdirs(root, "boot/loader/entries");
	char *loader = mkdirs(root, "boot/loader");
	char *proc = mkdirs(root, "proc");
	struct kexec_request req = { .root = root, .release = "6.12.0" };
	struct kexec_image *img;

	free_path(testtmp_write(proc, "cmdline", "BOOT_IMAGE=/old root=/dev/sda1 ro\n"));
	free_path(testtmp_write(entries, "debian-6.1.conf",
		      "title Debian\nversion 6.1.0\nlinux /vmlinuz-6.1\ninitrd /initrd-6.1\n"
		      "options root=/dev/sda1\noptions quiet\n"));
	free_path(testtmp_write(entries, "debian-6.12.conf",
		      "title Debian\nversion 6.12.0\nlinux /vmlinuz-6.12\noptions root=/dev/vda\n"));
	free_path(testtmp_write(entries, "uki.conf", "title A type #2 entry has no linux key\nefi /x.efi\n"));

	/* No default: the first in boot menu order, the highest version. */
	img = choose(&req);
	ck_assert_str_eq(img->kernel + strlen(root), "/boot/vmlinuz-6.12");
	ck_assert_ptr_null(img->initrd);
	ck_assert_str_eq(img->cmdline, "root=/dev/vda");
	ck_assert_ptr_nonnull(strstr(img->origin, "first in boot menu order"));
	kexec_image_free(img);

	/* loader.conf's default glob, several options lines, --append. */
	free_path(testtmp_write(loader, "loader.conf", "timeout 3\ndefault debian-6.1.conf\n"));
	req.append = "kexecq.test=1";
	img = choose(&req);
	ck_assert_str_eq(img->kernel + strlen(root), "/boot/vmlinuz-6.1");
	ck_assert_str_eq(img->initrd + strlen(root), "/boot/initrd-6.1");
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
	ck_assert_ptr_nonnull(strstr(img->initrd, "/boot/initrd.img-6.12.9-amd64"));
	ck_assert_str_eq(img->origin, "the running kernel's image");
	ck_assert_str_eq(img->cmdline, "root=/dev/vda1");
	kexec_image_free(img);

	/* Debian's /vmlinuz link wins over it. */
	write_kernel(boot, "vmlinuz-6.12.10-amd64");
	ck_assert_int_ge(asprintf(&link, "%s/vmlinuz", root), 0);
	ck_assert_int_eq(symlink("boot/vmlinuz-6.12.10-amd64", link), 0);
	img = choose(&req);
	ck_assert_ptr_nonnull(strstr(img->kernel, "/vmlinuz"));
	ck_assert_ptr_null(img->initrd); /* no /initrd.img next to it */
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

	/* 'kexecq load' adds none, and still drops the old one. */
	req.from_boot_id = NULL;
	req.append = "quiet";
	img = choose(&req);
	ck_assert_str_eq(img->cmdline, "root=/dev/sda1 -- single quiet");
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

	/* A missing initrd is named. */
	ck_assert_int_ge(asprintf(&img.initrd, "%s/missing-initrd", dir), 0);
	ck_assert_int_eq(kexec_image_verify(&img, &error), -ENOENT);
	ck_assert_ptr_nonnull(strstr(error, "initrd"));
	ck_assert_ptr_nonnull(strstr(error, "missing-initrd"));
	free(error);
	error = NULL;
	free(img.initrd);
	img.initrd = NULL;

	/* Garbage is not a kernel. */
	free(img.kernel);
	img.kernel = testtmp_write(dir, "garbage", "this is not a kernel image at all, just text\n");
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

int main(void)
{
	Suite *s = suite_create("kexec-load");
	TCase *tc = test_tcase("kexec-load");

	tcase_add_test(tc, test_bls_order_and_default);
	tcase_add_test(tc, test_distribution_links_then_running);
	tcase_add_test(tc, test_from_marker);
	tcase_add_test(tc, test_verify);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
