# kexecq reboot --now on a kernel without the series: KernelMethod= is
# not applied, with one notice (the planner's warning, on the terminal and
# on /dev/kmsg), the rest of the plan runs, and the kexec happens.
# kernel: unpatched debian
# devices: edu edu e1000
# expect: ^kexecq: warning: 10-edu.policy: KernelMethod=remove ignored: the running kernel has no kexec_method
# expect: kexecq: 10-edu.policy: KernelMethod=remove ignored: the running kernel has no kexec_method
# expect: kexecq: \[ *[0-9]+/[0-9]+\] unbind 0000:00:0[0-9a-f].0 from e1000: done
# expect: kexecq: kexec into /boot/bzImage
# expect: ^KEXECQ-STAGE2
# expect: ^KEXECQ-BOUND .* e1000
stage1() {
	load_edu
	policy 10-edu.policy <<-EOF2
		[Match]
		Driver=edu_kexec_test
		[Quiesce]
		KernelMethod=remove
	EOF2
	policy 40-e1000.policy <<-EOF2
		[Match]
		Driver=e1000
		[Quiesce]
		Action=unbind
	EOF2
	kexecq_reboot_now
	fail "kexecq reboot --now returned $?"
}
