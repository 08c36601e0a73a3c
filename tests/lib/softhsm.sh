# Sourced by PKCS#11 tests (after common.sh): a private SoftHSM2 token store
# in $HK_TMP, token creation, and the three ways hwkey reaches the module:
# the .so itself (--module), p11-kit-proxy.so (--module), and the p11-kit
# registry (no --module; Debian's softhsm2 package registers
# /usr/share/p11-kit/modules/softhsm2.module, which honours SOFTHSM2_CONF).

HK_SOFTHSM_MODULE=${HK_SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
HK_P11_PROXY=${HK_P11_PROXY:-/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so}
HK_P11_SPY=${HK_P11_SPY:-/usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so}
HK_P11PROBE=$HK_BUILDDIR/tests/p11probe/p11probe
[ -e "$HK_SOFTHSM_MODULE" ] || fail "SoftHSM2 module $HK_SOFTHSM_MODULE missing (scripts/deps.sh installs softhsm2)"
[ -e "$HK_P11_PROXY" ] || fail "p11-kit proxy $HK_P11_PROXY missing (p11-kit-modules)"

mkdir -p "$HK_TMP/softhsm-tokens"
cat >"$HK_TMP/softhsm2.conf" <<CONF
directories.tokendir = $HK_TMP/softhsm-tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
export SOFTHSM2_CONF=$HK_TMP/softhsm2.conf
# A private HOME: no user p11-kit or SoftHSM config of the machine leaks in.
export HOME=$HK_TMP
if [ ! -e /usr/share/p11-kit/modules/softhsm2.module ] &&
	[ ! -e /etc/pkcs11/modules/softhsm2.module ]; then
	# Not registered by the package: register it for this HOME only.
	mkdir -p "$HOME/.config/pkcs11/modules"
	echo "module: $HK_SOFTHSM_MODULE" >"$HOME/.config/pkcs11/modules/softhsm2.module"
fi

# hk_softhsm_init LABEL PIN SOPIN: a fresh token; prints its serial.
hk_softhsm_init() {
	softhsm2-util --init-token --free --label "$1" --pin "$2" --so-pin "$3" >/dev/null ||
		fail "softhsm2-util could not create token $1"
	softhsm2-util --show-slots | awk -v l="$1" '
		/Serial number:/ { s = $3 }
		/Label:/ { sub(/^[ \t]*Label:[ \t]*/, ""); sub(/[ \t]+$/, ""); if ($0 == l) print s }' |
		head -1
}

# hk_softhsm_keygen URI PINVAR TYPE:LABEL...: hwkey keygen each key on the
# token with the user PIN from the exported variable PINVAR (--pin
# env:PINVAR), its public key in LABEL.pub.
hk_softhsm_keygen() {
	local uri=$1 var=$2 t
	shift 2
	for t in "$@"; do
		expect_exit 0 "$HWKEY" keygen "$uri" --type "${t%%:*}" --label "${t##*:}" \
			--pin "env:$var" -o "${t##*:}.pub"
	done
}

# The modes every PKCS#11 test runs in, and hwkey's arguments for each.
HK_P11_MODES="module proxy registry"
hk_mode_args() {
	case $1 in
	module) echo "--module $HK_SOFTHSM_MODULE" ;;
	proxy) echo "--module $HK_P11_PROXY" ;;
	registry) echo "" ;;
	*) fail "unknown mode $1" ;;
	esac
}
# hk_mode_begin MODE: the environment of one mode. In registry mode p11-kit
# unloads SoftHSM before LeakSanitizer reports at exit, so SoftHSM's own known
# leak (tests/lsan.supp) can no longer be attributed to it: leak reports are
# off in that mode only, in sanitized runs only. The same hwkey code runs
# leak-checked in the module and proxy modes.
hk_mode_begin() {
	: "${HK_ASAN_OPTIONS_SAVED=${ASAN_OPTIONS-}}"
	export ASAN_OPTIONS=$HK_ASAN_OPTIONS_SAVED
	[ "$1" != registry ] || export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
}
# The module path ssh-keygen -D / pkcs11-tool use in that mode.
hk_mode_module() {
	case $1 in
	module) echo "$HK_SOFTHSM_MODULE" ;;
	*) echo "$HK_P11_PROXY" ;;
	esac
}
