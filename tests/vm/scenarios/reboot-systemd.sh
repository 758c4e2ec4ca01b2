# kexecq reboot with systemd 252 as PID 1: kexecq loads the kernel, freezes
# the plan in /run/kexecq/frozen and starts kexec.target through systemd's
# private socket; systemd stops the units and runs systemd-shutdown, which
# runs the kexecq.shutdown hook (the binary itself) with "kexec": it
# quiesces along the frozen plan and logs each step to /dev/kmsg; then
# systemd-shutdown kexecs.  The second kernel finds the hook's lines in
# the first kernel's console record (ramoops).
# init: systemd
# devices: edu edu e1000
# expect: ^KEXECQ-PASS kexecq reboot started kexec.target
# expect: ^KEXECQ-PASS the plan is frozen
# expect: kexecq: quiescing: 3 steps
# expect: kexecq: \[[0-9]/3\] unbind 0000:00:0[0-9a-f].0 from edu_kexec_test: done
# expect: kexecq: \[[0-9]/3\] unbind 0000:00:0[0-9a-f].0 from e1000: done
# expect: kexecq: 3 steps: 3 done
# expect: edu_kexec_test .* callback=remove reason=none
# expect: systemd-shutdown\[1\]: Rebooting with kexec\.
# expect: ^KEXECQ-STAGE2
# expect: ^KEXECQ-PSTORE .*kexecq: \[[0-9]/3\] unbind 0000:00:0[0-9a-f].0 from edu_kexec_test: done
# expect: ^KEXECQ-PSTORE .*kexecq: 3 steps: 3 done
# expect: ^KEXECQ-BOUND .* 0x1234:0x11e8 edu_kexec_test
# expect: ^KEXECQ-BOUND .* 0x8086:0x100e e1000
# expect-not: no frozen plan
# timeout: 180
stage1() {
	load_edu
	policy 10-edu.policy <<-EOF2
		[Match]
		Driver=edu_kexec_test
		[Quiesce]
		Action=unbind
	EOF2
	policy 40-e1000.policy <<-EOF2
		[Match]
		Driver=e1000
		[Quiesce]
		Action=unbind
	EOF2
	mark KEXEC
	defer_stop
	kexecq reboot --kernel /boot/bzImage --initrd /boot/stage2.cpio.gz \
		--reuse-cmdline --append kexecq.stage=2
	check "kexecq reboot started kexec.target" [ $? = 0 ]
	check "the plan is frozen" [ -f /run/kexecq/frozen/inventory.json ]
	# systemd stops this service on its way to kexec.target.
	until_stopped
}
