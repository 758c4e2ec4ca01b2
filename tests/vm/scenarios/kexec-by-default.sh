# Kexec by default, with systemd 252 as PID 1, the system bus, and kexecqd
# as installed: `kexecq enable` enables kexecqd.service and asks the daemon
# (bus-activated) to apply the setting; kexecqd loads the default kernel
# (the Boot Loader Spec entry written here), freezes the plan and puts its
# drop-in for systemd-reboot.service in place; `kexecq status` says the
# next reboot is a kexec on a plain reboot.  Editing the entry's command
# line re-arms it (a new load; the daemon watches /boot); a device event
# refreshes the frozen plan (the time is printed); a restarted kexecqd still
# knows the loaded kernel is its own (started with kexec by default off, it
# unloads it); then a plain
# `systemctl reboot` goes through reboot.target and systemd-reboot.service
# to systemd-shutdown's kexec, whose hook quiesces along the frozen plan.
# Stage 2 has the edited command line.
# init: systemd
# bus: kexecqd
# devices: edu e1000
# expect: ^KEXECQ-PASS kexecq enable enables kexecqd.service
# expect: ^KEXECQ-PASS kexecqd armed the next reboot \(kexec\)
# expect: ^KEXECQ-PASS the drop-in for systemd-reboot.service is in place
# expect: ^Next reboot:  kexec into /boot/bzImage \(initrd /boot/stage2.cpio.gz\), quiescing along the frozen plan
# expect: on systemctl kexec, reboot, shutdown -r, systemctl reboot and logind's Reboot: kexecqd's drop-in
# expect: ^Next reboot: the next reboot kexecs into /boot/bzImage with the frozen plan \(2 steps\)
# expect: ^s "the next reboot kexecs into /boot/bzImage with the frozen plan \(2 steps\)
# expect: ^KEXECQ-PASS an edit of the boot entry re-arms with its command line
# expect: ^KEXECQ-FIGURE device event to a refreshed frozen plan: [0-9.]+ s
# expect: ^KEXECQ-PASS kexecqd started with kexec by default off unloads the kernel it had armed
# expect: ^KEXECQ-PASS kexecq enable arms again
# expect: kexecq: quiescing: 2 steps
# expect: kexecq: \[[0-9]/2\] unbind 0000:00:0[0-9a-f].0 from edu_kexec_test: done
# expect: kexecq: 2 steps: 2 done
# expect: systemd-shutdown\[1\]: Rebooting with kexec\.
# expect: ^KEXECQ-STAGE2
# expect: ^KEXECQ-PASS stage 2 booted the re-armed command line
# expect: ^KEXECQ-PSTORE .*kexecq: 2 steps: 2 done
# expect: ^KEXECQ-BOUND .* 0x1234:0x11e8 edu_kexec_test
# expect: ^KEXECQ-BOUND .* 0x8086:0x100e e1000
# expect-not: no frozen plan
# expect-not: Cannot arm the next reboot
# timeout: 300

# next_kexec_has STRING: kexecq status --json says a kexec is next, and STRING is in it.
next_kexec_has() {
	kexecq status --json >/tmp/status.json 2>/dev/null &&
		tr -d ' \n' </tmp/status.json | grep -q '"next_reboot":{"kexec":true' &&
		grep -q -- "$1" /tmp/status.json
}

# frozen_changed BEFORE: the frozen plan is not the one stat described as BEFORE.
frozen_changed() { [ "$(stat -c '%i %y' /run/kexecq/frozen/inventory.json)" != "$1" ]; }

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
	# kexecqd's messages on the console: no journald here.
	mkdir -p /etc/systemd/system/kexecqd.service.d
	cat >/etc/systemd/system/kexecqd.service.d/console.conf <<-EOF2
		[Service]
		StandardOutput=tty
		StandardError=inherit
		TTYPath=/dev/console
	EOF2
	# The boot loader's entry: the default kernel that kexecqd loads.
	mkdir -p /boot/loader/entries
	cat >/boot/loader/entries/vm.conf <<-EOF2
		title VM stage 2
		linux /bzImage
		initrd /stage2.cpio.gz
		options $(cat /proc/cmdline) kexecq.stage=2 kexecq.test=first
	EOF2
	kexecq enable
	check "kexecq enable enables kexecqd.service" \
		[ -L /etc/systemd/system/multi-user.target.wants/kexecqd.service ]
	for _ in $(seq 60); do next_kexec_has kexecq.test=first && break; sleep 1; done
	check "kexecqd armed the next reboot (kexec)" next_kexec_has kexecq.test=first
	check "the drop-in for systemd-reboot.service is in place" \
		[ -f /run/systemd/system/systemd-reboot.service.d/50-kexecq.conf ]
	kexecq status
	busctl get-property org.kexecq1 /org/kexecq1 org.kexecq1.Manager NextReboot
	sed -i 's/kexecq.test=first/kexecq.test=rearmed/' /boot/loader/entries/vm.conf
	for _ in $(seq 60); do next_kexec_has kexecq.test=rearmed && break; sleep 1; done
	check "an edit of the boot entry re-arms with its command line" \
		next_kexec_has kexecq.test=rearmed
	# A figure, not a check: a device event to the refreshed frozen plan (TCG).
	before=$(stat -c '%i %y' /run/kexecq/frozen/inventory.json)
	t0=$(cut -d' ' -f1 /proc/uptime)
	echo change >/sys/bus/pci/devices/0000:00:03.0/uevent
	if wait_for 30 frozen_changed "$before"; then
		mark "FIGURE device event to a refreshed frozen plan: $(echo "$(cut -d' ' -f1 /proc/uptime) $t0" |
			awk '{printf "%.2f", $1 - $2}') s (TCG, 0.01 s resolution)"
	else
		fail "a device event did not refresh the frozen plan"
		for p in EventsReceived EventsApplied EventsLost InventoryGeneration NextReboot State; do
			echo "$p: $(busctl get-property org.kexecq1 /org/kexecq1 org.kexecq1.Manager $p)"
		done
	fi
	# A kexecqd started anew knows the kernel in the slot is its own: turned
	# off while it was stopped, it unloads it when it starts.
	systemctl stop kexecqd.service
	printf '[Reboot]\nKexecByDefault=no\n' >/etc/kexecq/kexecq.conf
	systemctl start kexecqd.service
	check "kexecqd started with kexec by default off unloads the kernel it had armed" \
		wait_for 30 grep -qx 0 /sys/kernel/kexec_loaded
	kexecq enable >/dev/null
	check "kexecq enable arms again" wait_for 60 next_kexec_has kexecq.test=rearmed
	mark KEXEC
	systemctl reboot || fail "systemctl reboot"
	# systemd stops this service on its way to reboot.target.
	sleep 60
}

stage2() {
	check "stage 2 booted the re-armed command line" grep -q kexecq.test=rearmed /proc/cmdline
}
