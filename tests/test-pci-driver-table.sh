#!/bin/bash
# contrib/pci-driver-table.py on a small fake kernel tree
# (tests/data/pci-driver-table) that has one of each shape it handles:
# the table must match tests/data/expected/pci-driver-table.tsv.
. "${top_srcdir:-.}/tests/lib.sh"

command -v python3 >/dev/null || skip "python3 not installed"
script=${top_srcdir:-.}/contrib/pci-driver-table.py
fixture=$TESTDATA/pci-driver-table

if run 0 python3 "$script" --tsv "$tmp/table.tsv" "$fixture"; then
	pass "pci-driver-table.py runs on the fixture tree"
	# The first line records the command, which holds local paths.
	if tail -n +2 "$tmp/table.tsv" | diff -u "$TESTDATA/expected/pci-driver-table.tsv" - >"$tmp/diff"; then
		pass "table matches the expected one"
	else
		fail "table differs from tests/data/expected/pci-driver-table.tsv"
		sed 's/^/    /' "$tmp/diff"
	fi
	expect out "PCI drivers in Linux 9.8.7-fixture" "summary names the kernel version"
	expect out "command: " "summary gives the command"
	expect out "struct pci_driver definitions:              11" "total counts each array element and each module that #includes a driver"
	expect out "with ->remove() and no ->shutdown():       0" "at-risk count"
	expect out "with .driver_managed_dma = true:           1  (baz)" "driver_managed_dma listed by name"
	expect out "definitions under #if 0, ignored: 1" "#if 0 is skipped"
	expect out "not counted: 1 definitions of struct wrap_extension" "embedded pci_driver reported"
	head -1 "$tmp/table.tsv" >"$tmp/err"
	expect err "# PCI drivers of Linux 9.8.7-fixture" "table names the kernel version"
fi
run 1 python3 "$script" "$tmp" && expect err "not a kernel source tree" "refuses a directory without Makefile"
finish
