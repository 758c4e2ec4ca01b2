#!/bin/bash
# kexecq's settings file (input/settings.c) through `kexecq enable|disable`:
# written, read back, and a broken one refused with file:line.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip "enable and disable need root"
# No daemon to ask here: a private, empty bus address.
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/nobus
run 0 "$KEXECQ" enable --config "$tmp/kexecq.conf" &&
	expect out "KexecByDefault=yes" "enable says what it wrote" &&
	expect out "kexecqd is not on the bus" "and that no daemon applies it yet"
grep -qx "KexecByDefault=yes" "$tmp/kexecq.conf" && pass "the file says yes" || fail "the file does not say yes"
run 0 "$KEXECQ" disable --config "$tmp/kexecq.conf" && expect out "KexecByDefault=no" "disable writes no"
printf '[Reboot]\nKexecByDefault=maybe\n' >"$tmp/bad.conf"
run 1 "$KEXECQ" enable --config "$tmp/bad.conf" &&
	expect err "bad.conf:2: KexecByDefault= must be a boolean" "a broken settings file is refused with file:line"
printf '[Reboot]\nKexecByDefault=maybe\n' | cmp -s - "$tmp/bad.conf" && pass "and left as it was" || fail "a broken settings file was rewritten"
run 2 "$KEXECQ" enable extra && expect err "takes no arguments" "enable takes no arguments"
finish
