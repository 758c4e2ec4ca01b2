# kexecq reboot --now with an ext2 file system on the NVMe namespace
# mounted read-write and being written by a background writer while the
# plan runs (the defect: nvme was unbound under it, then sync(); the next
# kernel said "attempt to access beyond end of device" and what was
# written in between was lost).  The readonly step syncs and remounts it
# read-only (trying EBUSY again between the writer's opens), the flush and
# the unbind come after it; the writer stops at its first failed open.  No
# I/O error in either kernel, the file system is clean in stage 2 (ext2
# says nothing when it is mounted), and every file in it is intact.
# devices: nvme
# expect: ^KEXECQ-PASS the plan makes /mnt read-only first
# expect: ^KEXECQ-PASS the writer is writing
# expect: kexecq: \[ *[0-9]+/3\] make /mnt read-only \(disks below 0000:00:0[0-9a-f].0\): done.*read-only: /mnt
# expect: kexecq: \[ *[0-9]+/3\] flush write cache of nvme0n1: done
# expect: kexecq: \[ *[0-9]+/3\] unbind 0000:00:0[0-9a-f].0 from nvme: done
# expect: kexecq: 3 steps: 3 done
# expect: ^KEXECQ-STAGE2
# expect: ^KEXECQ-PSTORE .*make /mnt read-only .*: done
# expect: ^KEXECQ-BOUND .* 0x1b36:0x0010 nvme
# expect: ^KEXECQ-PASS the reference file survived the kexec
# expect: ^KEXECQ-PASS every file the writer finished is intact
# expect-not: attempt to access beyond end of device
# expect-not: I/O error
# expect-not: EXT2-fs \(nvme0n1\): (error|warning)
# timeout: 180
stage1() {
	mke2fs -q /dev/nvme0n1 >/dev/null 2>&1 || fail "mke2fs"
	mkdir -p /mnt && mount -t ext2 /dev/nvme0n1 /mnt || fail "mount"
	mkdir -p /mnt/w
	# 4 MiB that only the page cache has until kexecq syncs.
	dd if=/dev/urandom of=/mnt/ref bs=1M count=4 2>/dev/null
	ref=$(sha256sum /mnt/ref | cut -c1-16)
	head -c 65536 /dev/urandom >/run/chunk
	chunk=$(sha256sum /run/chunk | cut -c1-16)
	# The writer: a file every 10 ms (200 names, overwritten in turn), each
	# opened, written and closed; it stops at the first open that fails.
	(
		n=0
		while cat /run/chunk >"/mnt/w/c.$((n % 200))" 2>/dev/null; do
			n=$((n + 1))
			usleep 10000
		done
		echo "$n" >/run/writer.stopped
	) &
	writer=$!
	policy 30-nvme.policy <<-EOF2
		[Match]
		Driver=nvme
		[Quiesce]
		Action=unbind
		FlushCache=yes
	EOF2
	kexecq plan --explain
	check "the plan makes /mnt read-only first" sh -c 'kexecq plan | grep -q "readonly .*make /mnt read-only"'
	sleep 1
	check "the writer is writing" kill -0 "$writer"
	APPEND="kexecq.ref=$ref kexecq.chunk=$chunk" kexecq_reboot_now
	fail "kexecq reboot --now returned $?"
}
stage2() {
	ref=$(sed -n 's/.*kexecq.ref=\([0-9a-f]*\).*/\1/p' /proc/cmdline)
	chunk=$(sed -n 's/.*kexecq.chunk=\([0-9a-f]*\).*/\1/p' /proc/cmdline)
	mkdir -p /mnt && mount -t ext2 /dev/nvme0n1 /mnt || fail "mount in stage 2"
	got=$(sha256sum /mnt/ref 2>/dev/null | cut -c1-16)
	check "the reference file survived the kexec" test -n "$ref" -a "$got" = "$ref"
	bad=0
	n=0
	for f in /mnt/w/c.*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		[ "$(sha256sum "$f" | cut -c1-16)" = "$chunk" ] || {
			bad=$((bad + 1))
			mark "BAD $f $(wc -c <"$f") bytes"
		}
	done
	mark "WRITER $n files"
	check "every file the writer finished is intact" test -n "$chunk" -a "$n" -gt 0 -a "$bad" = 0
}
