# kexecq reboot --now with policies for edu, megasas, nvme (an ext2 file
# system on it with data not yet written back) and e1000: the plan runs in
# parallel, each step is logged on /dev/kmsg, the second kernel boots and
# binds every device again, and the file's data is intact.  The ext2 on
# the nvme is made read-only before the flush and the unbind (readonly).
# kernel: patched debian
# devices: edu edu megasas nvme e1000
# expect: ^KEXECQ-PASS file system mounted with unsynced data
# expect: kexecq: \[ *[0-9]+/[0-9]+\] unbind 0000:00:0[0-9a-f].0 from edu_kexec_test: done
# expect: kexecq: \[ *[0-9]+/[0-9]+\] unbind 0000:00:0[0-9a-f].0 from megaraid_sas: done
# expect: kexecq: \[ *[0-9]+/[0-9]+\] make /mnt read-only \(disks below 0000:00:0[0-9a-f].0\): done.*read-only: /mnt
# expect: kexecq: \[ *[0-9]+/[0-9]+\] flush write cache of nvme0n1: done
# expect: kexecq: \[ *[0-9]+/[0-9]+\] unbind 0000:00:0[0-9a-f].0 from nvme: done
# expect: kexecq: \[ *[0-9]+/[0-9]+\] bring interface eth0 down: done
# expect: kexecq: \[ *[0-9]+/[0-9]+\] unbind 0000:00:0[0-9a-f].0 from e1000: done
# expect: kexecq: 9 steps: 9 done; .* critical path
# expect: edu_kexec_test .* callback=remove reason=none
# expect: kexecq: kexec into /boot/bzImage
# expect: ^KEXECQ-STAGE2
# expect: ^KEXECQ-BOUND .* 0x1234:0x11e8 edu_kexec_test
# expect: ^KEXECQ-BOUND .* 0x1000:0x0060 megaraid_sas
# expect: ^KEXECQ-BOUND .* 0x1b36:0x0010 nvme
# expect: ^KEXECQ-BOUND .* 0x8086:0x100e e1000
# expect: ^KEXECQ-PASS the file's data survived the kexec
# expect-not: ^KEXECQ-BOUND .* 0x(1234:0x11e8|1000:0x0060|1b36:0x0010|8086:0x100e) none$
# timeout: 180
stage1() {
	load_edu
	ip-netlink link set eth0 up
	mke2fs -q /dev/nvme0n1 >/dev/null 2>&1 || fail "mke2fs"
	mkdir -p /mnt && mount -t ext2 /dev/nvme0n1 /mnt || fail "mount"
	# 4 MiB that only the page cache has until kexecq syncs.
	dd if=/dev/urandom of=/mnt/data bs=1M count=4 2>/dev/null
	sum=$(sha256sum /mnt/data | cut -c1-16)
	check "file system mounted with unsynced data" grep -q nvme0n1 /proc/mounts
	policy 10-edu.policy <<-EOF2
		[Match]
		Driver=edu_kexec_test
		[Quiesce]
		Action=unbind
	EOF2
	policy 20-megasas.policy <<-EOF2
		[Match]
		Driver=megaraid_sas
		[Quiesce]
		Action=unbind
		FlushCache=yes
	EOF2
	policy 30-nvme.policy <<-EOF2
		[Match]
		Driver=nvme
		[Quiesce]
		Action=unbind
		FlushCache=yes
	EOF2
	policy 40-e1000.policy <<-EOF2
		[Match]
		Driver=e1000
		[Quiesce]
		Action=unbind
		NetworkDown=yes
	EOF2
	kexecq plan
	APPEND="kexecq.sum=$sum" kexecq_reboot_now
	fail "kexecq reboot --now returned $?"
}
stage2() {
	want=$(sed -n 's/.*kexecq.sum=\([0-9a-f]*\).*/\1/p' /proc/cmdline)
	mkdir -p /mnt && mount -t ext2 /dev/nvme0n1 /mnt || fail "mount in stage 2"
	got=$(sha256sum /mnt/data 2>/dev/null | cut -c1-16)
	check "the file's data survived the kexec" test -n "$want" -a "$got" = "$want"
}
