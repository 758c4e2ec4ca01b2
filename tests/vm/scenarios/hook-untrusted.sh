# The shutdown hook fails closed: the frozen plan is made writable by
# anyone (chmod 0777) between kexecq reboot and the hook.  The hook
# refuses it, says why on the console and unloads the kernel, so that
# systemd-shutdown's kexec finds nothing loaded and it reboots through
# the firmware instead: no kexec into devices left running.
# init: systemd
# devices: edu edu e1000
# end: restart
# expect: ^KEXECQ-PASS kexecq reboot started kexec.target
# expect: kexecq: .*/run/kexecq/frozen: not trusted
# expect: kexecq: cannot use the frozen plan in /run/kexecq/frozen .*: nothing quiesced; loaded kernel unloaded: no kexec
# expect: reboot: Restarting system
# expect: ^KEXECQ-STAGE2 \(after a firmware restart\)
# expect: ^KEXECQ-PSTORE .*nothing quiesced; loaded kernel unloaded
# expect: ^KEXECQ-BOUND .* 0x1234:0x11e8 edu_kexec_test
# expect-not: Starting new kernel
# expect-not: kexecq: \[[0-9]/[0-9]\] unbind
# timeout: 180
stage1() {
	load_edu
	policy 10-edu.policy <<-EOF2
		[Match]
		Driver=edu_kexec_test
		[Quiesce]
		Action=unbind
	EOF2
	kexecq reboot --kernel /boot/bzImage --initrd /boot/stage2.cpio.gz \
		--reuse-cmdline --append kexecq.stage=2
	check "kexecq reboot started kexec.target" [ $? = 0 ]
	# Before systemd has stopped the units: anyone could now swap the plan.
	chmod 0777 /run/kexecq/frozen
	sleep 60
}
