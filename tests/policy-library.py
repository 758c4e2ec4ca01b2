#!/usr/bin/env python3
"""Check the shipped policy library (policy/*.policy) against what each
file claims.

Each shipped file carries a comment line

    # Steps: TYPE...        (or "# Steps: none")

naming the step types kexecq plans for one function the file governs on a
generated server (below).  This script

  1. generates that server: one function per driver the library names,
     behind its own root port, with a network interface that is up for
     NICs, a disk with a volatile cache for storage controllers, two VFs
     for SR-IOV PFs, and an open vfio-pci function;
  2. plans it with `kexecq plan --json -P policy/` for several kernel
     releases (KernelVersion= makes some files apply to old kernels only)
     and checks, for each file, that the step types it caused are exactly
     its claim wherever it governs a function, and that it governs one
     for at least one release;
  3. plans every inventory snapshot given with --snapshot and checks that
     no file causes a step type it does not claim.

Usage: policy-library.py KEXECQ POLICY_DIR OUT_DIR [--snapshot FILE...]
Prints "ok ..." / "not ok ..." lines; exit status 1 on any failure.
"""
import json
import os
import re
import subprocess
import sys

# driver: (vendor, device, class, kind, vf driver, vf device)
DRIVERS = {
    "lpfc": ("10df", "f100", "0c0400", "storage", None, None),
    "ipr": ("1014", "034a", "010400", "storage", None, None),
    "megaraid_sas": ("1000", "005d", "010400", "storage", None, None),
    "mpt3sas": ("1000", "0097", "010700", "storage", None, None),
    "nvme": ("144d", "a808", "010802", "nvme", None, None),
    "ahci": ("8086", "a352", "010601", "storage", None, None),
    "mlx4_core": ("15b3", "1007", "020000", "nic", "mlx4_core", "1004"),
    "mlx5_core": ("15b3", "1017", "020000", "nic", "mlx5_core", "1018"),
    "ena": ("1d0f", "ec20", "020000", "nic", None, None),
    "ixgbe": ("8086", "10fb", "020000", "nic", "ixgbevf", "10ed"),
    "i40e": ("8086", "1572", "020000", "nic", "iavf", "154c"),
    "ice": ("8086", "159b", "020000", "nic", "iavf", "1889"),
    "e1000": ("8086", "100e", "020000", "nic", None, None),
    "e1000e": ("8086", "10d3", "020000", "nic", None, None),
    "xhci_hcd": ("8086", "a36d", "0c0330", "plain", None, None),
    "ioatdma": ("8086", "2021", "088000", "plain", None, None),
    "i915": ("8086", "3e92", "030000", "plain", None, None),
    "amdgpu": ("1002", "73bf", "030000", "plain", None, None),
    "nouveau": ("10de", "1eb8", "030000", "plain", None, None),
    "virtio-pci": ("1af4", "1041", "020000", "plain", None, None),
    "vfio-pci": ("10de", "1eb8", "030200", "vfio", None, None),
}
RELEASES = ["3.10.0", "4.4.0", "5.4.0", "6.1.0", "6.1.191", "6.12.117", "6.18.0", "7.9.0"]
FAILED = []


def ok(cond, what):
    print(("ok " if cond else "not ok ") + what)
    if not cond:
        FAILED.append(what)


def read_policy(path):
    """The claim, the [Match] keys (first plain value) and whether it is documented."""
    claim, match, section, documented, evidence_none, flush_no = None, {}, None, False, False, False
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"#\s*Steps:\s*(.*)$", line)
            if m:
                words = m.group(1).split()
                claim = set() if words == ["none"] else set(words)
            if re.match(r"#\s*Evidence:\s*none to link", line):
                evidence_none = True
            s = line.strip()
            if s.startswith("["):
                section = s
            elif section == "[Match]" and "=" in s and not s.startswith("#"):
                k, v = s.split("=", 1)
                if v and not v.startswith("!"):
                    match[k] = v.split()[0]
            elif section == "[Policy]" and s.startswith("Documentation=") and s[14:].strip():
                documented = True
            elif section == "[Quiesce]" and s.replace(" ", "") in ("FlushCache=no", "FlushCache=false", "FlushCache=0"):
                flush_no = True
    return claim, match, documented or evidence_none, flush_no


def pci(syspath, name, vendor, device, cls, driver, module=None, **extra):
    d = {"kind": "pci", "syspath": syspath, "name": name, "vendor": vendor,
         "device": device, "subsystem_vendor": vendor, "subsystem_device": "0001",
         "class": cls, "id_path": "pci-" + name,
         "modalias": "pci:v0000%sd0000%ssv0000%ssd00000001bc%ssc%si%s" % (
             vendor.upper(), device.upper(), vendor.upper(), cls[0:2].upper(),
             cls[2:4].upper(), cls[4:6].upper()),
         "driver": driver, "module": module or driver.replace("-", "_")}
    d.update(extra)
    return d


def generate(policies, release):
    """A server with one function per driver named by a policy (and the DRIVERS table)."""
    devs = []
    governed = {}
    # One function per driver with its usual ids, and one more per policy
    # narrowed to certain ids (Vendor=, Device=, Class=), with those.
    items = []
    names = sorted(set(DRIVERS) | {m.get("Driver") for _, m in policies.values()
                                   if m.get("Driver")})
    for drv in names:
        items.append((drv, DRIVERS.get(drv, ("1234", "0001", "ff0000", "plain", None, None))))
    for fname, (_, m) in sorted(policies.items()):
        drv = m.get("Driver")
        if not drv or not any(k in m for k in ("Vendor", "Device", "Class")):
            continue
        vendor, device, cls, kind, vfdrv, vfdev = DRIVERS.get(
            drv, ("1234", "0001", "ff0000", "plain", None, None))
        vendor = m.get("Vendor", vendor).lower().replace("0x", "")
        device = m.get("Device", device).lower().replace("0x", "")
        if "Class" in m and "*" not in m["Class"]:
            c = m["Class"].lower().replace("0x", "")
            cls = (c + cls[len(c):])[:6]
        items.append((drv, (vendor, device, cls, kind, vfdrv, vfdev)))
    for bus, (drv, ids) in enumerate(items, start=1):
        vendor, device, cls, kind, vfdrv, vfdev = ids
        port = "/sys/devices/pci0000:00/0000:00:%02x.0" % bus
        pname = "0000:00:%02x.0" % bus
        devs.append(pci(port, pname, "8086", "a110", "060400", "pcieport",
                        module_builtin=True))
        fn = "0000:%02x:00.0" % bus
        fpath = port + "/" + fn
        extra = {}
        if vfdrv:
            extra = {"sriov_numvfs": 2, "sriov_totalvfs": 8}
        if kind == "vfio":
            extra["enable"] = 1
        devs.append(pci(fpath, fn, vendor, device, cls, drv, **extra))
        if kind == "nic":
            devs.append({"kind": "net", "syspath": fpath + "/net/eth%d" % bus,
                         "name": "eth%d" % bus, "up": True})
        elif kind == "storage":
            host = fpath + "/host%d" % bus
            devs.append({"kind": "scsi_host", "syspath": host, "name": "host%d" % bus})
            devs.append({"kind": "disk", "name": "sd%s" % chr(ord("a") + bus % 26),
                         "syspath": host + "/target%d:0:0/%d:0:0:0/block/sdx%d" % (bus, bus, bus),
                         "devnode": "/dev/sdx%d" % bus, "write_cache": "write back"})
            devs[-1]["name"] = "sdx%d" % bus
        elif kind == "nvme":
            ctl = fpath + "/nvme/nvme%d" % bus
            devs.append({"kind": "nvme", "syspath": ctl, "name": "nvme%d" % bus})
            devs.append({"kind": "disk", "syspath": ctl + "/nvme%dn1" % bus,
                         "name": "nvme%dn1" % bus, "devnode": "/dev/nvme%dn1" % bus,
                         "write_cache": "write back"})
        for v in range(2 if vfdrv else 0):
            vn = "0000:%02x:10.%d" % (bus, v)
            devs.append(pci(port + "/" + vn, vn, vendor, vfdev, cls, vfdrv,
                            physfn=fpath))
    return {"format": "kexecq-inventory", "version": 4,
            "kernel": {"release": release}, "devices": devs}, {}


def plan(kexecq, policy_dir, inv_path):
    p = subprocess.run([kexecq, "plan", "--json", "-P", policy_dir, "--inventory", inv_path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        return None, p.stderr
    return json.loads(p.stdout), p.stderr


def types_by_policy(pl):
    out = {}
    for s in pl["steps"]:
        if s.get("policy"):
            out.setdefault(s["policy"], set()).add(s["type"])
    return out


def main(argv):
    kexecq, policy_dir, out = argv[1], argv[2], argv[3]
    snapshots = argv[argv.index("--snapshot") + 1:] if "--snapshot" in argv else []
    files = sorted(f for f in os.listdir(policy_dir) if f.endswith(".policy"))
    parsed = {f: read_policy(os.path.join(policy_dir, f)) for f in files}
    policies = {f: (p[0], p[1]) for f, p in parsed.items()}
    for f in files:
        claim, match, documented, _ = parsed[f]
        ok(claim is not None, "%s has a '# Steps:' line" % f)
        ok(documented, "%s has Documentation= or says '# Evidence: none to link'" % f)
        ok("Driver" in match, "%s matches by Driver=" % f)

    exercised = set()
    for rel in RELEASES:
        inv, governed = generate(policies, rel)
        path = os.path.join(out, "server-%s.json" % rel)
        with open(path, "w") as fh:
            json.dump(inv, fh, indent=1)
        pl, err = plan(kexecq, policy_dir, path)
        ok(pl is not None, "plan of the generated server, Linux %s%s" % (rel, "" if pl else ": " + err))
        if not pl:
            continue
        got = types_by_policy(pl)
        gov = {d["policy"] for d in pl["devices"] if d.get("policy")}
        for f in files:
            if f not in gov:
                continue
            exercised.add(f)
            claim = policies[f][0] or set()
            have = got.get(f, set())
            ok(have == claim, "%s on Linux %s: steps %s, claimed %s" % (
                f, rel, " ".join(sorted(have)) or "none", " ".join(sorted(claim)) or "none"))
    for f in files:
        ok(f in exercised, "%s governs a function of the generated server for some release" % f)

    for snap in snapshots:
        pl, err = plan(kexecq, policy_dir, snap)
        ok(pl is not None, "plan of %s with the shipped library%s" % (
            os.path.basename(snap), "" if pl else ": " + err))
        if not pl:
            continue
        for f, have in sorted(types_by_policy(pl).items()):
            claim = set(policies.get(f, (set(), {}))[0] or set())
            # Mounted file systems below what goes away add a readonly step first.
            if claim & {"unbind", "reset", "unload-module", "sriov-disable"}:
                claim.add("readonly")
            # The snapshots have disks the generated functions may lack.
            if f in parsed and not parsed[f][3]:
                claim.add("flush-cache")
            ok(have <= claim, "%s on %s: steps %s within the claim %s" % (
                f, os.path.basename(snap), " ".join(sorted(have)),
                " ".join(sorted(claim)) or "none"))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
