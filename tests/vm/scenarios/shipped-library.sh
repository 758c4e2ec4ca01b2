# The shipped policy library, installed as `make install` installs it
# (/usr/lib/kexecq/policy.d, and the driver tables), and no policy of the
# scenario's own: kexecq plan, check and reboot --now across the drivers
# this VM has (e1000, nvme, megaraid_sas, ahci, xhci_hcd with a USB disk,
# virtio-blk, virtio-net), then every device is bound again by the same
# driver in the next kernel.  On both kernels the library unbinds and
# resets megaraid_sas (50-megaraid_sas.policy; QEMU's megasas on the
# i440FX root bus has no reset method, so that step fails and is
# reported, and the kexec goes on), unbinds xhci_hcd (50-xhci_hcd.policy)
# and flushes the volatile caches below megaraid_sas, xhci and nvme; the
# rest is left to the kernel's own shutdown.  `kexecq check` finds nothing
# at risk: the virtio functions, whose PCI driver has no ->shutdown(), are
# reset by the virtio bus in 6.12.117 (50-virtio-pci-bus-reset-6.12.policy)
# and in Debian 12's 6.1.0-57-amd64, which is Linux 6.1.192 by its
# /proc/version (50-virtio-pci-bus-reset-6.1.policy).
# kernel: patched debian
# library: shipped
# devices: e1000 nvme megasas ahci xhci-usb virtio-blk virtio-net
# expect: ^KEXECQ-PASS the library is installed
# expect: ^KEXECQ-PASS policy verify accepts the installed library
# expect: because /usr/lib/kexecq/policy.d/50-megaraid_sas.policy:[0-9]+ Quiesce.Action: Action=reset
# expect: because /usr/lib/kexecq/policy.d/50-xhci_hcd.policy:[0-9]+ Quiesce.Action: Action=unbind
# expect: ^Nothing at risk
# expect: ^KEXECQ-PASS 50-virtio-pci-bus-reset-6\.(12|1)\.policy governs the virtio functions
# expect: kexecq: \[ *[0-9]+/[0-9]+\] unbind 0000:00:0[0-9a-f].0 from megaraid_sas: done
# expect: kexecq: \[ *[0-9]+/[0-9]+\] unbind 0000:00:0[0-9a-f].0 from xhci_hcd: done
# expect: kexecq: \[ *[0-9]+/[0-9]+\] reset PCI function 0000:00:0[0-9a-f].0: failed .* has no reset method
# expect: kexecq: \[ *[0-9]+/[0-9]+\] flush write cache of nvme0n1: done
# expect: kexecq: kexec into /boot/bzImage
# expect: ^KEXECQ-STAGE2
# expect: ^KEXECQ-BOUND .* 0x1000:0x0060 megaraid_sas
# expect: ^KEXECQ-BOUND .* 0x1b36:0x0010 nvme
# expect: ^KEXECQ-BOUND .* 0x8086:0x100e e1000
# expect: ^KEXECQ-BOUND .* 0x8086:0x2922 ahci
# expect: ^KEXECQ-BOUND .* 0x1b36:0x000d xhci_hcd
# expect: ^KEXECQ-BOUND .* 0x1af4:0x1001 virtio-pci
# expect: ^KEXECQ-BOUND .* 0x1af4:0x1000 virtio-pci
# expect: ^KEXECQ-PASS every function bound before the kexec is bound again by the same driver
# expect-not: ^KEXECQ-BOUND .* 0x(1000:0x0060|1b36:0x0010|8086:0x100e|8086:0x2922|1b36:0x000d|1af4:0x100[01]) none$
# timeout: 240
stage1() {
	check "the library is installed" test -s /usr/lib/kexecq/policy.d/50-megaraid_sas.policy
	check "policy verify accepts the installed library" kexecq policy verify
	ip-netlink link set eth0 up 2>/dev/null
	bound | sed 's/^KEXECQ-BOUND/before/' >/before
	kexecq plan --explain
	kexecq check >/check.out
	echo "kexecq check: exit $?"
	cat /check.out
	# The file of this kernel's series says the virtio bus resets them.
	case $(uname -r) in
	6.1.0-*) series=6.1 ;;
	*) series=6.12 ;;
	esac
	check "50-virtio-pci-bus-reset-$series.policy governs the virtio functions" \
		grep -q "50-virtio-pci-bus-reset-$series.policy says the kernel quiesces it" /check.out
	APPEND="kexecq.before=$(sed 's/^before \([^ ]*\) [^ ]* \(.*\)/\1=\2/' /before | tr '\n' ',')" \
		kexecq_reboot_now
	fail "kexecq reboot --now returned $?"
}
stage2() {
	want=$(sed -n 's/.*kexecq.before=\([^ ]*\).*/\1/p' /proc/cmdline | tr ',' '\n')
	ok=true
	for pair in $want; do
		[ "$(driver_of "${pair%%=*}")" = "${pair#*=}" ] || { ok=false; echo "differs: $pair, now $(driver_of "${pair%%=*}")"; }
	done
	check "every function bound before the kexec is bound again by the same driver" $ok
	kexecq check
}
