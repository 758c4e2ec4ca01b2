# Kernel v3, review finding 4 (two passes inverted the order: a port set
# to remove lost bus mastering before the device below was shut down):
# one walk, children first, and bridges are never released.  An edu
# device with ->shutdown() behind a PCIe root port (q35, bound to
# pcieport) logs in each callback whether the port is still a bus master.
# Root cannot mark the port remove (EOPNOTSUPP: a bridge).  On kexec the
# edu's ->shutdown() finds the port a bus master, and with initcall_debug
# the walk logs the port's shutdown after the edu's.  The control: with
# the port's Bus Master Enable cleared by hand, the same log line says
# "off", so the check can fail.  (QEMU does not stop a device's DMA when
# only its bridge's Bus Master Enable is clear, so DMA itself cannot show
# this here.)
# kernel: debug
# machine: q35
# devices: edu-rootport
# append: initcall_debug
# expect: KEXECQ-PASS the port cannot be marked remove
# expect: KEXECQ-PASS control: the log says off when the port is no bus master
# expect: KEXECQ-PASS the port was a bus master in ->shutdown\(\) on kexec
# expect: KEXECQ-PASS the port was shut down after the device below it
# expect: cannot remove pcieport on kexec: a bridge
# expect: callback=shutdown reason=kexec
# timeout: 180
edu_dev() { ls /sys/bus/pci/drivers/edu_kexec_test | grep -m1 '^0000:'; }
# port_master 0|1: set the port's Bus Master Enable (command bit 2).
port_master() {
	local c=/sys/bus/pci/devices/$port/config v
	v=$(dd if=$c bs=1 skip=4 count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
	if [ "$1" = 1 ]; then v=$((v | 4)); else v=$((v & ~4)); fi
	printf "\\$(printf %o $v)" | dd of=$c bs=1 seek=4 count=1 conv=notrunc 2>/dev/null
}
stage1() {
	load_edu has_shutdown=1
	e=$(edu_dev)
	check "edu bound behind the port" [ -n "$e" ]
	port=$(basename "$(readlink -f /sys/bus/pci/devices/$e/..)")
	check "the port is bound to pcieport" [ "$(driver_of "$port")" = pcieport ]
	if echo remove >/sys/bus/pci/devices/$port/kexec_method 2>/tmp/err; then
		fail "the port cannot be marked remove"
	elif grep -q "not supported" /tmp/err; then
		pass "the port cannot be marked remove"
	else
		fail "the port cannot be marked remove: $(cat /tmp/err)"
	fi
	check "the port reads [shutdown]" [ "$(cat /sys/bus/pci/devices/$port/kexec_method)" = "[shutdown] remove" ]
	# The control: unbinding runs ->remove(), which logs the port's bit.
	dmesg -c >/dev/null
	port_master 0
	echo "$e" >/sys/bus/pci/drivers/edu_kexec_test/unbind
	check "control: the log says off when the port is no bus master" sh -c "dmesg | grep -q 'upstream bridge $port bus master off'"
	port_master 1
	echo "$e" >/sys/bus/pci/drivers/edu_kexec_test/bind
	check "edu bound again" [ "$(edu_dev)" = "$e" ]
}
stage2() {
	prev_log >/tmp/prev
	e=$(edu_dev)
	port=$(basename "$(readlink -f /sys/bus/pci/devices/$e/..)")
	if grep -A2 'callback=shutdown reason=kexec' /tmp/prev | grep -q "upstream bridge $port bus master on"; then
		pass "the port was a bus master in ->shutdown() on kexec"
	else
		fail "the port was a bus master in ->shutdown() on kexec"
	fi
	# initcall_debug: "<driver> <BDF>: shutdown" for each device the walk visits.
	a=$(grep -n "edu_kexec_test $e: shutdown\$" /tmp/prev | head -1 | cut -d: -f1)
	b=$(grep -n "pcieport $port: shutdown\$" /tmp/prev | head -1 | cut -d: -f1)
	if [ -n "$a" ] && [ -n "$b" ] && [ "$b" -gt "$a" ]; then
		pass "the port was shut down after the device below it"
	else
		fail "the port was shut down after the device below it (lines $a, $b)"
	fi
}
