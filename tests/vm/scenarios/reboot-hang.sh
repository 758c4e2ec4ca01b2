# An unbind that hangs in the driver (edu hang=1): the step is abandoned
# at its 3 s timeout, the other steps run, and kexecq goes on to the
# kexec well within the plan's deadline.  The kernel's own shutdown then
# waits for the hung ->remove() (it holds the device lock), so the
# scenario lets the driver go 12 s later, as a slow device would.
# devices: edu e1000
# expect: kexecq: \[ *[0-9]+/[0-9]+\] unbind 0000:00:0[0-9a-f].0 from edu_kexec_test: timed-out .*abandoned
# expect: kexecq: \[ *[0-9]+/[0-9]+\] unbind 0000:00:0[0-9a-f].0 from e1000: done
# expect: kexecq: 2 steps: 1 done, 1 timed-out
# expect: kexecq: kexec into /boot/bzImage
# expect: ^KEXECQ-STAGE2
# timeout: 180
stage1() {
	load_edu hang=1
	policy 10-edu.policy <<-EOF2
		[Match]
		Driver=edu_kexec_test
		[Quiesce]
		Action=unbind
		TimeoutSec=3s
	EOF2
	policy 40-e1000.policy <<-EOF2
		[Match]
		Driver=e1000
		[Quiesce]
		Action=unbind
	EOF2
	(sleep 12; echo 0 >/sys/module/edu_kexec_test/parameters/hang) &
	kexecq_reboot_now --deadline 30s
	fail "kexecq reboot --now returned $?"
}
