# kexecq's KernelMethod= on the v3 kernel: a policy asks for remove for the
# edu devices; the plan has one step per device, writing that device's
# kexec_method; kexecq reboot --now runs them, and the kernel releases both
# drivers inside the shutdown walk (the edu driver has ->shutdown() and did
# not opt in, so without the policy it would get ->shutdown()).
# devices: edu edu
# expect: KEXECQ-PASS the plan sets kexec_method per device
# expect: kexecq: \[ *[0-9]+/[0-9]+\] set kexec_method of 0000:00:0[0-9a-f].0 .*: done
# expect: kexec: releasing edu_kexec_test
# expect: callback=remove reason=kexec
# expect-not: callback=shutdown reason=kexec
stage1() {
	load_edu has_shutdown=1
	policy 10-edu.policy <<-EOF2
		[Match]
		Driver=edu_kexec_test
		[Quiesce]
		KernelMethod=remove
	EOF2
	kexecq plan >/tmp/plan 2>&1
	cat /tmp/plan
	check "the plan sets kexec_method per device" [ "$(grep -c 'set kexec_method of 0000:' /tmp/plan)" = 2 ]
	kexecq_reboot_now
	fail "kexecq reboot --now returned $?"
}
stage2() {
	check "both releases in the first kernel" [ "$(prev_log | grep -c 'kexec: releasing edu_kexec_test')" = 2 ]
}
