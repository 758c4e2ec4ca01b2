# SIGTERM in the middle of kexecq reboot --now: both edu unbinds are in
# their 3 s ->remove() and the e1000 interface is down when the signal
# comes.  It is an abort request: kexecq lets the running steps end,
# undoes everything in the plan's reverse order (rebinds, brings the
# interface up), unloads the kernel and exits 6.  No kexec.
# devices: edu edu e1000
# end: poweroff
# expect: ^KEXECQ-PASS the quiesce had started
# expect: kexecq: \[ *[0-9]+/[0-9]+\] unbind 0000:00:0[0-9a-f].0 from edu_kexec_test: undone
# expect: kexecq: \[ *[0-9]+/[0-9]+\] bring interface eth0 down: undone; eth0 up again
# expect: kexecq: cancelled \(SIGTERM\): rolled back; loaded kernel unloaded: no kexec
# expect: ^KEXECQ-PASS exit status 6
# expect: ^KEXECQ-PASS every device bound again
# expect: ^KEXECQ-PASS eth0 up again
# expect: ^KEXECQ-PASS no kernel left loaded
# expect-not: ^KEXECQ-STAGE2
# expect-not: Starting new kernel
stage1() {
	load_edu remove_delay_ms=3000
	ip-netlink link set eth0 up
	before=$(for d in /sys/bus/pci/devices/*; do echo "${d##*/} $(driver_of "${d##*/}")"; done)
	policy 10-edu.policy <<-EOF2
		[Policy]
		After=40-e1000.policy
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
		NetworkDown=yes
	EOF2
	# Not through kexecq_reboot_now: $! must be kexecq itself, not a subshell.
	kexecq reboot --now --kernel /boot/bzImage --initrd /boot/stage2.cpio.gz \
		--reuse-cmdline --append kexecq.stage=2 &
	pid=$!
	# Until both edu unbinds are in the driver (they follow the e1000 steps).
	for i in $(seq 1 200); do
		[ "$(grep -c 'from edu_kexec_test: started' /run/kexecq/journal 2>/dev/null)" = 2 ] && break
		sleep 0.1
	done
	check "the quiesce had started" grep -q 'from edu_kexec_test: started' /run/kexecq/journal
	kill -TERM $pid
	wait $pid
	rc=$?
	check "exit status 6" [ "$rc" = 6 ]
	after=$(for d in /sys/bus/pci/devices/*; do echo "${d##*/} $(driver_of "${d##*/}")"; done)
	check "every device bound again" [ "$before" = "$after" ]
	flags=$(cat /sys/class/net/eth0/flags)
	check "eth0 up again" [ $((flags & 1)) = 1 ]
	check "no kernel left loaded" [ "$(cat /sys/kernel/kexec_loaded)" = 0 ]
	finish
}
