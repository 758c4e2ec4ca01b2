#!/bin/bash
# The shipped policy library (policy/): every file parses and is documented,
# plans what its "# Steps:" comment claims on a generated server and never
# more on the snapshots in tests/data (tests/policy-library.py); and the
# machinery the library relies on: KernelVersion=, Unsafe=, devices given
# to userspace left alone, `kexecq check` on a stock kernel from the driver
# tables.
. "${top_srcdir:-.}/tests/lib.sh"

lib=${top_srcdir:-.}/policy
tables=${top_srcdir:-.}/contrib

# --- every shipped file parses
if run 0 "$KEXECQ" policy verify "$lib"/*.policy; then
	pass "policy verify accepts every shipped policy ($(ls "$lib"/*.policy | wc -l) files)"
fi
for drv in lpfc ipr megaraid_sas mpt3sas nvme mlx4_core mlx5_core ena xhci_hcd ioatdma i915 \
	amdgpu nouveau ixgbe i40e ice virtio-pci vfio-pci; do
	if ls "$lib"/*-"$drv".policy >/dev/null 2>&1; then
		pass "the library has a file for $drv"
	else
		fail "the library has no file for $drv"
	fi
done

command -v python3 >/dev/null || skip "python3 not installed"
checker=${top_srcdir:-.}/tests/policy-library.py

# --- what each file claims, on a generated server and on the snapshots
mkdir -p "$tmp/gen"
if python3 "$checker" "$KEXECQ" "$lib" "$tmp/gen" --snapshot "$TESTDATA"/inventory/*.json >"$tmp/lib.out" 2>&1; then
	pass "every shipped policy plans what its Steps: line claims ($(grep -c '^ok' "$tmp/lib.out") checks)"
else
	fail "the library does not plan what it claims"
	grep -v '^ok' "$tmp/lib.out" | sed 's/^/    /' | head -30
fi
# The checker fails on a wrong claim (a test that cannot fail proves nothing).
cp -r "$lib" "$tmp/mutant"
sed -i 's/^# Steps: .*/# Steps: reset/' "$tmp/mutant/50-megaraid_sas.policy"
if python3 "$checker" "$KEXECQ" "$tmp/mutant" "$tmp/gen" >"$tmp/mut.out" 2>&1; then
	fail "the checker accepted a wrong Steps: claim"
elif grep -q "not ok 50-megaraid_sas.policy on Linux" "$tmp/mut.out"; then
	pass "the checker names a file whose claim is wrong"
else
	fail "the checker failed for another reason"
	sed 's/^/    /' "$tmp/mut.out" | grep -v '^    ok' | head
fi

# --- check on a stock kernel: the nearest table, the vfio function in use
srv=$tmp/gen/server-6.18.0.json
run 5 "$KEXECQ" check -P "$lib" --inventory "$srv" --driver-tables "$tables" &&
	expect out "the nearest older series" "check says the table is an older series'" &&
	expect out "Linux 6.12." "check names the table's kernel" &&
	expect out "in-use" "an open vfio-pci function is at risk" &&
	expect out "Left alone by kexecq" "check lists what kexecq leaves alone"
run 5 "$KEXECQ" check -P "$lib" --inventory "$srv" --driver-tables "$tables" --json &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["basis"]=="table-of-nearest-series" and d["at_risk"]==len(d["risks"])>0, d["basis"]' "$tmp/out" &&
	pass "check --json: basis and risks"
run 2 "$KEXECQ" check --inventory "$srv" --driver-tables "$tmp/none" &&
	expect err "no table of PCI drivers" "check: a --driver-tables without tables is an error"
# A driver with ->shutdown() in the table and no policy is not at risk; one without is.
mkdir -p "$tmp/empty"
run 5 "$KEXECQ" check -P "$tmp/empty" --inventory "$srv" --driver-tables "$tables" &&
	expect out "nouveau        left-running" "nouveau (no ->shutdown() in 6.12) is at risk without a policy" &&
	if grep -q "0000:[0-9a-f]*:00.0   megaraid_sas .*left-running" "$tmp/out"; then
		fail "megaraid_sas has ->shutdown() yet is at risk"
	else
		pass "megaraid_sas (->shutdown() in 6.12) is not at risk"
	fi

# --- the policy language the library uses
mkdir -p "$tmp/p"
cat >"$tmp/p/10-amd.policy" <<'P'
[Match]
Driver=amdgpu
KernelVersion=>=5.0 <7.0

[Quiesce]
Unsafe=the PSP initialises once per power cycle
P
cat >"$tmp/p/20-ixgbe.policy" <<'P'
[Match]
Driver=ixgbe

[Quiesce]
Action=unload
DisableSRIOV=yes
NetworkDown=yes
P
cat >"$tmp/p/30-vfio.policy" <<'P'
[Match]
Driver=vfio-pci

[Quiesce]
Action=reset
P
run 0 "$KEXECQ" plan -P "$tmp/p" --inventory "$srv" &&
	expect out "Kexec refused" "plan shows a refused kexec" &&
	expect out "the PSP initialises once per power cycle [10-amd.policy, line 6]" "with the reason and where it is said" &&
	expect out "bound to vfio-pci, which gives its DMA to userspace" "the vfio-pci function is left alone" &&
	if grep -q "reset.*vfio" "$tmp/out"; then fail "a vfio-pci function is reset"; else pass "Action=reset is not done to a vfio-pci function"; fi
run 0 "$KEXECQ" plan -P "$tmp/p" --inventory "$tmp/gen/server-7.9.0.json" &&
	if grep -q "Kexec refused" "$tmp/out"; then fail "KernelVersion=<7.0 matched 7.9.0"; else pass "KernelVersion= limits a policy to a range of kernels"; fi

# A VF given to a VM: its PF keeps SR-IOV and its driver, the module stays.
python3 - "$srv" "$tmp/vf.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for x in d["devices"]:
    if x.get("physfn") and x.get("driver") == "ixgbevf":
        x["driver"] = x["module"] = "vfio-pci"
        x["enable"] = 1
        break
json.dump(d, open(sys.argv[2], "w"))
PY
run 0 "$KEXECQ" plan -P "$tmp/p" --inventory "$tmp/vf.json" &&
	expect out "is given to userspace (vfio-pci): SR-IOV and the PF's driver stay" "the PF of a VF in a VM is left alone" &&
	expect out "module ixgbe is not unloaded" "the module that drives it stays" &&
	if grep -Eq "sriov|net-down eth.*ixgbe|unload ixgbe" "$tmp/out"; then fail "SR-IOV, link or module of the PF touched"; else pass "no SR-IOV, link or module step on that PF"; fi
cat >"$tmp/p/05-take.policy" <<'P'
[Match]
Driver=vfio-pci

[Quiesce]
Action=unbind
QuiesceUserspace=yes
P
run 0 "$KEXECQ" plan -P "$tmp/p" --inventory "$srv" &&
	expect out "unbind 0000:" "QuiesceUserspace=yes lets a policy unbind a vfio-pci function"

# Debian 12's kernel: the release (6.1.0-57-amd64) does not say the version,
# /proc/version does (6.1.192, the snapshot's kernel.upstream).  Its virtio
# bus resets the devices (50-virtio-pci-bus-reset-6.1.policy); compared with
# the release, the library would not know and check would count them at risk.
# (debian12-6.1.json: real-debian12.json's devices under that kernel.)
cp "$TESTDATA/inventory/debian12-6.1.json" "$tmp/deb12.json"
sed '/"upstream"/d' "$tmp/deb12.json" >"$tmp/deb12-noup.json"
run 0 "$KEXECQ" check -P "$lib" --inventory "$tmp/deb12.json" --driver-tables "$tables" &&
	expect out "Kernel 6.1.0-57-amd64 (Linux 6.1.192) lacks" "check shows Debian's release with its upstream version" &&
	expect out "table of Linux 6.1" "check reads the 6.1 table for Debian 12's kernel" &&
	expect out "50-virtio-pci-bus-reset-6.1.policy says the kernel quiesces it" \
		"Debian 12's virtio functions: the 6.1 policy matches by the upstream version"
run 5 "$KEXECQ" check -P "$lib" --inventory "$tmp/deb12-noup.json" --driver-tables "$tables" &&
	expect out "virtio-pci     left-running" "without the upstream version the same functions are at risk (the release is 6.1.0)"
run 0 "$KEXECQ" inventory --inventory "$tmp/deb12.json" &&
	expect out "kernel 6.1.0-57-amd64 (Linux 6.1.192), kexec_method" "inventory shows the upstream version after the release"
run 0 "$KEXECQ" plan --explain -P "$lib" --inventory "$tmp/deb12.json" &&
	expect out "KernelVersion=>=6.1.191 <6.2 (line 51: 6.1.192, release 6.1.0-57-amd64)" "plan --explain: KernelVersion= compared with the upstream version"
# A glob names the kernel build: it still matches the release (an
# administrator's KernelVersion=*-amd64 keeps working on Debian 12).
mkdir -p "$tmp/site"
printf '[Match]\nDriver=virtio-pci\nDevice=1041\nKernelVersion=*-amd64\n[Quiesce]\nAction=unbind\n' \
	>"$tmp/site/10-site.policy"
run 0 "$KEXECQ" plan -P "$tmp/site" --inventory "$tmp/deb12.json" &&
	expect out "unbind 0000:00:03.0" "KernelVersion= globs match the release, not the upstream version"
# A snapshot's upstream must be a version of its release's series.
sed 's/"upstream": "6.1.192"/"upstream": "7.0"/' "$tmp/deb12.json" >"$tmp/deb12-bad.json"
run 1 "$KEXECQ" plan -P "$lib" --inventory "$tmp/deb12-bad.json" &&
	expect err 'upstream "7.0" is not a version of the series of release "6.1.0-57-amd64"' \
		"a snapshot's upstream of another series is refused, by name"

# Unsafe= counts in every matching policy: a catch-all that sorts first does not hide it.
mkdir -p "$tmp/catch"
printf '[Match]\nDriver=*\n[Quiesce]\nFlushCache=yes\n' >"$tmp/catch/00-all.policy"
run 0 "$KEXECQ" plan -P "$tmp/catch" -P "$lib" --inventory "$tmp/gen/server-6.12.117.json" &&
	expect out "Kexec refused" "Unsafe= in 50-amdgpu.policy holds behind a Driver=* policy"

# Patched kernel where every function that can be released is marked
# remove: the PF of a VF in a VM is not released by the kernel either, and
# no policy can mark it remove.  As the kernel reads them: a function with
# VFs enabled, or with a SCSI disk below (a SCSI device bound to sd), reads
# kexec_action shutdown although marked remove.
python3 - "$tmp/vf.json" "$tmp/vf-remove.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["version"] = 4
d["kernel"]["per_device_kexec_method"] = True
def vetoed(x):
    below = [y for y in d["devices"]
             if y["kind"] == "disk" and y["syspath"].startswith(x["syspath"] + "/")]
    return x.get("sriov_numvfs", 0) > 0 or any("/nvme/" not in y["syspath"] for y in below)
for x in d["devices"]:
    if x["kind"] != "pci":
        continue
    if x.get("driver") and x["driver"] not in ("vfio-pci", "pcieport"):
        x["kexec_method"] = "remove"
        x["kexec_action"] = "shutdown" if vetoed(x) else "remove"
    else:
        x["kexec_method"] = "shutdown"
        x["kexec_action"] = "shutdown" if x.get("driver") else "clear-master"
json.dump(d, open(sys.argv[2], "w"))
PY
run 0 "$KEXECQ" plan --explain -P "$tmp/empty" --inventory "$tmp/vf-remove.json" &&
	expect out "set kexec_method of 0000:0b:00.0 (ixgbe) to shutdown (was remove)" "a held PF is kept from the kernel's remove" &&
	expect out "because kexecq leaves devices alone: kexec_method of 0000:0b:00.0 is remove, and it is left alone" "and the plan says why" &&
	if grep -q "set kexec_method of 0000:0b:10.0" "$tmp/out"; then fail "the vfio-pci VF's method was changed"; else pass "the VF's own method (shutdown) is left as it is"; fi
python3 -m json.tool "$tmp/vf-remove.json" >"$tmp/vf-remove-pretty.json"
sed '/"driver": "ixgbe"/,/kexec_action/ { s/"kexec_method": "remove"/"kexec_method": "shutdown"/ }' \
	"$tmp/vf-remove-pretty.json" >"$tmp/vf-shutdown.json"
mkdir -p "$tmp/kmrem"
printf '[Match]\nDriver=ixgbe\n[Quiesce]\nKernelMethod=remove\n' >"$tmp/kmrem/10-ixgbe.policy"
run 0 "$KEXECQ" plan -P "$tmp/kmrem" --inventory "$tmp/vf-shutdown.json" &&
	expect out "10-ixgbe.policy: KernelMethod=remove for 0000:0b:00.0 (ixgbe) not applied: it is left alone" "KernelMethod=remove is refused for a held function" &&
	if grep -q "set kexec_method of 0000:0b:00.0" "$tmp/out"; then fail "the ixgbe PF's method was changed"; else pass "and its method is not changed"; fi

# The table's title must agree with its name.
mkdir -p "$tmp/tables"
sed '1s/Linux 6.12.[0-9]*/Linux 6.1.192/' "$tables/pci-drivers-6.12.tsv" >"$tmp/tables/pci-drivers-6.12.tsv"
run 1 "$KEXECQ" check -P "$lib" --inventory "$srv" --driver-tables "$tmp/tables" &&
	expect err "describes Linux 6.1.192, not the 6.12 series its name says" "a mislabelled table is refused"

# Bad values name the file and line.
printf '[Match]\nDriver=x\nKernelVersion=>=6.*\n' >"$tmp/bad.policy"
run 3 "$KEXECQ" policy verify "$tmp/bad.policy" &&
	expect err "bad.policy:3: KernelVersion=: \">=6.*\" is not a comparison" "a glob after an operator is refused"
finish
