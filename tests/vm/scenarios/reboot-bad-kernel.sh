# A missing kernel, a file that is no kernel, a truncated kernel and a
# missing initrd: each is refused with the file named, before anything is
# quiesced; nothing is unbound and no kernel is left loaded.
# devices: edu
# end: poweroff
# expect: kexecq: kernel /nonexistent: No such file or directory
# expect: kexecq: kernel /tmp/garbage is not a kernel image
# expect: kexecq: kernel /tmp/truncated is truncated
# expect: kexecq: initrd /nonexistent.img: No such file or directory
# expect: ^KEXECQ-PASS missing kernel: exit 1, nothing unbound, nothing loaded
# expect: ^KEXECQ-PASS garbage kernel: exit 1, nothing unbound, nothing loaded
# expect: ^KEXECQ-PASS truncated kernel: exit 1, nothing unbound, nothing loaded
# expect: ^KEXECQ-PASS missing initrd: exit 1, nothing unbound, nothing loaded
# expect-not: callback=remove
# expect-not: ^KEXECQ-STAGE2
try() { # what kexecq-options...
	local what=$1 dev rc
	shift
	dev=$(ls /sys/bus/pci/drivers/edu_kexec_test | grep '^0000:')
	kexecq reboot --now "$@"
	rc=$?
	check "$what: exit 1, nothing unbound, nothing loaded" \
		[ "$rc" = 1 -a "$(driver_of "$dev")" = edu_kexec_test -a "$(cat /sys/kernel/kexec_loaded)" = 0 ]
}
stage1() {
	load_edu
	policy 10-edu.policy <<-EOF2
		[Match]
		Driver=edu_kexec_test
		[Quiesce]
		Action=unbind
	EOF2
	head -c 100000 /dev/urandom >/tmp/garbage
	head -c 20000 /boot/bzImage >/tmp/truncated
	try "missing kernel" --kernel /nonexistent
	try "garbage kernel" --kernel /tmp/garbage
	try "truncated kernel" --kernel /tmp/truncated --reuse-cmdline
	try "missing initrd" --kernel /boot/bzImage --initrd /nonexistent.img
	finish
}
