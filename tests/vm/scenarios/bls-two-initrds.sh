# A Boot Loader Spec entry with two initrd lines, an early cpio first (as
# Arch-style entries list microcode) and then the real initramfs: kexecq
# reboot --now chooses the entry by itself and gives the next kernel both,
# concatenated in order, as boot loaders do.  Until the fail-safe work only
# the first was passed, and the next kernel had no init.
# devices: edu
# expect: ^KEXECQ-PASS kexecq chose the entry, with both initrds in order
# expect: kexecq: kexec into /boot/bzImage
# expect: ^KEXECQ-STAGE2
# expect: ^KEXECQ-PASS the early initrd reached the next kernel
stage1() {
	mkdir -p /tmp/early /boot/loader/entries
	echo early >/tmp/early/early-initrd-marker
	(cd /tmp/early && echo early-initrd-marker | cpio -o -H newc >/boot/early.cpio 2>/dev/null)
	cat >/boot/loader/entries/kexecq-test.conf <<-EOF2
		title Two initrds
		linux /bzImage
		initrd /early.cpio
		initrd /stage2.cpio.gz
		options $(cat /proc/cmdline) kexecq.stage=2
	EOF2
	kexecq reboot --dry-run --now >/tmp/dry 2>&1
	sed 's/^/dry-run: /' /tmp/dry
	check "kexecq chose the entry, with both initrds in order" \
		sh -c 'grep -A1 "^Initrd: *.*/boot/early.cpio" /tmp/dry | grep -q "/boot/stage2.cpio.gz"'
	mark KEXEC
	kexecq reboot --now
	fail "kexecq reboot --now returned $?"
}
stage2() {
	check "the early initrd reached the next kernel" [ -f /early-initrd-marker ]
}
