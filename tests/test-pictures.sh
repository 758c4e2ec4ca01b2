#!/bin/bash
# The pictures (issue 17): `kexecq plan --dot` through Graphviz and
# `kexecq plot` on journals, each SVG parsed with python3's xml.etree.
# The plan's: a node per step of `plan --json`, filled by action and
# labelled with the description, policy and key, an edge per dependency,
# crafted names kept inside their labels.  The plot's, against the journal
# read here independently: a bar per step, widths proportional to the
# durations, starts where the steps started, fills by outcome, the
# critical path (recomputed here) marked and nothing else.
. "${top_srcdir:-.}/tests/lib.sh"

command -v python3 >/dev/null || skip "python3 not installed"
command -v dot >/dev/null ||
	skip "dot not installed (Graphviz is the user's tool, not a dependency of kexecq)"

pol=$TESTDATA/policy/server
inv=$TESTDATA/inventory/server.json

cat >"$tmp/check.py" <<'PY'
import datetime, json, re, sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
# The palettes are the specification: plan-output.c and plot-output.c.
ACTION = {"set-kernel-method": "#d9c6f0", "readonly": "#ffd98e", "flush-cache": "#b9dcf2",
          "net-down": "#c6e8b0", "sriov-disable": "#f9c0c0", "unbind": "#fff0a0",
          "reset": "#f6a38e", "unload-module": "#d0d0d0", "barrier": "#ffffff"}
OUTCOME = {"pending": "#eeeeee", "running": "#fff176", "done": "#4caf50", "failed": "#e53935",
           "skipped": "#bdbdbd", "gone": "#90a4ae", "timed-out": "#ff9800",
           "not-run": "#ffffff", "undone": "#64b5f6", "undo-failed": "#8e24aa"}
errors = []


def check(cond, what):
    if not cond:
        errors.append(what)


def texts(g):
    return [t.text or "" for t in g.iter(SVG + "text")]


def fill(g):
    for e in g.iter():
        if e.tag in (SVG + "path", SVG + "polygon", SVG + "ellipse") and e.get("fill") not in (None, "none"):
            return e.get("fill")
    return None


def plan(plan_json, svg):
    steps = json.load(open(plan_json))["steps"]
    root = ET.parse(svg).getroot()
    nodes, legend, edges = {}, {}, []
    for g in root.iter(SVG + "g"):
        cls = (g.get("class") or "").split()
        title = g.find(SVG + "title")
        name = title.text if title is not None else ""
        if "node" in cls and re.fullmatch(r"s\d+", name):
            nodes[int(name[1:])] = (cls, fill(g), texts(g))
        elif "node" in cls and "legend" in cls:
            legend[cls[-1]] = fill(g)
        elif "edge" in cls:
            a, b = name.split("->")
            edges.append((int(a[1:]), int(b[1:])))
    check(len(nodes) == len(steps), "%d step nodes, %d steps" % (len(nodes), len(steps)))
    want_edges = sorted((d, s["id"]) for s in steps for d in s["after"])
    check(sorted(edges) == want_edges, "edges %s, want %s" % (sorted(edges), want_edges))
    for s in steps:
        if s["id"] not in nodes:
            check(False, "no node for step %d" % s["id"])
            continue
        cls, f, t = nodes[s["id"]]
        check(s["type"] in cls, "step %d: class %s, type %s" % (s["id"], cls, s["type"]))
        check(f == ACTION[s["type"]], "step %d (%s): fill %s" % (s["id"], s["type"], f))
        check(t[0] == "%d: %s" % (s["id"], s["description"]), "step %d: label %r" % (s["id"], t[0]))
        cause = "%s %s" % (s.get("policy"), s.get("key"))
        check(len(t) == 2 and t[1].startswith(cause), "step %d: cause %r, want %r" % (s["id"], t[1:], cause))
        check(legend.get(s["type"]) == f, "legend of %s: %s" % (s["type"], legend.get(s["type"])))
    check(set(legend) == {s["type"] for s in steps}, "legend %s" % sorted(legend))
    print("%d nodes, %d edges" % (len(nodes), len(edges)))


def labels(svg):
    root = ET.parse(svg).getroot()
    for g in root.iter(SVG + "g"):
        title = g.find(SVG + "title")
        if "node" in (g.get("class") or "") and title is not None and re.fullmatch(r"s\d+", title.text):
            print("%s\t%s" % (title.text, "\t".join(texts(g))))
    print("edges\t%d" % sum(1 for g in root.iter(SVG + "g") if g.get("class") == "edge"))


STAMP = r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)"


def usec(stamp):
    """Microseconds since the epoch, or None for a stamp that is not a time."""
    try:
        t = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return None
    return (t - datetime.datetime(1970, 1, 1)) // datetime.timedelta(microseconds=1)


def journal_last_run(path):
    """The last run of a journal, read with regular expressions of our own."""
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    starts = [i for i, l in enumerate(lines) if re.match(STAMP + r" quiescing: \d+ step", l)]
    first = starts[-1]
    t0 = usec(lines[first][:27])
    n = int(re.match(STAMP + r" quiescing: (\d+)", lines[first]).group(2))
    steps = {i: {"state": "pending", "deps": [], "start": None, "dur": None} for i in range(1, n + 1)}
    for l in lines[first + 1:]:
        # The description ends at the first ": " that a status follows.
        m = re.match(STAMP + r" \[ *(\d+)/(\d+)\] (.*?): (?:started(?: \(after ([\d, ]+)\))?|(" +
                     "|".join(map(re.escape, OUTCOME)) + r")(?: in ([\d.]+) s)?(?:;.*)?)$", l)
        # What the reader must refuse (journal-read.h): not a time, not one of the run's
        # steps, a wait for a later step, a duration no run has.
        if not m or usec(m.group(1)) is None or int(m.group(3)) != n or int(m.group(2)) not in steps:
            continue
        i, s = int(m.group(2)), steps[int(m.group(2))]
        if m.group(6) is None:  # started
            deps = [int(x) for x in m.group(5).split(", ")] if m.group(5) else []
            if any(d < 1 or d >= i for d in deps):
                continue
            s["start"] = max(usec(m.group(1)) - t0, 0)
            s["deps"] = deps
            if s["state"] == "pending":
                s["state"] = "running"
        else:
            if m.group(7) is not None and float(m.group(7)) > 1e9:
                continue
            s["state"] = m.group(6)
            if m.group(7) is not None and s["dur"] is None:
                s["dur"] = round(float(m.group(7)) * 1000000)
                if s["start"] is None:
                    s["start"] = max(usec(m.group(1)) - t0 - s["dur"], 0)
    # exec.c's critical path: the longest chain of durations along the dependencies.
    cp, pred, best = {}, {}, None
    for i in range(1, n + 1):
        s = steps[i]
        if s["dur"] is None:
            continue
        before = 0
        for d in s["deps"]:
            if cp.get(d, 0) > before:
                before, pred[i] = cp[d], d
        cp[i] = before + s["dur"]
        if best is None or cp[i] > cp[best]:
            best = i
    path = []
    while best:
        path.insert(0, best)
        best = pred.get(best)
    return lines[first][:27], steps, path


def plot(journal, svg):
    started, steps, path = journal_last_run(journal)
    root = ET.parse(svg).getroot()
    check(any(started in (t.text or "") for t in root.iter(SVG + "text") if t.get("class") == "heading"),
          "the heading does not name the run's start %s" % started)
    bars = [r for r in root.iter(SVG + "rect") if "bar" in (r.get("class") or "").split()]
    check(len(bars) == len(steps), "%d bars, %d steps" % (len(bars), len(steps)))
    by_step = {}
    for g in root.iter(SVG + "g"):
        if g.get("class") == "step":
            r = g.find(SVG + "rect")
            by_step[int(g.get("data-step"))] = r
    check(sorted(by_step) == list(range(1, len(steps) + 1)), "steps drawn: %s" % sorted(by_step))
    timed = [(i, s) for i, s in steps.items() if s["dur"] is not None]
    longest = max(timed, key=lambda x: x[1]["dur"], default=None)
    scale = float(by_step[longest[0]].get("width")) / longest[1]["dur"] if longest and longest[1]["dur"] else None
    x0 = 20.0
    critical = []
    legend = {r.get("class").split()[1]: r.get("fill") for r in root.iter(SVG + "rect")
              if (r.get("class") or "").startswith("legend ") and r.get("class") != "legend critical"}
    for i, s in steps.items():
        r = by_step.get(i)
        if r is None:
            continue
        cls = r.get("class").split()
        check(s["state"] in cls, "step %d: class %s, journal says %s" % (i, cls, s["state"]))
        check(r.get("fill") == OUTCOME[s["state"]], "step %d (%s): fill %s" % (i, s["state"], r.get("fill")))
        check(legend.get(s["state"]) == OUTCOME[s["state"]], "no legend for %s" % s["state"])
        if "critical" in cls:
            critical.append(i)
            check(r.get("stroke-width") == "3", "step %d: critical without the thick outline" % i)
        else:
            check(r.get("stroke-width") != "3", "step %d: thick outline off the critical path" % i)
        if s["dur"] is not None and scale:
            w = float(r.get("width"))
            check(abs(w - s["dur"] * scale) < 0.01, "step %d: width %.3f, want %.3f" % (i, w, s["dur"] * scale))
            check(int(r.get("data-duration-usec")) == s["dur"], "step %d: duration %s" % (i, r.get("data-duration-usec")))
            x = float(r.get("x"))
            check(abs(x - (x0 + s["start"] * scale)) < 0.01, "step %d: x %.3f, want %.3f" % (i, x, x0 + s["start"] * scale))
        else:
            check(r.get("data-duration-usec") is None, "step %d: a duration without one in the journal" % i)
    check(critical == path, "critical path drawn %s, the journal's %s" % (critical, path))
    states = sorted({s["state"] for s in steps.values()})
    print("%d bars, states %s, critical path %s" % (len(bars), " ".join(states), " ".join(map(str, path))))


if sys.argv[1] == "plan":
    plan(sys.argv[2], sys.argv[3])
elif sys.argv[1] == "labels":
    labels(sys.argv[2])
else:
    plot(sys.argv[2], sys.argv[3])
for e in errors:
    print("ERROR: " + e)
sys.exit(1 if errors else 0)
PY

# checkpy WHAT ARGS...: the checker's verdict as one test line, its findings below.
checkpy() {
	local what=$1
	shift
	if python3 "$tmp/check.py" "$@" >"$tmp/py.out" 2>&1; then
		pass "$what ($(tail -1 "$tmp/py.out"))"
	else
		fail "$what"
		sed 's/^/    /' "$tmp/py.out" | head -20
	fi
}

# --- plan --dot: the server fixture
run 0 "$KEXECQ" -P "$pol" plan --inventory "$inv" --json && cp "$tmp/out" "$tmp/plan.json"
if run 0 "$KEXECQ" -P "$pol" plan --inventory "$inv" --dot; then
	if dot -Tsvg "$tmp/out" >"$tmp/plan.svg" 2>"$tmp/dot.err" && [ ! -s "$tmp/dot.err" ]; then
		pass "plan --dot | dot -Tsvg: accepted without a warning"
		checkpy "plan --dot: a node per step, fills by action, labels, an edge per dependency" \
			plan "$tmp/plan.json" "$tmp/plan.svg"
	else
		fail "dot refused the graph"
		sed 's/^/    /' "$tmp/dot.err" | head -10
	fi
fi

# The machine itself, with the shipped policies (whatever it has).
if run 0 "$KEXECQ" --no-daemon -P "${top_srcdir:-.}/policy" plan --json; then
	cp "$tmp/out" "$tmp/live.json"
	run 0 "$KEXECQ" --no-daemon -P "${top_srcdir:-.}/policy" plan --dot &&
		dot -Tsvg "$tmp/out" >"$tmp/live.svg" &&
		checkpy "plan --dot of this machine" plan "$tmp/live.json" "$tmp/live.svg"
fi

# Crafted names: a snapshot's devices and drivers, a policy file's name.
mkdir -p "$tmp/crafted"
printf '[Match]\nVendor=0x1234\n\n[Quiesce]\nAction=unbind\nNetworkDown=yes\n' \
	>"$tmp/crafted/50-cr\"aft\\N}{.policy"
cinv=$TESTDATA/inventory/crafted-names.json
if run 0 "$KEXECQ" -P "$tmp/crafted" plan --inventory "$cinv" --dot; then
	if dot -Tsvg "$tmp/out" >"$tmp/crafted.svg" 2>"$tmp/dot.err"; then
		python3 "$tmp/check.py" labels "$tmp/crafted.svg" >"$tmp/labels" 2>&1
		# The names as they are, a backslash shown as \\ (a newline would be \n).
		printf '%s\n' \
			's1	1: bring interface eth\\n0"<x> down	50-cr"aft\\N}{.policy Quiesce.NetworkDown (line 6)' \
			's2	2: unbind 0000:00:09.0"];x->y;#\\N from drv"q\\l<b>&amp;	50-cr"aft\\N}{.policy Quiesce.Action (line 5)' \
			'edges	1' >"$tmp/labels.want"
		if cmp -s "$tmp/labels.want" "$tmp/labels"; then
			pass "crafted names stay inside their labels: two nodes, one edge"
		else
			fail "crafted names broke the graph"
			diff -u "$tmp/labels.want" "$tmp/labels" | sed 's/^/    /'
		fi
	else
		fail "dot refused the graph of crafted names"
		sed 's/^/    /' "$tmp/dot.err" | head -10
	fi
fi

run 2 "$KEXECQ" -P "$pol" plan --inventory "$inv" --dot --json &&
	expect err "--dot draws the plan for Graphviz: not with --json" "--dot with --json is refused"
run 2 "$KEXECQ" -P "$pol" plan --inventory "$inv" --explain --dot &&
	expect err "--dot draws the plan for Graphviz: not with --explain" "--dot with --explain is refused"

# --- plot: a journal of two runs, the last written by journal.c (tests/test-plot.c)
j=$TESTDATA/journal/quiesce.journal
if run 0 "$KEXECQ" plot --journal "$j" -o "$tmp/plot.svg"; then
	[ -s "$tmp/out" ] && fail "plot -o FILE wrote to stdout too" || pass "plot -o FILE"
	checkpy "plot of the fixture journal: bars, widths, starts, fills, critical path" \
		plot "$j" "$tmp/plot.svg"
	grep -q "line 7: the last of 2 runs in it" "$tmp/plot.svg" &&
		pass "plot says which run it drew" || fail "plot does not say which run"
fi
# -o through a symlink writes the file it names and keeps the link (as a
# shell's > does; /dev/stdout is one); -o to a FIFO writes into it.
: >"$tmp/real.svg"
ln -s real.svg "$tmp/link.svg"
if run 0 "$KEXECQ" plot --journal "$j" -o "$tmp/link.svg"; then
	if [ -L "$tmp/link.svg" ] && cmp -s "$tmp/real.svg" "$tmp/plot.svg"; then
		pass "plot -o SYMLINK writes through the link and keeps it"
	else
		fail "plot -o SYMLINK replaced the link or did not write its target"
	fi
fi
mkfifo "$tmp/fifo"
cat "$tmp/fifo" >"$tmp/from-fifo" &
reader=$!
if run 0 "$KEXECQ" plot --journal "$j" -o "$tmp/fifo"; then
	wait "$reader"
	[ -p "$tmp/fifo" ] && cmp -s "$tmp/from-fifo" "$tmp/plot.svg" &&
		pass "plot -o FIFO writes into it" || fail "plot -o FIFO: replaced, or not the SVG"
else
	kill "$reader" 2>/dev/null
fi
# Default: <run-dir>/journal, to stdout.
mkdir -p "$tmp/rundir"
cp "$j" "$tmp/rundir/journal"
if run 0 "$KEXECQ" plot --run-dir "$tmp/rundir"; then
	sed "s|$tmp/rundir/journal|$j|" "$tmp/out" >"$tmp/rundir.svg"
	cmp -s "$tmp/rundir.svg" "$tmp/plot.svg" && pass "plot --run-dir DIR: DIR/journal, to stdout" ||
		fail "plot --run-dir differs from --journal"
fi

# A run written by journal.c now: the executor on fake steps, in the Check test.
if [ -x "${top_builddir:-.}/tests/test-plot" ]; then
	if KEXECQ_TEST_JOURNAL_OUT=$tmp/fresh.journal CK_RUN_CASE=written CK_VERBOSITY=silent \
		"${top_builddir:-.}/tests/test-plot" >"$tmp/ck.out" 2>&1 && [ -s "$tmp/fresh.journal" ]; then
		run 0 "$KEXECQ" plot --journal "$tmp/fresh.journal" -o "$tmp/fresh.svg" &&
			checkpy "plot of a journal journal.c just wrote" plot "$tmp/fresh.journal" "$tmp/fresh.svg"
	else
		fail "tests/test-plot did not write a journal"
		sed 's/^/    /' "$tmp/ck.out" | head -10
	fi
else
	echo "# tests/test-plot not built (no Check): plotting only the fixtures"
fi

# Bad input: a clear error, or the line skipped with a warning naming it; never a crash.
run 1 "$KEXECQ" plot --journal "$tmp/nonexistent" &&
	expect err "$tmp/nonexistent: cannot open: No such file or directory" "plot of a missing journal"
run 1 "$KEXECQ" plot --journal "$TESTDATA/journal/no-run.journal" &&
	expect err "no-run.journal: no quiesce in it" "plot of a journal without a run"
run 1 "$KEXECQ" plot --journal "$TESTDATA/journal/too-many-steps.journal" &&
	expect err "too-many-steps.journal:2: a run of more than 100000 steps" "plot of a run of too many steps"
run 1 "$KEXECQ" plot --journal /dev/zero && expect err "/dev/zero: not a regular file" "plot of a device"
c=$TESTDATA/journal/crafted.journal
if run 0 "$KEXECQ" plot --journal "$c" -o "$tmp/crafted-plot.svg"; then
	expect err "crafted.journal:4: not a journal line (no time stamp); line skipped." "crafted lines: warnings name file:line"
	expect err "crafted.journal: 2 more lines skipped." "crafted lines: the rest counted"
	checkpy "plot of crafted lines" plot "$c" "$tmp/crafted-plot.svg"
	if python3 -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
assert not [e for e in r.iter() if e.tag.endswith("script")]
assert any("<script>alert(\"x\")</script> from a&b" in (t.text or "") for t in r.iter())' "$tmp/crafted-plot.svg"; then
		pass "markup in a description is text, not markup"
	else
		fail "markup in a description leaked into the SVG"
	fi
fi
run 2 "$KEXECQ" plot extra && expect err "plot takes no arguments" "plot with an argument"
run 2 "$KEXECQ" plot --dot && expect err "plot does not take --dot" "plot refuses plan's options"
run 2 "$KEXECQ" plan -o x && expect err "plan does not take --output" "plan refuses plot's options"

finish
