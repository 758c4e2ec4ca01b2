# A ->remove() that never returns (edu hang=1, never released) under the
# systemd shutdown hook: kexecq reboot freezes the plan with a 20 s
# deadline (run.conf) and starts kexec.target; systemd-shutdown runs the
# hook, whose unbind is abandoned at its 3 s timeout.  At the point of no
# return the hook does not hand back to systemd-shutdown (its kexec, or
# its reboot, would wait forever in device_shutdown() on the lock the
# stuck ->remove() holds, after systemd's 90 s for the hooks): it unloads
# the kernel and restarts through the firmware itself.  The new boot finds
# the reason in pstore, within the deadline of the hook's start (the log
# line says 19.x s: reading and planning come out of the hook's budget).
# init: systemd
# devices: edu e1000
# end: restart
# expect: ^KEXECQ-PASS kexecq reboot started kexec.target
# expect: ^KEXECQ-PASS the run's settings are frozen
# expect: kexecq: quiescing: 2 steps, [0-9]+ at a time, deadline (19\.[0-9]|20\.0) s
# expect: kexecq: \[[0-9]/2\] unbind 0000:00:0[0-9a-f].0 from edu_kexec_test: timed-out .*abandoned
# expect: kexecq: step [0-9] \(unbind 0000:00:0[0-9a-f].0 from edu_kexec_test\) is stuck in the kernel
# expect: kexecq: .*loaded kernel unloaded: no kexec
# expect: kexecq: restarting now
# expect: ^KEXECQ-STAGE2 \(after a firmware restart\)
# expect: ^KEXECQ-PSTORE .*is stuck in the kernel
# expect: ^KEXECQ-PASS restarted within the deadline
# expect-not: Starting new kernel
# expect-not: systemd-shutdown.*[Tt]imed out
# timeout: 240
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
	mark KEXEC
	defer_stop
	kexecq reboot --deadline 20s --kernel /boot/bzImage --initrd /boot/stage2.cpio.gz \
		--reuse-cmdline --append kexecq.stage=2
	check "kexecq reboot started kexec.target" [ $? = 0 ]
	check "the run's settings are frozen" grep -q '^DeadlineSec=20000000us' /run/kexecq/frozen/run.conf
	until_stopped
}
stage2() {
	t=$(pstore_seconds 'kexecq: quiescing' 'kexecq: restarting now')
	mark "hook's quiesce to restart: ${t:-?} s"
	check "restarted within the deadline" awk "BEGIN { exit !(\"$t\" != \"\" && $t <= 20.5) }"
}
