#!/bin/bash
# The man pages: mandoc and groff have nothing to warn about, and the pages
# document what the code has.  The lists come from the code, never from a
# list kept here:
#   kexecq's commands and which options each takes: tests/code-tables
#     (verbs[], options[] and option_verbs() of daemon/tools/kexecq.c), the
#     policy sub-commands from 'kexecq policy --help';
#   kexecqd's options: the getopt table in daemon/tools/kexecqd.c and
#     'kexecqd --help';
#   the bus API: contrib/dbus/org.kexecq1.Manager.xml (tests/test-bus.sh
#     holds it to what kexecqd publishes) and the option keys in
#     daemon/service/manager.c;
#   the policy keys and their enumerated values: tests/code-tables (the key
#     table of daemon/input/policy.c and the [Match] table of policy.h).
# Each failure names the page, the command or key, and what is missing.
. "${top_srcdir:-.}/tests/lib.sh"

: "${KEXECQD:=${top_builddir:-.}/kexecqd}"
src=${top_srcdir:-.}
man=$src/man
tables=${top_builddir:-.}/tests/code-tables
pages="kexecq.8 kexecqd.8 kexecq.policy.5 kexecq-json.7"

command -v mandoc >/dev/null || skip "mandoc is not installed (contrib/install-deps.sh)"
command -v man >/dev/null || skip "man (man-db) is not installed"
[ -x "$tables" ] || skip "$tables not built (make check builds it)"
"$tables" >"$tmp/tables" || {
	echo "not ok - $tables failed"
	exit 1
}

# --- lint
for p in $pages; do
	mandoc -T lint -W warning "$man/$p" >"$tmp/lint" 2>&1
	if [ -s "$tmp/lint" ]; then
		fail "mandoc -T lint -W warning $p"
		sed 's/^/    /' "$tmp/lint"
	else
		pass "mandoc -T lint: $p"
	fi
	LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l "$man/$p" \
		>/dev/null 2>"$tmp/groff"
	if [ $? -ne 0 ] || [ -s "$tmp/groff" ]; then
		fail "man --warnings $p: groff warns"
		sed 's/^/    /' "$tmp/groff"
	else
		pass "man --warnings (groff): $p"
	fi
done

# --- the pages as records, from their roff source:
#   E <TAB> SECTION <TAB> TAG <TAB> BODY   an indented paragraph (.TP) and
#                                         its text, up to the next .TP, .PP,
#                                         .SS or .SH
#   L <TAB> SECTION <TAB> TEXT            a line of text
#   N <TAB> SECTION <TAB> BLOCK <TAB> TEXT  a line between .nf and .fi
# with escapes resolved (\- is -, fonts dropped) and macro arguments joined.
records() {
	awk '
	BEGIN {
		special["aq"] = "\047"; special["dq"] = "\""; special["bu"] = "*"; special["->"] = "->"
		special["em"] = "-"; special["en"] = "-"; special["-"] = "-"
	}
	function deesc(s,    out, c, n, i, name) {
		out = ""
		n = length(s)
		for (i = 1; i <= n; i++) {
			c = substr(s, i, 1)
			if (c != "\\") { out = out c; continue }
			c = substr(s, ++i, 1)
			if (c == "f" || c == "*") {
				c = substr(s, ++i, 1)
				if (c == "(") i += 2
				else if (c == "[") while (i <= n && substr(s, i, 1) != "]") i++
			} else if (c == "(" || c == "[") {
				if (c == "(") { name = substr(s, i + 1, 2); i += 2 }
				else { name = ""; while (++i <= n && substr(s, i, 1) != "]") name = name substr(s, i, 1) }
				out = out (name in special ? special[name] : "?")
			} else if (c == "e") out = out "\\"
			else if (c == "-" || c == " " || c == "." || c == "\047") out = out c
			else if (c == "&" || c == "|" || c == "^" || c == ")" || c == "c" || c == "%") ;
			else out = out c
		}
		return out
	}
	# The arguments of a macro line, joined: without spaces for the
	# alternating-font macros (.BI, .BR ...), with them for .B and .I.
	function args(s, sep,    out, a, c, i, n, q) {
		n = length(s); out = ""; a = ""; q = 0
		for (i = 1; i <= n; i++) {
			c = substr(s, i, 1)
			if (c == "\\") { a = a c substr(s, i + 1, 1); i++ }
			else if (q && c == "\"" && substr(s, i + 1, 1) == "\"") { a = a c; i++ }
			else if (c == "\"") q = !q
			else if (!q && (c == " " || c == "\t")) {
				if (a != "") { out = out (out == "" ? "" : sep) a; a = "" }
			} else a = a c
		}
		if (a != "") out = out (out == "" ? "" : sep) a
		return out
	}
	function flush() {
		if (tag != "") print "E\t" sec "\t" tag "\t" body
		tag = ""; body = ""; want_tag = 0
	}
	function text(t) {
		t = deesc(t)
		if (nofill) { print "N\t" sec "\t" block "\t" t; return }
		print "L\t" sec "\t" t
		if (want_tag) { tag = t; want_tag = 0 }
		else if (tag != "") body = body (body == "" ? "" : " ") t
	}
	/^[.\047]\\"/ { next }
	/^\.SH/ { flush(); sec = deesc(args(substr($0, 4), " ")); next }
	/^\.SS/ { flush(); next }
	/^\.TP/ { flush(); want_tag = 1; next }
	/^\.(PP|LP|P)([ \t]|$)/ { flush(); next }
	/^\.nf/ { nofill = 1; block++; next }
	/^\.fi/ { nofill = 0; next }
	/^\.(B|I|SM|SB)([ \t]|$)/ { text(args(substr($0, index($0, " ") + 1), " ")); next }
	/^\.(BI|BR|IB|IR|RB|RI)([ \t]|$)/ { text(args(substr($0, index($0, " ") + 1), "")); next }
	/^[.\047]/ { next }
	{ text($0) }
	END { flush() }
	' "$1"
}
for p in $pages; do
	records "$man/$p" >"$tmp/$p.rec"
done

# section PAGE KIND SECTION: the records of one kind in one section, without
# the first two fields
section() {
	awk -F '\t' -v k="$2" -v s="$3" '$1 == k && $2 == s' "$tmp/$1.rec" | cut -f 3-
}

verbs=$(awk '$1 == "verb" { print $2 }' "$tmp/tables")
is_verb() { printf '%s\n' $verbs | grep -qx -- "$1"; }

# --- kexecq.8: the commands, in SYNOPSIS, COMMANDS and EXAMPLES
p=kexecq.8
subs=$("$KEXECQ" policy --help | sed -n 's/^\(Usage:\)\{0,1\} *kexecq policy \([a-z][a-z]*\).*/\2/p')
[ -n "$subs" ] || fail "no policy sub-commands in 'kexecq policy --help'"
for v in $verbs; do
	if [ "$v" = policy ]; then
		for s in $subs; do echo "policy $s"; done
	else
		echo "$v"
	fi
done | sort >"$tmp/commands"

# The commands an entry tag, a synopsis line or an example names:
# "policy verify [FILE…]", "enable, disable", "enable|disable [...]",
# "# kexecq -P d plan --json".
commands_of() {
	awk '{
		n = split($0, item, /, |\|/)
		for (i = 1; i <= n; i++) {
			m = split(item[i], w, " ")
			if (m == 0) continue
			if (w[1] == "policy" && m > 1 && w[2] ~ /^[a-z]+$/) print "policy " w[2]
			else print w[1]
		}
	}' | sort -u
}
check_commands() { # WHERE FILE: FILE names every command, and only those
	local c
	for c in $(comm -23 "$tmp/commands" "$2" | tr ' ' '_'); do
		fail "$p: $1 does not document 'kexecq ${c/_/ }', a command of the code"
	done
	for c in $(comm -13 "$tmp/commands" "$2" | tr ' ' '_'); do
		fail "$p: $1 documents 'kexecq ${c/_/ }', which the code does not have"
	done
	cmp -s "$tmp/commands" "$2" && pass "$p: $1 documents every command, and no other"
}
section $p E COMMANDS | cut -f 1 | commands_of >"$tmp/doc"
check_commands "COMMANDS" "$tmp/doc"
section $p L SYNOPSIS | grep -v '^kexecq$' | commands_of >"$tmp/doc"
check_commands "SYNOPSIS" "$tmp/doc"
# An example: "# kexecq COMMAND ..." or "$ kexecq ...", options with their
# value (--log-level=debug) before the command allowed.
section $p N EXAMPLES | cut -f 2 | sed -n 's/^[#$] kexecq \(-[^ ]* \)*//p' |
	awk '{ print $1 ($1 == "policy" ? " " $2 : "") }' | commands_of >"$tmp/doc"
comm -23 "$tmp/commands" "$tmp/doc" >"$tmp/missing"
while read -r c; do
	fail "$p: EXAMPLES has no example of 'kexecq $c'"
done <"$tmp/missing"
[ -s "$tmp/missing" ] || pass "$p: EXAMPLES has an example of every command"

# The options a synopsis line shows are the command's.
section $p L SYNOPSIS | grep -v '^kexecq$' >"$tmp/synopsis"
while IFS= read -r line; do
	for c in $(echo "$line" | commands_of | cut -d ' ' -f 1 | sort -u); do
		for o in $(echo "$line" | grep -oE -- '(^|[ [|])--?[a-zA-Z][a-z0-9-]*' | sed 's/^[ [|]//'); do
			if ! awk -v v="$c" -v o="$o" '$1 == "option" && $2 == v && ($3 == o || $4 == o || $4 == o "=")' \
				"$tmp/tables" | grep -q .; then
				fail "$p: SYNOPSIS shows $o for 'kexecq $c', which $c does not take"
			fi
		done
	done
done <"$tmp/synopsis"
pass "$p: SYNOPSIS shows no option a command does not take (each failure above)"

# --- kexecq.8: OPTIONS.  Every option of the code has an entry, with its short
# form; an entry whose option not every command takes starts its text with
# the commands that do, "(plan, check, reboot)", and names all of them.
section $p E OPTIONS >"$tmp/options"
# OPTION <TAB> COMMANDS ("*": the entry names none) <TAB> the tag
awk -F '\t' -v verbs="$(echo $verbs)" '
BEGIN { n = split(verbs, v, " "); for (i = 1; i <= n; i++) isverb[v[i]] = 1 }
{
	list = ""
	if (substr($2, 1, 1) == "(") {
		inner = substr($2, 2, index($2, ")") - 2)
		m = split(inner, w, /[^a-z-]+/)
		for (i = 1; i <= m; i++) if (isverb[w[i]]) list = list (list == "" ? "" : " ") w[i]
	}
	if (list == "") list = "*"
	tag = $1
	while (match(tag, /--[a-z][a-z0-9-]*/)) {
		print substr(tag, RSTART, RLENGTH) "\t" list "\t" $1
		tag = substr(tag, RSTART + RLENGTH)
	}
}' "$tmp/options" >"$tmp/doc-options"
n_verbs=$(printf '%s\n' $verbs | wc -l)
ok=1
# Per option of the code: VERBS (or "-") SHORT LONG
awk '$1 == "option" { sub(/=$/, "", $4); v[$4] = v[$4] (v[$4] == "" ? "" : " ") $2; s[$4] = $3 }
	END { for (o in v) print o "\t" s[o] "\t" v[o] }' "$tmp/tables" | sort >"$tmp/code-options"
while IFS=$'\t' read -r long short takes; do
	entry=$(awk -F '\t' -v o="$long" '$1 == o' "$tmp/doc-options" | head -1)
	if [ -z "$entry" ]; then
		fail "$p: OPTIONS has no entry for $long (taken by: ${takes/-/no command})"
		ok=0
		continue
	fi
	if [ "$short" != - ] && ! echo "$entry" | cut -f 3 | grep -qE -- "(^|[ ,])$short([ ,]|$)"; then
		fail "$p: the OPTIONS entry of $long does not show its short form $short"
		ok=0
	fi
	listed=$(echo "$entry" | cut -f 2)
	if [ "$listed" = "*" ]; then
		if [ "$takes" != - ] && [ "$(echo $takes | wc -w)" -ne "$n_verbs" ]; then
			fail "$p: the OPTIONS entry of $long names no commands, but only some take it: start its text with ($(echo $takes | sed 's/ /, /g'))"
			ok=0
		fi
		continue
	fi
	for v in $takes; do
		case " $listed " in *" $v "*) ;; *)
			fail "$p: 'kexecq $v' takes $long, but its OPTIONS entry names only ($listed)"
			ok=0
			;;
		esac
	done
	for v in $listed; do
		case " $takes " in *" $v "*) ;; *)
			fail "$p: the OPTIONS entry of $long names $v, which does not take it"
			ok=0
			;;
		esac
	done
done <"$tmp/code-options"
# Reverse: an entry for an option the code does not have.
for o in $(cut -f 1 "$tmp/doc-options" | sort -u); do
	if ! cut -f 1 "$tmp/code-options" | grep -qx -- "$o"; then
		fail "$p: OPTIONS documents $o, which kexecq does not have"
		ok=0
	fi
done
[ $ok = 1 ] && pass "$p: OPTIONS documents every option, with the commands that take it, and no other"

# The environment main() reads.
for e in $(sed -n 's/.*getenv("\([A-Z_]*\)").*/\1/p' "$src/daemon/tools/kexecq.c"); do
	if section $p E ENVIRONMENT | cut -f 1 | grep -qx "$e"; then
		pass "$p: ENVIRONMENT documents $e"
	else
		fail "$p: ENVIRONMENT does not document $e, which kexecq reads"
	fi
done

# --- kexecqd.8: its options, from its getopt table and its help
p=kexecqd.8
sed -n "s/^[[:blank:]]*{ \"\([a-z-]*\)\", [a-z_]*, NULL, \('\(.\)'\)\{0,1\}.*/--\1 \3/p" \
	"$src/daemon/tools/kexecqd.c" >"$tmp/code-options"
"$KEXECQD" --help | sed -n 's/^ *\(-\([A-Za-z]\) \)\{0,1\}--\([a-z][a-z0-9-]*\).*/--\3 \2/p' >>"$tmp/code-options"
sort -u -o "$tmp/code-options" "$tmp/code-options"
[ -s "$tmp/code-options" ] || fail "$p: no options found in kexecqd.c or kexecqd --help"
section $p E OPTIONS | cut -f 1 >"$tmp/tags"
ok=1
while read -r long short; do
	if ! grep -qE -- "(^|[ ,])$long([ =,]|$)" "$tmp/tags"; then
		fail "$p: OPTIONS has no entry for $long (kexecqd.c)"
		ok=0
	elif [ -n "$short" ] && ! grep -E -- "(^|[ ,])$long([ =,]|$)" "$tmp/tags" |
		grep -qE -- "(^|[ ,])-$short([ ,]|$)"; then
		fail "$p: the OPTIONS entry of $long does not show its short form -$short"
		ok=0
	fi
done <"$tmp/code-options"
for o in $(grep -oE -- '--[a-z][a-z0-9-]*' "$tmp/tags" | sort -u); do
	if ! grep -q -- "^$o " "$tmp/code-options"; then
		fail "$p: OPTIONS documents $o, which kexecqd does not have"
		ok=0
	fi
done
[ $ok = 1 ] && pass "$p: OPTIONS documents every option of kexecqd, and no other"
ok=1
section $p L SYNOPSIS >"$tmp/synopsis"
while read -r long short; do
	grep -qE -- "(^|[ [])($long${short:+|-$short})([] =]|\$)" "$tmp/synopsis" || {
		fail "$p: SYNOPSIS does not show $long"
		ok=0
	}
done <"$tmp/code-options"
[ $ok = 1 ] && pass "$p: SYNOPSIS shows every option of kexecqd"

# The interface: every method, property and signal has an entry under THE
# INTERFACE, and every entry there is one; every option key a method reads
# is named there; every method has an example.
xml=$src/contrib/dbus/org.kexecq1.Manager.xml
sed -n 's/.*<\(method\|property\|signal\) name="\([A-Za-z0-9]*\)".*/\2/p' "$xml" | sort >"$tmp/members"
[ -s "$tmp/members" ] || fail "$p: no members in $xml"
section $p E "THE INTERFACE" | cut -f 1 | grep -oE '[A-Z][A-Za-z0-9]* ?\(' | tr -d ' (' |
	sort -u >"$tmp/doc"
if cmp -s "$tmp/members" "$tmp/doc"; then
	pass "$p: THE INTERFACE documents every method, property and signal of org.kexecq1.Manager, and no other"
else
	comm -23 "$tmp/members" "$tmp/doc" | sed "s/^/$p: THE INTERFACE has no entry for /; s/\$/ (in org.kexecq1.Manager.xml)/" |
		while read -r m; do fail "$m"; done
	comm -13 "$tmp/members" "$tmp/doc" | sed "s/^/$p: THE INTERFACE documents /; s/\$/, which org.kexecq1.Manager does not have/" |
		while read -r m; do fail "$m"; done
fi
keys=$(sed -n 's/.*streq(key, "\([a-z_]*\)").*/\1/p; s/^[[:blank:]]*{ "\([a-z_]*\)", "[a-z{}]*", .*/\1/p' \
	"$src/daemon/service/manager.c" | sort -u)
[ -n "$keys" ] || fail "$p: no option keys found in daemon/service/manager.c"
section $p E "THE INTERFACE" | cut -f 2 | tr -cs 'a-z_' '\n' | sort -u >"$tmp/words"
ok=1
for k in $keys; do
	grep -qx "$k" "$tmp/words" || {
		fail "$p: THE INTERFACE does not name the option key $k (daemon/service/manager.c)"
		ok=0
	}
done
[ $ok = 1 ] && pass "$p: THE INTERFACE names every option key the methods read"
ok=1
for m in $(sed -n 's/.*<method name="\([A-Za-z0-9]*\)".*/\1/p' "$xml"); do
	# continuation lines joined
	section $p N EXAMPLES | cut -f 2 | sed -e ':a' -e '/\\$/{N;s/\\\n *//;ba' -e '}' |
		grep -qE "Manager $m( |\$)" || {
		fail "$p: EXAMPLES has no call of $m"
		ok=0
	}
done
[ $ok = 1 ] && pass "$p: EXAMPLES calls every method"

# --- kexecq.policy.5: every key of the code in its section, with its
# enumerated values, and in an example; the examples are valid policies
p=kexecq.policy.5
ok=1
awk '$1 == "key" { print $2 }' "$tmp/tables" >"$tmp/keys"
while IFS=. read -r s k; do
	S=$(echo "$s" | tr a-z A-Z)
	if ! section $p E "[$S] SECTION" | cut -f 1 | grep -qE "(^|[ ,])$k="; then
		fail "$p: [$S] SECTION has no entry for $k= (a [$s] key of the code)"
		ok=0
	fi
	if ! section $p N EXAMPLES | cut -f 2 | grep -q "^$k="; then
		fail "$p: EXAMPLES has no example of $k="
		ok=0
	fi
done <"$tmp/keys"
for S in POLICY MATCH QUIESCE; do
	s=$(echo "$S" | sed 's/\(.\)\(.*\)/\1\L\2/')
	for k in $(section $p E "[$S] SECTION" | cut -f 1 | grep -oE '(^|[ ,])[A-Z][A-Za-z]*=' | tr -d ' ,='); do
		grep -qx "$s\.$k" "$tmp/keys" || {
			fail "$p: [$S] SECTION documents $k=, which is not a [$s] key"
			ok=0
		}
	done
done
while read -r _ key value; do
	k=${key#*.} S=$(echo "${key%%.*}" | tr a-z A-Z)
	section $p E "[$S] SECTION" | cut -f 1 | grep -E "(^|[ ,])$k=" | grep -qE "[=|]$value(\||\$)" || {
		fail "$p: the entry of $k= does not show its value $value"
		ok=0
	}
done < <(grep '^value ' "$tmp/tables")
[ $ok = 1 ] && pass "$p: every policy key and value has its entry and an example, and no other"

# Each example file ("# /.../NAME.policy" on its first line) is a valid policy.
mkdir -p "$tmp/examples"
section $p N EXAMPLES | awk -F '\t' -v dir="$tmp/examples" '
	$2 ~ /^# \/.*\.policy$/ { n = split($2, a, "/"); f = dir "/" a[n]; b = $1; next }
	f != "" && $1 == b { print $2 > f }' >/dev/null
# An example that names a shipped file is that file, comments and blank
# lines aside.
for f in $(section $p N EXAMPLES | cut -f 2 | sed -n 's|^# /usr/lib/kexecq/policy.d/\(.*\.policy\)$|\1|p'); do
	if [ ! -f "$src/policy/$f" ]; then
		fail "$p: EXAMPLES shows /usr/lib/kexecq/policy.d/$f, which kexecq does not ship"
	elif diff <(grep -v -e '^#' -e '^$' "$src/policy/$f") <(grep -v -e '^#' -e '^$' "$tmp/examples/$f") \
		>"$tmp/diff"; then
		pass "$p: the example $f is the shipped file"
	else
		fail "$p: the example $f differs from policy/$f (<: shipped, >: the page)"
		sed 's/^/    /' "$tmp/diff"
	fi
done
n=$(ls "$tmp/examples" | wc -l)
if [ "$n" -eq 0 ]; then
	fail "$p: no example policy files in EXAMPLES"
elif run 0 "$KEXECQ" policy verify "$tmp/examples"/*.policy; then
	pass "$p: the $n example policies verify ($(cat "$tmp/out"))"
fi

finish
