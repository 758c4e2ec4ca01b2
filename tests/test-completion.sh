#!/bin/bash
# The bash completion (contrib/bash-completion/kexecq), driven as bash drives
# it: a 'bash --norc' sources bash-completion and the file, gets COMP_WORDS,
# COMP_CWORD, COMP_LINE and COMP_POINT as bash would set them for a command
# line, calls the completion function and prints COMPREPLY.  What it offers is
# compared with the code: the verbs and each verb's options with
# tests/code-tables (the tables in kexecq.c), kexecqd's with its getopt
# table, enumerated values with what the binary accepts and lists.
. "${top_srcdir:-.}/tests/lib.sh"

: "${KEXECQD:=${top_builddir:-.}/kexecqd}"
tables=${top_builddir:-.}/tests/code-tables
comp=${top_srcdir:-.}/contrib/bash-completion/kexecq
bc=/usr/share/bash-completion/bash_completion

[ -r "$bc" ] || skip "bash-completion is not installed ($bc; contrib/install-deps.sh)"
[ -x "$tables" ] || skip "$tables not built (make check builds it)"
"$tables" >"$tmp/tables" || {
	echo "not ok - $tables failed"
	exit 1
}

# The binaries under test, by the names the completion is registered for.
mkdir -p "$tmp/bin"
ln -s "$KEXECQ" "$tmp/bin/kexecq"
ln -s "$KEXECQD" "$tmp/bin/kexecqd"

# drive.sh FUNCTION LINE: COMPREPLY, one a line; compopt calls in $tmp/compopt.
cat >"$tmp/drive.sh" <<'EOF'
. "$BASH_COMPLETION" || exit 1
. "$COMPLETION" || exit 1
compopt() { printf '%s\n' "$*" >>"$COMPOPT_LOG"; }
# Split as bash does for completion: blanks (outside quotes) separate
# words, and each run of COMP_WORDBREAKS characters (= and : here) is a
# word of its own; a line ending in a blank has an empty word last.
line=$2 w="" q="" words=()
for ((i = 0; i < ${#line}; i++)); do
	c=${line:i:1}
	if [[ $q ]]; then
		w+=$c
		[[ $c == "$q" ]] && q=""
	elif [[ $c == [\"\'] ]]; then
		w+=$c q=$c
	elif [[ $c == [[:blank:]] ]]; then
		[[ $w ]] && words+=("$w")
		w=""
	elif [[ $c == [=:] ]]; then
		[[ $w && $w != *[=:] ]] && words+=("$w") && w=""
		w+=$c
	else
		[[ $w == *[=:] ]] && words+=("$w") && w=""
		w+=$c
	fi
done
words+=("$w")
COMP_WORDS=("${words[@]}")
COMP_CWORD=$((${#words[@]} - 1))
COMP_LINE=$line
COMP_POINT=${#line}
COMPREPLY=()
"$1" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
((${#COMPREPLY[@]})) && printf '%s\n' "${COMPREPLY[@]}"
exit 0
EOF

# complete LINE [FUNCTION]: the sorted COMPREPLY in $tmp/reply, completed in
# an empty directory
mkdir -p "$tmp/cwd"
complete() {
	: >"$tmp/compopt"
	(cd "$tmp/cwd" && PATH="$tmp/bin:$PATH" BASH_COMPLETION="$bc" COMPLETION="$comp" \
		COMPOPT_LOG="$tmp/compopt" bash --norc --noprofile "$tmp/drive.sh" \
		"${2:-_comp_cmd_kexecq}" "$1") 2>"$tmp/comp-err" | LC_ALL=C sort >"$tmp/reply"
	if [ -s "$tmp/comp-err" ]; then
		fail "'$1<TAB>' wrote to stderr"
		sed 's/^/    stderr: /' "$tmp/comp-err" | head -10
	fi
}

# same DESCRIPTION EXPECTED-FILE: $tmp/reply holds the same lines
same() {
	if LC_ALL=C sort "$2" | cmp -s - "$tmp/reply"; then
		pass "$1"
	else
		fail "$1: offered (+) and missing (-)"
		LC_ALL=C sort "$2" | diff - "$tmp/reply" | sed -n 's/^\([<>]\) /    \1 /p' |
			sed 's/^    </    -/; s/^    >/    +/'
	fi
}

lines() { printf '%s\n' "$@" | sed '/^$/d'; }

# --- verbs: those of verbs[] in kexecq.c, from 'kexecq --help'
awk '$1 == "verb" { print $2 }' "$tmp/tables" >"$tmp/want"
complete "kexecq "
same "kexecq <TAB>: the verbs of the code (verbs[] in kexecq.c; the completion reads 'kexecq --help')" "$tmp/want"
complete "kexecq re"
lines reboot >"$tmp/want"
same "kexecq re<TAB>" "$tmp/want"
complete "kexecq --log-level=debug -P /nonexistent st"
lines status >"$tmp/want"
same "kexecq --log-level=debug -P DIR st<TAB>: options before the verb are skipped" "$tmp/want"

# policy's sub-commands, as main() dispatches them
sed -n 's/.*streq(args\[1\], "\([a-z]*\)").*/\1/p' "${top_srcdir:-.}/daemon/tools/kexecq.c" >"$tmp/want"
[ -s "$tmp/want" ] || fail "no policy sub-commands found in daemon/tools/kexecq.c"
complete "kexecq policy "
same "kexecq policy <TAB>: the sub-commands main() knows" "$tmp/want"

# --- options: each verb's, as option_verbs() in kexecq.c says, '=' when
# the option takes a value (the completion reads 'kexecq VERB --help')
for verb in $(awk '$1 == "verb" { print $2 }' "$tmp/tables"); do
	awk -v v="$verb" '$1 == "option" && $2 == v { print $4 }' "$tmp/tables" >"$tmp/want"
	line="kexecq $verb --"
	[ "$verb" = policy ] && line="kexecq policy list --"
	complete "$line"
	same "$line<TAB>: the options $verb takes (kexecq $verb --help against option_verbs())" "$tmp/want"
done
# Without a verb: those that need none (--version) and those every verb takes.
n_verbs=$(awk '$1 == "verb"' "$tmp/tables" | wc -l)
awk -v n="$n_verbs" '$1 == "option" && $2 == "-" { print $4 }
	$1 == "option" && $2 != "-" { c[$4]++ } END { for (o in c) if (c[o] == n) print o }' \
	"$tmp/tables" >"$tmp/want"
complete "kexecq --"
same "kexecq --<TAB>: --version and the options of every verb (kexecq --help)" "$tmp/want"
complete "kexecq plan --ex"
lines --explain >"$tmp/want"
same "kexecq plan --ex<TAB>" "$tmp/want"
complete "kexecq plan --inv"
if grep -qx -- "-o nospace" "$tmp/compopt"; then
	pass "--inventory= is offered without a space after it"
else
	fail "--inventory= is offered with a space after it (compopt: $(cat "$tmp/compopt"))"
fi

# --- values the completion enumerates: each accepted by the binary, and all
# of those the binary's own message lists for a wrong one
for pair in $(awk '$1 == "option" && $4 ~ /=$/ && !seen[$4]++ { sub(/=$/, "", $4); print $2 ":" $4 }' \
	"$tmp/tables"); do
	verb=${pair%%:*} opt=${pair#*:}
	case $verb in
	-) args=() ;;
	policy) args=(policy list) ;;
	*) args=("$verb") ;;
	esac
	cmdline="kexecq${args[*]:+ ${args[*]}}"
	complete "$cmdline $opt="
	# What the binary says about a value it does not take: "(a, b or c)."
	listed=$("$KEXECQ" "${args[@]}" "$opt=no-such-value" --help 2>&1 >/dev/null |
		sed -n 's/.*(\([a-z]\{1,\}\(, [a-z]\{1,\}\)* or [a-z]\{1,\}\))\.$/\1/p' |
		sed 's/, / /g; s/ or / /')
	if [ -n "$listed" ]; then
		printf '%s\n' $listed >"$tmp/want"
		same "$cmdline $opt=<TAB>: the values the binary lists ($listed)" "$tmp/want"
	fi
	while read -r value; do
		[ -n "$value" ] || continue
		if "$KEXECQ" "${args[@]}" "$opt=$value" --help >/dev/null 2>"$tmp/err"; then
			pass "$cmdline $opt=$value is offered and accepted"
		else
			fail "$cmdline $opt=$value is offered, but kexecq refuses it: $(head -1 "$tmp/err")"
		fi
	done <"$tmp/reply"
done
complete "kexecq --log-level "
lines err warning info debug >"$tmp/want"
same "kexecq --log-level <TAB> (value as the next word)" "$tmp/want"
complete "kexecq reboot --if-stuck=ab"
lines abort >"$tmp/want"
same "kexecq reboot --if-stuck=ab<TAB>" "$tmp/want"
complete "kexecq apply --stage="
lines final >"$tmp/want"
same "kexecq apply --stage=<TAB>: the value the help names" "$tmp/want"

# --- files and directories
mkdir -p "$tmp/c/sub" && touch "$tmp/c/snap.json" "$tmp/c/60-x.policy"
complete "kexecq plan --inventory=$tmp/c/"
lines "$tmp/c/60-x.policy" "$tmp/c/snap.json" "$tmp/c/sub" >"$tmp/want"
same "--inventory=<TAB>: files" "$tmp/want"
complete "kexecq inventory --save $tmp/c/s"
lines "$tmp/c/snap.json" "$tmp/c/sub" >"$tmp/want"
same "--save <TAB>: files (value as the next word)" "$tmp/want"
complete "kexecq plan -P $tmp/c/"
lines "$tmp/c/sub" >"$tmp/want"
same "-P <TAB>: directories only" "$tmp/want"
complete "kexecq check --policy-dir=$tmp/c/"
same "--policy-dir=<TAB>: directories only" "$tmp/want"
complete "kexecq policy verify $tmp/c/"
lines "$tmp/c/60-x.policy" "$tmp/c/sub" >"$tmp/want"
same "policy verify <TAB>: *.policy files" "$tmp/want"

# --- policy names for 'policy cat', from 'kexecq policy list' with the -P
# given on the line
server=$TESTDATA/policy/server order=$TESTDATA/policy/order
ls "$server" >"$tmp/want"
complete "kexecq -P $server policy cat "
same "kexecq -P DIR policy cat <TAB>: the names in DIR" "$tmp/want"
complete "kexecq policy cat --policy-dir=$server "
same "kexecq policy cat --policy-dir=DIR <TAB>" "$tmp/want"
(ls "$server" && ls "$order") | LC_ALL=C sort -u >"$tmp/want"
complete "kexecq policy -P $server cat -P$order "
same "two -P (one as -PDIR): the names in both" "$tmp/want"
complete "kexecq -P $server policy cat 3"
lines 30-lpfc.policy >"$tmp/want"
same "kexecq -P DIR policy cat 3<TAB>" "$tmp/want"
# A name that is shell syntax is offered as it is and never run (compgen -W
# would expand it: the command in it ran on Tab).
evil=$tmp/evil
mkdir -p "$evil"
# shellcheck disable=SC2016 # the name is meant literally
printf '[Match]\nDriver=x\n[Quiesce]\nAction=unbind\n' >"$evil/"'$(touch${IFS}PWNED).policy'
# shellcheck disable=SC2016
printf '%s\n' '$(touch${IFS}PWNED).policy' >"$tmp/want"
complete "kexecq -P $evil policy cat "
same "a policy named \$(...).policy is offered literally" "$tmp/want"
if [ -e "$tmp/cwd/PWNED" ]; then
	fail "completing 'policy cat' ran a command from a policy file's name"
else
	pass "completing 'policy cat' runs nothing from a policy file's name"
fi
complete "kexecq -P $server policy cat 30-lpfc "
: >"$tmp/want"
same "policy cat takes one name" "$tmp/want"
"$KEXECQ" policy list >"$tmp/out" 2>/dev/null
awk 'NR > 1 && /^[^ ]/ && $1 ~ /\.policy$/ { print $1 }' "$tmp/out" >"$tmp/want"
complete "kexecq policy cat "
same "kexecq policy cat <TAB>: the installed policies ('kexecq policy list')" "$tmp/want"

# --- PCI functions, for an option whose help says BDF.  No option of
# kexecq takes one today: a stand-in kexecq whose help has one shows the
# completion would offer them, below the --sysfs given, else /sys.
mkdir -p "$tmp/stub" "$tmp/sys/bus/pci/devices/0000:00:1f.2" "$tmp/sys/bus/pci/devices/0000:3b:00.0" \
	"$tmp/sys/bus/pci/devices/0000:3b:00.1"
cat >"$tmp/stub/kexecq" <<'EOF'
#!/bin/sh
case "$1" in
--help) printf 'Commands:\n  show                   Show a device\n\n' ;;
show) printf '     --device=BDF        The PCI function\n     --sysfs=DIR         Root of sysfs\n' ;;
esac
EOF
chmod +x "$tmp/stub/kexecq"
ls "$tmp/sys/bus/pci/devices" | sed 's/^0000:3b://' | grep -v 1f >"$tmp/want"
complete "$tmp/stub/kexecq --sysfs $tmp/sys show --device=0000:3b:"
same "--device=0000:3b:<TAB> (BDF): below --sysfs, colon-trimmed as readline needs" "$tmp/want"
if [ -d /sys/bus/pci/devices ]; then
	ls /sys/bus/pci/devices >"$tmp/want"
	complete "$tmp/stub/kexecq show --device "
	same "--device <TAB> (BDF): /sys/bus/pci/devices" "$tmp/want"
fi

# --- kexecqd: its getopt table
sed -n 's/^[[:blank:]]*{ "\([a-z-]*\)", \(no\|required\)_argument,.*/--\1 \2/p' \
	"${top_srcdir:-.}/daemon/tools/kexecqd.c" | sed 's/ no$//; s/ required$/=/' >"$tmp/want"
[ -s "$tmp/want" ] || fail "no options found in daemon/tools/kexecqd.c"
complete "kexecqd --" _comp_cmd_kexecqd
same "kexecqd --<TAB>: the options of kexecqd.c's table (kexecqd --help)" "$tmp/want"
complete "kexecqd --log-level=" _comp_cmd_kexecqd
lines err warning info debug >"$tmp/want"
same "kexecqd --log-level=<TAB>" "$tmp/want"
complete "kexecqd -P $tmp/c/" _comp_cmd_kexecqd
lines "$tmp/c/sub" >"$tmp/want"
same "kexecqd -P <TAB>: directories" "$tmp/want"

finish
