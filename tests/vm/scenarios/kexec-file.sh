# kexecq loads the next kernel with kexec -s (kexec_file_load, KEXEC_FILE):
# it loads, the kexec reaches stage 2, and the kernel's placement of the
# segments leaves the ramoops region alone.
# expect: KEXECQ-PASS kexec -s loaded a kernel
# expect: ^KEXECQ-PSTORE .*kexecq-file: loaded with kexec -s$
stage1() {
	kexec -s -l /boot/bzImage --initrd=/boot/stage2.cpio.gz \
		--append="$(cat /proc/cmdline) kexecq.stage=2" || fail "kexec -s -l"
	check "kexec -s loaded a kernel" [ "$(cat /sys/kernel/kexec_loaded)" = 1 ]
	echo "kexecq-file: loaded with kexec -s" >/dev/kmsg
	mark KEXEC
	kexec -e
	fail "kexec -e returned"
	finish
}
