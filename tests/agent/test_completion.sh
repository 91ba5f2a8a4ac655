#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `kg completion` and `kgctl completion` for bash, zsh and fish, as Kilo's
# cobra programs have them, and `kg help`. Each script parses and loads in
# its shell for real (bash: `complete -p`; zsh: compinit's table; fish: its
# own `complete -C`), completes what the program takes (subcommands, each
# command's flags, the values a flag names, files for a path, showconf's
# node and peer), and lists exactly the flags each `--help` shows: both come
# from the same flag tables. A shell that is not a completion shell is
# refused with one line naming it. Needs no root; well under a second.
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

for tool in zsh fish; do
	command -v $tool >/dev/null || die "$tool is missing (scripts/deps.sh)"
done
KGCTL=$KILO_BIN/kgctl
export HOME=$TMP XDG_CONFIG_HOME=$TMP/config XDG_DATA_HOME=$TMP/data XDG_CACHE_HOME=$TMP/cache

log "kg help lists every command; kg help COMMAND and kg help webhook"
help=$("$KG" help)
for command in completion help version webhook; do
	grep -qE "^  $command +[A-Za-z]" <<<"$help" || die "kg help does not list $command: $help"
done
[ "$help" = "$("$KG" --help)" ] || die "kg help and kg --help differ"
"$KG" help webhook | grep -q -- '--cert-file' || die "kg help webhook lacks --cert-file"
"$KG" help completion | grep -qF 'source <(kg completion bash)' || die "kg help completion"
out=$("$KG" help frob 2>&1) && die "kg help frob succeeds"
grep -qF 'unknown help topic "frob"' <<<"$out" || die "kg help frob: $out"

for prog in kg kgctl; do
	bin=$KILO_BIN/$prog
	for shell in bash zsh fish; do
		"$bin" completion $shell >"$TMP/$prog.$shell" || die "$prog completion $shell failed"
	done
	grep -qF "source <($prog completion bash)" <<<"$("$bin" completion)" ||
		die "$prog completion without a shell does not say how to load one"
	out=$("$bin" completion tcsh 2>&1 >/dev/null) && die "$prog completion tcsh succeeds"
	[ "$out" = "$prog: unknown shell \"tcsh\"; possible values are: bash, zsh, fish" ] ||
		die "$prog completion tcsh: $out"
done

log "the bash scripts parse and load: complete -p"
for prog in kg kgctl; do
	bash -n "$TMP/$prog.bash" || die "$prog's bash completion does not parse"
	out=$(bash -c 'source "$1" && complete -p "$2"' sh "$TMP/$prog.bash" $prog)
	[ "$out" = "complete -F _${prog}_completion $prog" ] || die "$prog: complete -p says: $out"
done

# offers PROG WORD...: what bash completes for the command line PROG WORD...
# (the last word is the one being completed), sorted, on one line.
offers() {
	local prog=$1
	shift
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		"_${1}_completion"; printf "%s\n" "${COMPREPLY[@]}"' \
		sh "$TMP/$prog.bash" "$prog" "$@" | sort | tr '\n' ' ' | sed 's/ $//'
}

# expect WANT PROG WORD...: bash completes exactly the words of WANT.
expect() {
	local want got
	# shellcheck disable=SC2086 # the words of WANT
	want=$(printf '%s\n' $1 | sort | tr '\n' ' ' | sed 's/^ //; s/ $//')
	shift
	got=$(offers "$@")
	[ "$got" = "$want" ] || die "completing '$*': got '$got', want '$want'"
}

log "bash completes subcommands, flags, values and files"
expect "completion connect graph help showconf" kgctl ""
expect "connect" kgctl con
expect "node peer" kgctl showconf ""
expect "node" kgctl --kubeconfig x showconf n
expect "" kgctl showconf node ""
expect "location full cross auto" kgctl --mesh-granularity ""
expect "cross" kgctl graph --mesh-granularity c
expect "location full cross auto" kgctl --mesh-granularity = ""
expect "json wireguard yaml" kgctl showconf node a1 -o ""
expect "all debug info warn error none" kgctl connect --log-level ""
expect "--allowed-ip --allowed-ips" kgctl connect --allowed
expect "bash fish zsh" kgctl completion ""
expect "completion connect graph help showconf" kgctl help ""
expect "completion help version webhook" kg ""
expect "auto legacy nft" kg --iptables-backend ""
expect "flannel cilium" kg --hostname n1 --compatibility ""
expect "webhook" kg web
mkdir -p "$TMP/files/kubeconfigs"
touch "$TMP/files/kubeconfig.yaml"
expect "$TMP/files/kubeconfig.yaml $TMP/files/kubeconfigs" kgctl --kubeconfig "$TMP/files/kube"
expect "" kgctl --port ""

# help_flags PROG ARGS...: the long flags --help lists (under Flags and Global
# Flags), sorted.
help_flags() {
	"$@" --help | sed -n 's/^ *\(-., \)\{0,1\}--\([a-z0-9-]*\).*/--\2/p' | sort | tr '\n' ' ' |
		sed 's/ $//'
}
log "the flags completed are the flags --help lists, command by command"
for line in "kg" "kg webhook" "kgctl" "kgctl connect" "kgctl graph" "kgctl showconf"; do
	read -ra words <<<"$line"
	want=$(help_flags "$KILO_BIN/${words[0]}" "${words[@]:1}")
	[ -n "$want" ] || die "$line --help lists no flags"
	expect "$want" "${words[@]}" --
done
# kg's own flags stay kg's: webhook has its own.
offers kg webhook -- | grep -q -- --hostname && die "kg webhook completes --hostname"

log "the zsh scripts parse and load into compinit's table"
for prog in kg kgctl; do
	zsh -n "$TMP/$prog.zsh" || die "$prog's zsh completion does not parse"
	out=$(zsh -f -c 'autoload -Uz compinit && compinit -u -d "$2" && source "$1" &&
		print -r -- "$_comps[$3]" && whence -w _$3' sh "$TMP/$prog.zsh" "$TMP/zcompdump" $prog)
	[ "$out" = "$(printf '_%s\n_%s: function' $prog $prog)" ] || die "$prog in zsh: $out"
done

log "the fish scripts parse and fish completes with them"
for prog in kg kgctl; do
	fish --no-execute "$TMP/$prog.fish" || die "$prog's fish completion does not parse"
done
# fish_offers PROG LINE: what fish completes for LINE, words only, sorted.
fish_offers() {
	fish --no-config -c 'source $argv[1]; complete -C $argv[2]' "$TMP/$1.fish" "$2" |
		cut -f1 | sort | tr '\n' ' ' | sed 's/ $//'
}
[ "$(fish_offers kgctl 'kgctl showconf ')" = "node peer" ] || die "fish: showconf"
[ "$(fish_offers kgctl 'kgctl --mesh-granularity ')" = "auto cross full location" ] ||
	die "fish: --mesh-granularity: $(fish_offers kgctl 'kgctl --mesh-granularity ')"
fish_offers kgctl 'kgctl ' | grep -qw connect || die "fish: no connect"
fish_offers kgctl 'kgctl connect --all' | grep -q -- '--allowed-ips' || die "fish: connect's flags"
fish_offers kg 'kg --iptables-backend ' | grep -qx 'auto legacy nft' || die "fish: kg's values"
log "PASS"
