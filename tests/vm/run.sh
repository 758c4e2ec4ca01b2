#!/bin/bash
# Run one VM scenario: build (or reuse) the kernel and the initramfs, boot
# QEMU (TCG) with the scenario's devices, let stage 1 kexec into stage 2,
# collect the serial log and check it against the scenario's expectations.
#
# Usage: tests/vm/run.sh [--log DIR] [--kernel KIND] SCENARIO.sh
#
# A scenario is a shell file sourced by the VM's /init; it may define
# stage1() (runs before the kexec; may instead end with reboot -f or
# poweroff -f) and stage2() (runs in the second kernel).  Header lines:
#   # kernel: KIND...               the kernels it runs on (default patched),
#                                   the first unless --kernel says which:
#                                   patched, debug (boots with panic_on_warn=1
#                                   hung_task_panic=1 slub_debug=FZP),
#                                   unpatched (6.12 without the series),
#                                   debian (Debian 12's own kernel, 6.1,
#                                   modular: debian-kernel.sh); tests/test-vm.sh
#                                   runs each scenario on each kernel it lists
#   # devices: edu edu megasas ...  QEMU devices: edu edu@ADDR (PCI slot, to
#                                   share an INTx line) edu8@SLOT (eight edu
#                                   functions of one multi-function slot, for
#                                   wide plans on q35) megasas nvme e1000
#                                   virtio-blk virtio-blk-slow (throttled to
#                                   1 MB/s) virtio-net ahci xhci-usb rtl8139
#                                   edu-rootport (q35: an edu behind a PCIe
#                                   root port) nvme-sriov (q35: an NVMe PF
#                                   that can enable 2 VFs)
#   # append: ARGS                  extra kernel command line (stage 2 reuses it)
#   # machine: pc|q35               QEMU machine (default pc, the i440FX); see
#                                   bench-reboot.sh for why its figures use q35
#   # init: busybox|systemd         stage 1's PID 1 (default busybox): systemd
#                                   boots the host's systemd 252 with a few
#                                   units; a service runs stage1() and ends
#                                   it with systemctl kexec (stage1-systemd).
#                                   Stage 2 is always the busybox /init.
#   # end: kexec|reboot|poweroff|restart
#                                   how stage 1 ends (default kexec); restart:
#                                   through the firmware (kexecq's fail-safe,
#                                   or systemd-shutdown after an unload): QEMU
#                                   resets instead of exiting, and the init of
#                                   the new boot, finding stage 1's console in
#                                   pstore, runs stage2() as stage 2
#   # expect: REGEX                 must be in the log (grep -E)
#   # expect-not: REGEX             must not be in the log; every scenario
#                                   also fails on an oops, a WARN, a lockdep
#                                   report, a hung task or a panic
#   # allow-lockdep: REGEX          a lockdep report whose text matches REGEX
#                                   is not trouble (a known report that a
#                                   control scenario shows without kexecq;
#                                   lockdep reports once, so later locking
#                                   bugs go unseen: say why in the scenario)
#   # bus: kexecqd                  the system bus (dbus-daemon) and kexecqd,
#                                   its unit, bus policy and activation file
#                                   as make install puts them; systemd starts
#                                   them, under busybox start_bus does
#   # monitor: yes                  the guest may drive QEMU's monitor: a
#                                   console line "KEXECQ-MONITOR device_del dev2"
#                                   runs that command (monitor-relay.py); its
#                                   answer is added to the log as
#                                   "monitor: COMMAND -> ANSWER".  Devices of
#                                   the devices: line have ids dev1, dev2, ...
#   # library: shipped              install the shipped policy library and the
#                                   driver tables (make install, from KEXECQ's
#                                   build tree) into /usr/lib/kexecq
#   # repeat: N                     boot N times; every run must pass
#   # timeout: SECONDS              (default 120, per run)
#
# Every run keeps the first kernel's console in RAM across the kexec
# (ramoops, see $pstore below); stage 2 prints the lines of it that
# contain "kexecq" as "KEXECQ-PSTORE LINE".
. "$(dirname "$0")/lib.sh"

logdir=${KEXECQ_VM_LOGDIR:-$cache/logs}
kernel=
while [ $# -gt 1 ]; do
	case $1 in
	--log) logdir=$2 ;;
	--kernel) kernel=$2 ;;
	*) die "usage: run.sh [--log DIR] [--kernel KIND] SCENARIO.sh" ;;
	esac
	shift 2
done
scenario=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
name=$(basename "$scenario" .sh)
[ -f "$scenario" ] || die "no scenario $1"

header() { sed -n "s/^# $1: *//p" "$scenario"; }
kernels=$(header kernel | head -1)
kernels=${kernels:-patched}
if [ -z "$kernel" ]; then
	kernel=${kernels%% *}
else
	case " $kernels " in
	*" $kernel "*) ;;
	*) die "$name runs on the $kernels kernel(s), not on $kernel" ;;
	esac
fi
devices=$(header devices | head -1)
append=$(header append | head -1)
end=$(header end | head -1)
end=${end:-kexec}
machine=$(header machine | head -1)
machine=${machine:-pc}
case $end in
kexec | reboot | poweroff | restart) ;;
*) die "$name: unknown end $end" ;;
esac
case $machine in
pc | q35) ;;
*) die "$name: unknown machine $machine" ;;
esac
timeout_s=$(header timeout | head -1)
timeout_s=${timeout_s:-120}
repeat=$(header repeat | head -1)
repeat=${repeat:-1}
init=$(header init | head -1)
case ${init:-busybox} in
busybox | systemd) ;;
*) die "$name: unknown init $init" ;;
esac

# ramoops: 1 MiB at 256 MiB, reserved in both kernels (stage 2 reuses the
# command line), half of it for the console.  Not at the top of the 512 MiB,
# where kexec -l places the second kernel and its initramfs.
# shellcheck disable=SC2016 # a literal $: memmap=SIZE$ADDR reserves
pstore='memmap=1M$0x10000000 ramoops.mem_address=0x10000000 ramoops.mem_size=0x100000 ramoops.console_size=0x80000'

# Debian's kernel has no pstore console: ramoops keeps the kernel log the
# kmsg dumper writes at a kexec (KMSG_DUMP_SHUTDOWN, 4) or an emergency
# restart (KMSG_DUMP_EMERG), in two 512 KiB records instead.
# Its disks are found by modules that init loads (coldplug): SCSI scans
# synchronously and USB storage without its 1 s delay, so that they are
# there when modprobe returns.
[ "$kernel" != debian ] ||
	pstore="${pstore/ramoops.console_size=0x80000/ramoops.record_size=0x80000 ramoops.max_reason=4} scsi_mod.scan=sync usb-storage.delay_use=0"

case $kernel in
patched) kb=$("$vm_dir/kbuild.sh") ;;
debug)
	kb=$("$vm_dir/kbuild.sh" --debug)
	append="panic_on_warn=1 hung_task_panic=1 slub_debug=FZP $append" ;;
unpatched) kb=$("$vm_dir/kbuild.sh" --unpatched) ;;
debian) kb=${KEXECQ_VM_DEBIAN:-$("$vm_dir/debian-kernel.sh")} ;;
*) die "$name: unknown kernel $kernel" ;;
esac

mkdir -p "$logdir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$vm_dir/mkinitramfs.sh" "$kb" "$scenario" "$work"

qargs=()
n=0
for dev in $devices; do
	n=$((n + 1))
	case $dev in
	edu) qargs+=(-device "edu,id=dev$n") ;;
	edu@*) qargs+=(-device "edu,id=dev$n,addr=${dev#edu@}") ;;
	edu8@*)
		qargs+=(-device "edu,addr=${dev#edu8@}.0,multifunction=on")
		for f in 1 2 3 4 5 6 7; do qargs+=(-device "edu,addr=${dev#edu8@}.$f"); done ;;
	edu-rootport)
		[ "$machine" = q35 ] || die "$name: edu-rootport needs # machine: q35"
		qargs+=(-device "pcie-root-port,id=rp$n,chassis=$n,slot=$n" -device "edu,id=dev$n,bus=rp$n") ;;
	rtl8139) qargs+=(-device "rtl8139,id=dev$n") ;;
	e1000) qargs+=(-device "e1000,id=dev$n") ;;
	e1000@*) qargs+=(-device "e1000,id=dev$n,addr=${dev#e1000@}") ;;
	virtio-net) qargs+=(-device virtio-net-pci) ;;
	megasas)
		truncate -s 64M "$work/sd$n.img"
		qargs+=(-device "megasas,id=hba$n"
			-drive "if=none,id=sd$n,file=$work/sd$n.img,format=raw"
			-device "scsi-hd,drive=sd$n,bus=hba$n.0") ;;
	nvme)
		truncate -s 64M "$work/nvme$n.img"
		qargs+=(-drive "if=none,id=nv$n,file=$work/nvme$n.img,format=raw"
			-device "nvme,serial=kexecq$n,drive=nv$n") ;;
	nvme-sriov)
		[ "$machine" = q35 ] || die "$name: nvme-sriov needs # machine: q35"
		truncate -s 64M "$work/nvme$n.img"
		qargs+=(-device "nvme-subsys,id=subsys$n"
			-device "nvme,id=dev$n,serial=kexecq$n,subsys=subsys$n,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2,max_ioqpairs=6,msix_qsize=4"
			-drive "if=none,id=nv$n,file=$work/nvme$n.img,format=raw"
			-device "nvme-ns,drive=nv$n,shared=false") ;;
	virtio-blk | virtio-blk-slow)
		truncate -s 64M "$work/vd$n.img"
		throttle=
		[ $dev = virtio-blk-slow ] && throttle=,throttling.bps-total=1048576
		qargs+=(-drive "if=none,id=vd$n,file=$work/vd$n.img,format=raw,cache=none,aio=threads$throttle"
			-device "virtio-blk-pci,drive=vd$n") ;;
	ahci)
		truncate -s 64M "$work/ad$n.img"
		qargs+=(-device "ahci,id=ahci$n"
			-drive "if=none,id=ad$n,file=$work/ad$n.img,format=raw"
			-device "ide-hd,drive=ad$n,bus=ahci$n.0") ;;
	xhci-usb)
		truncate -s 64M "$work/usb$n.img"
		qargs+=(-device "qemu-xhci,id=xhci$n"
			-drive "if=none,id=usb$n,file=$work/usb$n.img,format=raw"
			-device "usb-storage,bus=xhci$n.0,drive=usb$n") ;;
	*) die "$name: unknown device $dev" ;;
	esac
done

# A firmware restart ends stage 1 only where the scenario says so.
no_reboot=-no-reboot
[ "$end" = restart ] && no_reboot=

# Kernel trouble fails every scenario.
trouble='(BUG:|Oops|WARNING: CPU|general protection fault|INFO: task .* blocked|possible (recursive|circular) locking|inconsistent lock state|Kernel panic)'

monitor=$(header monitor | head -1)

boot() { # log; sets problems[]
	local log=$1 start elapsed qrc re f relay= margs=()
	problems=()
	rm -f "$log" "$work/mon.sock" "$work/monitor.log"
	if [ "$monitor" = yes ]; then
		margs=(-monitor "unix:$work/mon.sock,server=on,wait=off")
		"$vm_dir/monitor-relay.py" "$log" "$work/mon.sock" "$work/monitor.log" &
		relay=$!
	fi
	start=$(date +%s.%N)
	set +e
	timeout "$timeout_s" qemu-system-x86_64 -M "$machine" -accel tcg -m 512 -smp 2 \
		-nodefaults -display none $no_reboot -serial "file:$log" \
		-kernel "$kb/arch/x86/boot/bzImage" -initrd "$work/stage1.cpio.gz" \
		-append "console=ttyS0 loglevel=7 panic=-1 $pstore $append" \
		"${margs[@]}" "${qargs[@]}" </dev/null >"$work/qemu.out" 2>&1
	qrc=$?
	set -e
	if [ -n "$relay" ]; then
		rm -f "$work/mon.sock"
		wait "$relay" 2>/dev/null || true
	fi
	elapsed=$(echo "$(date +%s.%N) - $start" | bc)
	total=$(echo "$total + $elapsed" | bc)
	tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
	[ ! -f "$work/monitor.log" ] || cat "$work/monitor.log" >>"$log"

	[ $qrc -eq 124 ] && problems+=("timed out after ${timeout_s}s")
	[ $qrc -ne 0 ] && [ $qrc -ne 124 ] && problems+=("qemu exited $qrc: $(head -3 "$work/qemu.out")")
	grep -q '^KEXECQ-STAGE1' "$log" || problems+=("stage 1 never started")
	case $end in
	kexec)
		grep -q '^KEXECQ-STAGE2' "$log" || problems+=("the second kernel never reached its init")
		grep -q '^KEXECQ-DONE' "$log" || problems+=("stage 2 did not finish") ;;
	restart)
		grep -q '^KEXECQ-STAGE2 (after a firmware restart)' "$log" ||
			problems+=("no new boot after a firmware restart")
		grep -q '^KEXECQ-DONE' "$log" || problems+=("stage 2 did not finish") ;;
	reboot) grep -q 'reboot: Restarting system' "$log" || problems+=("no reboot") ;;
	poweroff) grep -q 'reboot: Power down' "$log" || problems+=("no power-off") ;;
	esac
	while read -r f; do problems+=("$f"); done < <(sed -n 's/^KEXECQ-FAIL /in-VM check failed: /p' "$log")
	local t=$trouble allowed report
	allowed=$(header allow-lockdep | head -1)
	# The report runs from its "WARNING: possible ..." line to its stack trace.
	report=$(sed -n '/WARNING: possible \(recursive\|circular\) locking/,/stack backtrace:/p' "$log")
	if [ -n "$allowed" ] && grep -qE -- "$allowed" <<<"$report"; then
		t=${t/|possible (recursive|circular) locking/}
		log_note="allowed lockdep report: $(grep -E -m1 -- "$allowed" "$log")"
	fi
	if grep -qE -- "$t" "$log"; then
		problems+=("kernel trouble: $(grep -E -m1 -- "$t" "$log")")
	fi
	while IFS= read -r re; do
		[ -n "$re" ] || continue
		grep -qE -- "$re" "$log" || problems+=("expected /$re/ in the log")
	done < <(header expect)
	while IFS= read -r re; do
		[ -n "$re" ] || continue
		if grep -qE -- "$re" "$log"; then problems+=("unexpected /$re/: $(grep -E -m1 -- "$re" "$log")"); fi
	done < <(header expect-not)
}

total=0
for i in $(seq 1 "$repeat"); do
	# The log of a run on another kernel than the first is NAME.KIND.log.
	base=$logdir/$name
	[ "$kernel" = "${kernels%% *}" ] || base=$base.$kernel
	log=$base.log
	[ "$repeat" -gt 1 ] && log=$base.$i.log
	boot "$log"
	if [ ${#problems[@]} -gt 0 ]; then
		printf 'FAIL %s (%s kernel, run %d of %d)\n' "$name" "$kernel" "$i" "$repeat"
		printf '  - %s\n' "${problems[@]}"
		echo "  log: $log; last lines:"
		grep -vE '^\s*$' "$log" | tail -25 | sed 's/^/  | /'
		exit 1
	fi
done
[ -z "${log_note:-}" ] || echo "  note: $log_note"
if [ "$repeat" -gt 1 ]; then
	printf 'PASS %s (%s kernel, %d runs, %.1f s)\n' "$name" "$kernel" "$repeat" "$total"
else
	printf 'PASS %s (%s kernel, %.1f s)\n' "$name" "$kernel" "$total"
fi
