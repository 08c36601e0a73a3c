# Shell completion comes from the option tables: every command, verb and
# option hwkey accepts completes, values of file options complete file names,
# and cmake --install puts the scripts where bash and zsh look. Mistyped
# commands, verbs and options get "did you mean".
. "$HK_TESTLIB/common.sh"

"$HWKEY" --completion bash >hwkey.bash
bash -n hwkey.bash || fail "the bash completion does not parse"
pass

# complete WORDS...: what _hwkey offers for the last word.
complete_words() {
	bash -c '. ./hwkey.bash; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _hwkey
		printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$@"
}
assert_eq "keygen" "$(complete_words hwkey keyg)" "hwkey keyg"
assert_eq "key
keygen
keys" "$(complete_words hwkey key)" "hwkey key"
assert_eq "delete
detach" "$(complete_words hwkey cloud de)" "hwkey cloud de"
assert_eq "--type" "$(complete_words hwkey keygen TOKEN --ty)" "hwkey keygen --ty"
assert_eq "--region" "$(complete_words hwkey import --reg)" "hwkey import --reg"
assert_eq "--yes" "$(complete_words hwkey cloud delete --y)" "hwkey cloud delete --y"
: >cacert-here.pem
assert_eq "cacert-here.pem" "$(complete_words hwkey import --cacert cacert-h)" "file after --cacert"
assert_eq "" "$(complete_words hwkey keygen --type cacert-h)" "no file after --type"
# An option's value is not taken for a verb or operand.
assert_eq "--label" "$(complete_words hwkey keygen --type rsa2048 --lab)" "after --type VALUE"

# Every option of every command completes (the same table the man pages are checked against).
"$HWKEY" --list-options >opts.tsv
while IFS=$'\t' read -r page cmd opt; do
	[ -n "$opt" ] || continue
	if [ "$cmd" = "$page" ]; then got=$(complete_words hwkey "$page" "$opt")
	else got=$(complete_words hwkey "$page" "$cmd" "$opt"); fi
	grep -qx -- "$opt" <<<"$got" || fail "'hwkey $page ${cmd#"$page"} $opt' does not complete"
	pass
done <opts.tsv

# zsh loads the same function through bashcompinit.
"$HWKEY" --completion zsh >_hwkey
head -1 _hwkey | grep -qx '#compdef hwkey' || fail "zsh completion lacks #compdef"
pass
if command -v zsh >/dev/null; then
	zsh -n _hwkey || fail "the zsh completion does not parse"
	pass
fi
expect_exit 2 "$HWKEY" --completion fish

# Installed where the shells look.
cmake --install "$HK_BUILDDIR" --prefix "$HK_TMP/prefix" >/dev/null
cmp -s hwkey.bash "$HK_TMP/prefix/share/bash-completion/completions/hwkey" ||
	fail "cmake --install did not install the bash completion"
cmp -s _hwkey "$HK_TMP/prefix/share/zsh/vendor-completions/_hwkey" ||
	fail "cmake --install did not install the zsh completion"
pass

# Did you mean.
expect_exit 2 "$HWKEY" keygne
assert_contains "$(cat "$HK_TMP/err")" "did you mean 'keygen'?" "mistyped command"
expect_exit 2 "$HWKEY" cloud dlete
assert_contains "$(cat "$HK_TMP/err")" "did you mean 'delete'?" "mistyped verb"
expect_exit 2 "$HWKEY" import --regoin cn-hangzhou
assert_contains "$(cat "$HK_TMP/err")" "did you mean --region?" "mistyped option"
expect_exit 2 "$HWKEY" frobnicate
assert_not_contains "$(cat "$HK_TMP/err")" "did you mean" "no guess for a word far from every command"
hk_done
