# kexecq verify after a kexec in which a driver did not come back: stage 1
# runs kexecq reboot --now (edu and e1000 unbound by policy, eth0 down
# first) and so records what is bound on the virtio-blk disk mounted at
# /var/lib/kexecq; the second kernel is told, on its command line only
# (APPEND, not "# append:"), to refuse the e1000 module
# (module_blacklist=e1000: the kernel itself refuses it, so the init's own
# "modprobe e1000" fails), so the e1000 function comes back unbound.
# kexecq verify must name it, leave eth0 below it unsaid, and exit 9;
# kexecq status must say where this boot came from.
# devices: edu edu e1000 virtio-blk
# expect: ^KEXECQ-PASS record written in stage 1's boot
# expect: kexecq: kexec into /boot/bzImage
# expect: ^KEXECQ-STAGE2
# expect: Module e1000 is blacklisted
# expect: ^KEXECQ-BOUND .* 0x8086:0x100e none$
# expect: ^KEXECQ-BOUND .* 0x1234:0x11e8 edu_kexec_test
# expect: ^KEXECQ-PASS kexecq.from= names stage 1's boot
# expect: ^KEXECQ-VERIFY Boot [0-9a-f-]{36}: kexec 1 in a row, from boot [0-9a-f-]{36}
# expect: ^KEXECQ-VERIFY 0000:00:0[0-9a-f].0 +unbound \(was bound to e1000\)$
# expect: ^KEXECQ-VERIFY 1 difference from the record \([0-9]+ PCI functions, 1 interface and 1 disk recorded\)\.$
# expect: ^KEXECQ-VERIFY-STATUS 9$
# expect: ^KEXECQ-PASS verify --json: one error, unbound
# expect: ^KEXECQ-PASS status: the last kexec booted into this boot
# expect-not: ^KEXECQ-VERIFY .*edu_kexec_test
# expect-not: ^KEXECQ-VERIFY eth0
# expect-not: ^KEXECQ-VERIFY vda
# timeout: 180
stage1() {
	state_disk mkfs
	load_edu
	ip-netlink link set eth0 up
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
		NetworkDown=yes
	EOF2
	# The record is written before the quiesce: look for it from the
	# second kernel, which gets this boot's id on its command line too.
	APPEND="module_blacklist=e1000 kexecq.test-from=$(cat /proc/sys/kernel/random/boot_id)" \
		kexecq_reboot_now
	fail "kexecq reboot --now returned $?"
}
stage2() {
	state_disk
	old=$(sed -n 's/.*kexecq\.test-from=\([0-9a-f-]*\).*/\1/p' /proc/cmdline)
	check "record written in stage 1's boot" test -f "/var/lib/kexecq/record-$old.json"
	check "kexecq.from= names stage 1's boot" grep -q "kexecq.from=$old" /proc/cmdline
	kexecq_verify
	kexecq verify --json >/tmp/verify.json
	check "verify --json: one error, unbound" sh -c \
		'grep -q "\"errors\": 1," /tmp/verify.json && grep -q "\"problem\": \"unbound\"" /tmp/verify.json'
	kexecq status | sed 's/^/KEXECQ-STATUS /'
	check "status: the last kexec booted into this boot" sh -c \
		'kexecq status --json | grep -q "\"outcome\": \"booted\""'
}
