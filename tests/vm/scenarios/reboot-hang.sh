# A ->remove() that never returns (edu hang=1, never released) under
# kexecq reboot --now with a 20 s deadline.  The unbind is abandoned at its
# 3 s timeout and the e1000 step runs; kexecq waits, within the deadline,
# for the stuck step to come back.  At the point of no return it neither
# kexecs (the kernel's device_shutdown() would wait forever on the lock
# the stuck ->remove() holds) nor returns: it unloads the kernel, makes
# the file systems read-only (ext2 on NVMe, written just before) and
# restarts through the firmware with sysrq b.  The new boot finds in
# pstore which device was stuck, that the restart came within the
# deadline, and a clean file system with its data.  (Until the fail-safe
# work, this scenario released the driver after 12 s, which hid the hang.)
# kernel: patched debian
# devices: edu e1000 nvme
# end: restart
# expect: kexecq: \[ *[0-9]+/[0-9]+\] unbind 0000:00:0[0-9a-f].0 from edu_kexec_test: timed-out .*abandoned
# expect: kexecq: \[ *[0-9]+/[0-9]+\] unbind 0000:00:0[0-9a-f].0 from e1000: done
# expect: kexecq: step [0-9]+ \(unbind 0000:00:0[0-9a-f].0 from edu_kexec_test\) is stuck in the kernel
# expect: kexecq: .*loaded kernel unloaded: no kexec
# expect: kexecq: file systems read-only after
# expect: kexecq: restarting now
# expect: ^KEXECQ-STAGE2 \(after a firmware restart\)
# expect: ^KEXECQ-PSTORE .*is stuck in the kernel
# expect: ^KEXECQ-PASS restarted within the deadline
# expect: ^KEXECQ-PASS the file system was left clean
# expect: ^KEXECQ-PASS the file's data survived
# expect-not: Starting new kernel
# timeout: 180
stage1() {
	load_edu hang=1
	mke2fs -q /dev/nvme0n1 >/dev/null 2>&1 || fail "mke2fs"
	mkdir -p /mnt && mount -t ext2 /dev/nvme0n1 /mnt || fail "mount"
	dd if=/dev/urandom of=/mnt/data bs=1M count=4 2>/dev/null
	sha256sum /mnt/data | cut -c1-64 >/mnt/data.sum
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
	kexecq_reboot_now --deadline 20s
	fail "kexecq reboot --now returned $?"
}
stage2() {
	t=$(pstore_seconds 'kexecq: quiescing' 'kexecq: restarting now')
	mark "quiesce to restart: ${t:-?} s"
	check "restarted within the deadline" awk "BEGIN { exit !(\"$t\" != \"\" && $t <= 20.5) }"
	# ext2's superblock s_state (offset 1024 + 58): 1 = cleanly unmounted or read-only.
	state=$(dd if=/dev/nvme0n1 bs=1 skip=1082 count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
	check "the file system was left clean" [ "$state" = 1 ]
	mkdir -p /mnt && mount -o ro -t ext2 /dev/nvme0n1 /mnt || fail "mount in stage 2"
	check "the file's data survived" [ "$(sha256sum /mnt/data | cut -c1-64)" = "$(cat /mnt/data.sum)" ]
}
