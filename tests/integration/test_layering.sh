# The layers hold (DESIGN.md "Layers"): the core+tokens shared library links
# no libcurl, jansson or SQLite; the store reaches only core and SQLite and
# sits below ops; the core, tokens and CLI objects call no
# function of a layer they must not reach; the CLI includes only public
# headers; no test compiles a .c file in.
. "$HK_TESTLIB/common.sh"

b=$HK_BUILDDIR
so=$b/libhwkey-tokens.so
[ -f "$so" ] || fail "no $so"

# 1. The shared object ssh-agent will load: no cloud, JSON or database code.
libs=$(ldd "$so")
for l in libcurl libjansson libsqlite3 libmicrohttpd; do
	assert_not_contains "$libs" "$l" "ldd libhwkey-tokens.so"
done
undef=$(nm -D --undefined-only "$so" | awk '{ print $NF }')
bad=$(grep -E '^(curl_|json_|sqlite3_|MHD_)' <<<"$undef" || true)
assert_eq "" "$bad" "symbols libhwkey-tokens.so needs from the cloud/store layers"
# ... and it is the real token layer, not an empty shell.
defs=$(nm -D --defined-only "$so" | awk '{ print $NF }')
for s in hk_tokens_open hk_token_select hk_token_keygen hk_key_parse hk_key_fingerprint; do
	grep -qx "$s" <<<"$defs" || fail "libhwkey-tokens.so does not export $s"
	pass
done

# 2. What each static library asks for. A name is "reached" when an object of
# the library leaves it undefined.
undefined_in() {	# ARCHIVE...
	nm --undefined-only "$@" 2>/dev/null | awk 'NF >= 2 { print $NF }' | sort -u
}
reach() {	# WHAT REGEX ARCHIVE...
	local what=$1 re=$2 hits
	shift 2
	hits=$(undefined_in "$@" | grep -E "$re" | head -5 || true)
	assert_eq "" "$hits" "$what"
}
pkcs11='^(C_[A-Z][A-Za-z]+|p11_kit_)'
reach "core calls libcurl/jansson/SQLite/PKCS#11/libfido2" \
	"^(curl_|json_|sqlite3_|fido_)|$pkcs11" "$b/libhwkey_core.a"
reach "tokens call libcurl/jansson/SQLite" '^(curl_|json_|sqlite3_)' "$b/libhwkey_tokens.a"
reach "cloud calls PKCS#11/libfido2/SQLite" "^(fido_|sqlite3_)|$pkcs11" "$b/libhwkey_cloud.a"
# The store sits beside tokens and cloud, below ops: core and SQLite only.
reach "store calls PKCS#11/libfido2/libcurl/jansson" "^(fido_|curl_|json_)|$pkcs11" \
	"$b/libhwkey_store.a"
reach "store calls the token, cloud or ops layers" '^hk_(token|tokens|cloud|import|op)_' \
	"$b/libhwkey_store.a"
reach "ops calls SQLite itself (the store does)" '^sqlite3_' "$b/libhwkey_ops.a"
undefined_in "$b/libhwkey_store.a" | grep -q '^sqlite3_' || fail "nm sees no SQLite call in store"
# ops links the store (the engine records through it), the sk middleware does not.
grep -q 'libhwkey_store\.a' "$b/CMakeFiles/hwkey-cli.dir/link.txt" ||
	fail "the hwkey binary does not link hwkey_store"
pass
if grep -q 'libhwkey_store\.a' "$b/CMakeFiles/hwkey_token_shared.dir/link.txt"; then
	fail "libhwkey-tokens.so links the store"
fi
pass
cli_objs=("$b/libhwkey_cli.a" "$b"/CMakeFiles/hwkey-cli.dir/src/cli/main.c.o)
reach "the CLI calls PKCS#11, libfido2, libcurl or SQLite" \
	"^(curl_|sqlite3_|fido_)|$pkcs11" "${cli_objs[@]}"
# The CLI reports struct hk_error values, never the thread's raw detail.
reach "the CLI reads the thread's error detail" '^hk_err_detail$' "${cli_objs[@]}" \
	"$b/libhwkey_tokens.a" "$b/libhwkey_cloud.a" "$b/libhwkey_ops.a"
# Sanity: the check sees calls at all (the CLI does call jansson and the library).
undefined_in "${cli_objs[@]}" | grep -qx json_object || fail "nm sees no json_object in the CLI"
undefined_in "${cli_objs[@]}" | grep -qx hk_key_fingerprint || fail "nm sees no hk_key_fingerprint in the CLI"
# ... and the patterns are live: the token layer does reach p11-kit, the cloud libcurl.
undefined_in "$b/libhwkey_tokens.a" | grep -qE "$pkcs11" || fail "nm sees no p11-kit call in tokens"
undefined_in "$b/libhwkey_cloud.a" | grep -qE '^curl_' || fail "nm sees no libcurl call in cloud"
pass

# 3. The CLI includes its own headers and the public ones, nothing else.
pub=$b/include
for h in "$pub"/*.h; do
	case $(basename "$h") in
	*_int.h | token_impl.h | http.h | creds.h | sign.h | fmt.h | fmt_text.h | key_evp.h)
		fail "internal header $(basename "$h") is public" ;;
	esac
done
pass
while IFS= read -r line; do
	f=${line%%:*}
	h=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$line")
	[ -f "$HK_SRCDIR/src/cli/$h" ] || [ -f "$pub/$h" ] ||
		fail "$f includes \"$h\", which is neither a CLI nor a public header"
	pass
done < <(cd "$HK_SRCDIR" && grep -H '^#include "' src/cli/*.c src/cli/*.h)

# 4. No test compiles a source file of the tree in.
inc=$(cd "$HK_SRCDIR" && grep -rlE '^#include "[^"]+\.c"' tests || true)
assert_eq "" "$inc" "tests that #include a .c file"
hk_done
