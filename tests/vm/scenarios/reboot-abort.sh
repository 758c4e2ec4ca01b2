# An unbind that fails under OnFailure=abort: the e1000 interface was
# brought down and its driver unbound first (After=), then the edu unbind
# fails (the test driver has no unbind attribute with fail_unbind=1).
# kexecq rolls back in reverse order, unloads the kernel and exits 6:
# no kexec, every device bound again, the interface up, nothing loaded.
# devices: edu edu e1000
# end: poweroff
# expect: kexecq: \[ *[0-9]+/[0-9]+\] unbind 0000:00:0[0-9a-f].0 from edu_kexec_test: failed.*no unbind attribute
# expect: kexecq: \[ *[0-9]+/[0-9]+\] unbind 0000:00:0[0-9a-f].0 from e1000: undone; bound to e1000 again
# expect: kexecq: \[ *[0-9]+/[0-9]+\] bring interface eth0 down: undone; eth0 up again
# expect: kexecq: step [0-9]+ failed and its policy says OnFailure=abort: rolled back; loaded kernel unloaded: no kexec
# expect: ^KEXECQ-PASS exit status 6
# expect: ^KEXECQ-PASS every device bound again
# expect: ^KEXECQ-PASS eth0 up again
# expect: ^KEXECQ-PASS no kernel left loaded
# expect-not: ^KEXECQ-STAGE2
stage1() {
	load_edu fail_unbind=1
	ip-netlink link set eth0 up
	before=$(for d in /sys/bus/pci/devices/*; do echo "${d##*/} $(driver_of "${d##*/}")"; done)
	policy 10-edu.policy <<-EOF2
		[Policy]
		After=40-e1000.policy
		[Match]
		Driver=edu_kexec_test
		[Quiesce]
		Action=unbind
		OnFailure=abort
	EOF2
	policy 40-e1000.policy <<-EOF2
		[Match]
		Driver=e1000
		[Quiesce]
		Action=unbind
		NetworkDown=yes
	EOF2
	kexecq_reboot_now
	rc=$?
	check "exit status 6" [ "$rc" = 6 ]
	after=$(for d in /sys/bus/pci/devices/*; do echo "${d##*/} $(driver_of "${d##*/}")"; done)
	check "every device bound again" [ "$before" = "$after" ]
	flags=$(cat /sys/class/net/eth0/flags)
	check "eth0 up again" [ $((flags & 1)) = 1 ]
	check "no kernel left loaded" [ "$(cat /sys/kernel/kexec_loaded)" = 0 ]
	finish
}
