# Every subcommand has a man page, and every option in its table appears in it;
# hwkey.1 lists every command and documents every exit status.
. "$HK_TESTLIB/common.sh"

docs=$HK_SRCDIR/docs
[ -f "$docs/hwkey.1" ] || fail "docs/hwkey.1 is missing"
"$HWKEY" --list-options >opts.tsv
[ -s opts.tsv ] || fail "hwkey --list-options printed nothing"
# The COMMANDS section of hwkey.1, one ".B name" entry per command.
awk '/^\.SH "?COMMANDS/{f=1; next} /^\.SH/{f=0} f' "$docs/hwkey.1" >commands.man
[ -s commands.man ] || fail "hwkey.1 has no COMMANDS section"
while IFS=$'\t' read -r page cmd opt; do
	man=$docs/hwkey-$page.1
	[ -f "$man" ] || fail "no man page $man for 'hwkey $page'"
	grep -qx "\.B $page" commands.man || fail "COMMANDS in hwkey.1 has no entry for $page"
	# A verb of a group ("key delete") is documented in the group's page.
	if [ "$cmd" != "$page" ]; then
		grep -qE "^\.(B|SS|TP|IP).*\b$cmd\b|^$cmd\b" "$man" ||
			fail "$(basename "$man") does not document 'hwkey $page $cmd'"
	fi
	if [ -n "$opt" ]; then
		# groff writes "--" as "\-\-"; accept both.
		esc=${opt//-/\\\\-}
		grep -qE -- "(${opt}|${esc})([^a-z-]|\$)" "$man" ||
			fail "option $opt of 'hwkey $page${cmd:+ $cmd}' is not in $(basename "$man")"
	fi
	pass
done <opts.tsv

# EXIT STATUS lists each status the CLI can return (src/err.h enum hk_exit).
for st in $(sed -n 's/^\tHK_EXIT_[A-Z_]* = \([0-9]*\),.*/\1/p' "$HK_SRCDIR/src/err.h"); do
	awk '/^\.SH "?EXIT STATUS/{f=1} /^\.SH/&&!/EXIT/{f=0} f' "$docs/hwkey.1" |
		grep -qE "^\.IP $st\b|^$st\b|^\.B $st\b" || fail "EXIT STATUS section lacks $st"
	pass
done
# ENVIRONMENT names every variable hwkey reads (cloudsim has its own page).
awk '/^\.SH "?ENVIRONMENT/{f=1; next} /^\.SH/{f=0} f' "$docs/hwkey.1" >env.man
vars=$(cd "$HK_SRCDIR" && grep -rhoE '(getenv|env_set)\("[A-Z_][A-Z0-9_]*"\)|"(ALIBABA_CLOUD|HUAWEICLOUD|AWS)_[A-Z0-9_]+"' \
	src tokens api --include='*.c' --exclude-dir=cloudsim | grep -oE '[A-Z_][A-Z0-9_]+' | sort -u)
[ -n "$vars" ] || fail "found no environment variable in the sources"
for v in $vars; do
	grep -qE "(^|[^A-Z_])${v}([^A-Z0-9_]|\$)" env.man || fail "hwkey.1 ENVIRONMENT does not name $v"
	pass
done
# libhwkey-sk.7 documents the OpenSSH middleware: its four entry points and
# every environment variable it and the FIDO2 backend under it read.
sk7=$docs/libhwkey-sk.7
[ -f "$sk7" ] || fail "docs/libhwkey-sk.7 is missing"
for s in sk_api_version sk_enroll sk_sign sk_load_resident_keys 0x000a0000; do
	grep -q "$s" "$sk7" || fail "libhwkey-sk.7 does not mention $s"
	pass
done
awk '/^\.SH "?ENVIRONMENT/{f=1; next} /^\.SH/{f=0} f' "$sk7" >skenv.man
skvars=$(cd "$HK_SRCDIR" && grep -ohE '"HWKEY_[A-Z0-9_]+"' tokens/sk_provider.c tokens/fido2*.c \
	tokens/fido2*.h | tr -d '"' | sort -u)
assert_contains "$skvars" HWKEY_SK_DEVICE "variables the middleware reads"
for v in $skvars; do
	grep -qE "(^|[^A-Z_])${v}([^A-Z0-9_]|\$)" skenv.man || fail "libhwkey-sk.7 ENVIRONMENT does not name $v"
	pass
done
# README claims only what is built: every command line it shows runs a command
# hwkey has, with options that command takes (a FIDO2 or login example before
# those exist fails here).
grep -E '^hwkey [a-z]' "$HK_SRCDIR/README.md" >readme.cmds
[ -s readme.cmds ] || fail "README shows no hwkey command"
while read -r _ cmd rest; do
	verb=$(awk '{print $1}' <<<"$rest")
	if grep -qP "^$cmd\t$verb\t" opts.tsv; then key=$verb; sub=" $verb"; else key=$cmd; sub=; fi
	grep -qP "^$cmd\t$key\t" opts.tsv || fail "README shows 'hwkey $cmd', which is not a command"
	for o in $(sed 's/#.*//' <<<"$rest" | grep -oE -- '(^| )--[a-z][a-z0-9-]*' ); do
		grep -qP "^$cmd\t$key\t$o\$" opts.tsv ||
			fail "README shows 'hwkey $cmd$sub $o', which it does not take"
	done
	pass
done <readme.cmds
# FIDO2 is claimed only once a FIDO2 backend is built: until then README and
# the man pages mention it only as something being built, or to say what
# PKCS#11 cannot do.
if ! "$HWKEY" --version | grep -q 'token backends:.*fido2'; then
	claims=$(cd "$HK_SRCDIR" && grep -n -i 'fido' README.md docs/*.1 |
		grep -v -i 'being built\|no PKCS#11\|which no' || true)
	assert_eq "" "$claims" "FIDO2 claimed while no FIDO2 backend is built"
fi
hk_done
