# kexecqd's live inventory under PCI hot-plug (QEMU's device_add and
# device_del on the i440FX's ACPI hot-plug, asked for by the guest through
# the monitor relay), then a plan that runs while a device goes away.
#
# Part 1: with plans being asked of kexecqd in a loop, an e1000 is added
# and the boot-time one removed.  uevent-count listens beside kexecqd to
# the same subsystems; kexecqd must have received and applied exactly as
# many events, lost none, and its next plan has the new function and not
# the removed one.
# Part 2: kexecq reboot --now -j 1 with edu's ->remove() taking 6 s; while
# edu's unbind runs, the hot-added e1000 is removed: its unbind step ends
# "gone", not failed, the plan finishes and the kexec goes on.
# bus: kexecqd
# monitor: yes
# devices: edu@04 e1000@05
# expect: ^monitor: device_add e1000,id=hot1,addr=0x9 -> ok
# expect: ^monitor: device_del dev2 -> ok
# expect: ^KEXECQ-PASS the hot-added e1000 is bound
# expect: ^KEXECQ-PASS the boot-time e1000 is gone
# expect: ^KEXECQ-PASS kexecqd received every event \([1-9][0-9]* of [1-9][0-9]*\)
# expect: ^KEXECQ-PASS kexecqd applied every event
# expect: ^KEXECQ-PASS kexecqd lost no event
# expect: ^KEXECQ-PASS kexecqd's next plan has the hot-added e1000
# expect: ^KEXECQ-PASS kexecqd's next plan has no step for the removed e1000
# expect: ^monitor: device_del hot1 -> ok
# expect: kexecq: \[[0-9]/2\] unbind 0000:00:04.0 from edu_kexec_test: done
# expect: kexecq: \[[0-9]/2\] unbind 0000:00:09.0 from e1000: gone in [0-9.]+ s; 0000:00:09.0 (is gone|went away during the step)
# expect: kexecq: 2 steps: 1 done, 1 gone
# expect: ^KEXECQ-STAGE2
# expect: ^KEXECQ-BOUND 0000:00:04.0 0x1234:0x11e8 edu_kexec_test
# expect-not: ^KEXECQ-BOUND 0000:00:0[59].0
# timeout: 300

plan_has() { kexecq plan 2>/dev/null | grep -q "$1"; }
all_applied() { [ "$(kexecqd_property EventsApplied)" = "$(kexecqd_property EventsReceived)" ]; }

stage1() {
	load_edu remove_delay_ms=6000
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
	start_bus || return

	# Part 1: devices come and go while plans are asked for.
	uevent-count >/tmp/uevents &
	counter=$!
	wait_for 10 grep -q listening /tmp/uevents
	received0=$(kexecqd_property EventsReceived)
	rm -f /tmp/stop
	(while [ ! -e /tmp/stop ]; do kexecq plan >/dev/null 2>&1; done) &
	planner=$!
	monitor device_add e1000,id=hot1,addr=0x9
	check "the hot-added e1000 is bound" wait_for 30 [ -e /sys/bus/pci/devices/0000:00:09.0/driver ]
	monitor device_del dev2
	check "the boot-time e1000 is gone" wait_for 30 [ ! -e /sys/bus/pci/devices/0000:00:05.0 ]
	touch /tmp/stop
	wait $planner
	sleep 1
	kill $counter
	wait $counter
	sed 's/^/    /' /tmp/uevents
	n=$(sed -n 's/^uevents //p' /tmp/uevents)
	wait_for 10 all_applied
	received=$(($(kexecqd_property EventsReceived) - received0))
	check "kexecqd received every event ($received of $n)" [ "$received" = "$n" -a "${n:-0}" -gt 0 ]
	check "kexecqd applied every event" all_applied
	check "kexecqd lost no event" [ "$(kexecqd_property EventsLost)" = 0 ]
	kexecq plan
	check "kexecqd's next plan has the hot-added e1000" plan_has "unbind 0000:00:09.0"
	check "kexecqd's next plan has no step for the removed e1000" eval '! plan_has 0000:00:05.0'
	grep -c "Device event" /tmp/kexecqd.log | sed 's/^/kexecqd logged device events: /'

	# Part 2: a plan runs while a device goes.
	mark KEXEC
	kexecq reboot --now -j 1 --kernel /boot/bzImage --initrd /boot/stage2.cpio.gz \
		--reuse-cmdline --append kexecq.stage=2 &
	# edu's unbind runs first and takes 6 s.
	sleep 2
	monitor device_del hot1
	wait
	fail "kexecq reboot --now returned"
}
