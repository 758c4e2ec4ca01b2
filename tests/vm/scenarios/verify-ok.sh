# kexecq verify after a kexec in which everything came back: as
# verify-missing.sh, without the blacklist; stage 2 brings eth0 up again
# (as a network configuration would), and kexecq verify finds every PCI
# function bound to the same driver, the interface up and the disk there,
# and exits 0.
# devices: edu edu e1000 virtio-blk
# expect: kexecq: kexec into /boot/bzImage
# expect: ^KEXECQ-STAGE2
# expect: ^KEXECQ-BOUND .* 0x8086:0x100e e1000
# expect: ^KEXECQ-BOUND .* 0x1234:0x11e8 edu_kexec_test
# expect: ^KEXECQ-VERIFY Every device came back as it was: [0-9]+ PCI functions, 1 interface and 1 disk\.$
# expect: ^KEXECQ-VERIFY-STATUS 0$
# expect: ^KEXECQ-PASS verify --json: ok
# expect: ^KEXECQ-PASS status: the last kexec booted into this boot
# expect: ^KEXECQ-PASS the record counts 1 kexec in a row
# expect-not: ^KEXECQ-VERIFY-STATUS [1-9]
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
	kexecq_reboot_now
	fail "kexecq reboot --now returned $?"
}
stage2() {
	state_disk
	ip-netlink link set eth0 up
	kexecq_verify
	check "verify --json: ok" sh -c 'kexecq verify --json | grep -q "\"ok\": true"'
	kexecq status | sed 's/^/KEXECQ-STATUS /'
	check "status: the last kexec booted into this boot" sh -c \
		'kexecq status --json | grep -q "\"outcome\": \"booted\""'
	check "the record counts 1 kexec in a row" sh -c \
		'kexecq status --json | grep -q "\"count\": 1,"'
}
