# hwkey ssh-config's edits: a symlinked config (a dotfiles manager's) is
# edited where it points and stays a link, one backup is kept, mode 0600;
# Include lines and Host blocks that compete with hwkey's are reported;
# a .pub that holds another key is never overwritten; a broken hwkey block
# is refused with its line; kill -9 at any moment leaves the old or the new
# file, never a partial one; --json follows its schema.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/softhsm.sh"
. "$HK_TESTLIB/json.sh"

export SC_PIN=20242024
tok=sshcfg-tok
uri="pkcs11:token=$tok"
hk_softhsm_init "$tok" "$SC_PIN" 42424242 >/dev/null
hk_softhsm_keygen "$uri" SC_PIN ecdsa-p256:ec
cfg() { "$HWKEY" ssh-config "$@" "$uri" --key ec --hostname 127.0.0.1; }

# A dotfiles-managed config: ~/.ssh/config -> ~/dotfiles/ssh_config.
mkdir -m 700 "$HOME/.ssh"
mkdir "$HOME/dotfiles"
printf 'Include conf.d/*\n\nHost web*\n\tUser deploy\n' >"$HOME/dotfiles/ssh_config"
chmod 644 "$HOME/dotfiles/ssh_config"
cp "$HOME/dotfiles/ssh_config" orig
ln -s ../dotfiles/ssh_config "$HOME/.ssh/config"
expect_exit 0 cfg web1 --json
hk_json_valid ssh-config out
[ -L "$HOME/.ssh/config" ] || fail "the config symlink was replaced"
pass
assert_eq "$HOME/dotfiles/ssh_config" "$(jq -r .path out)" "the link's target was edited"
assert_eq 600 "$(stat -c %a "$HOME/dotfiles/ssh_config")" "target mode 0600"
assert_eq "$HOME/dotfiles/ssh_config.hwkey-backup" "$(jq -r .backup out)" "backup path"
assert_files_equal orig "$HOME/dotfiles/ssh_config.hwkey-backup" "the backup is the old content"
assert_eq 600 "$(stat -c %a "$HOME/dotfiles/ssh_config.hwkey-backup")" "backup mode 0600"
assert_contains "$(grep -c '# hwkey:begin web1' "$HOME/dotfiles/ssh_config")" 1 "block written"
# Include and the matching "Host web*" are reported, with their lines.
assert_eq '[{"kind":"include","line":1,"text":"Include conf.d/*"},{"kind":"host-after","line":3,"text":"Host web*"}]' \
	"$(jq -c .notes out)" "notes"
assert_eq "$(realpath "$HK_SOFTHSM_MODULE")" "$(jq -r .pkcs11_provider out)" "provider: the real path"
assert_eq "$(ssh-keygen -l -f ec.pub | awk '{print $2}')" "$(jq -r .key.sha256 out)" "key fingerprint"
assert_eq true "$(jq .identity_written out)" "the .pub was written"
# Human output: the notes on stderr, named by file and line.
expect_exit 0 cfg web1
assert_contains "$(cat out)" "unchanged: Host web1" "unchanged"
assert_contains "$(cat err)" "$HOME/dotfiles/ssh_config:1: 'Include conf.d/*'" "Include reported"
# Lines are the file's as it is now: hwkey's block (10 lines) comes first.
assert_contains "$(cat err)" "$HOME/dotfiles/ssh_config:13: 'Host web*' also matches" "Host web* reported"
assert_files_equal orig "$HOME/dotfiles/ssh_config.hwkey-backup" "unchanged run keeps the one backup"

# A user block before hwkey's wins: said as a warning.
printf 'Host *\n\tIdentityFile ~/.ssh/id_other\n' >"$HOME/pre"
cat "$HOME/pre" "$HOME/dotfiles/ssh_config" >"$HOME/dotfiles/new"
mv "$HOME/dotfiles/new" "$HOME/dotfiles/ssh_config"
expect_exit 0 cfg web1 --port 2200
assert_contains "$(cat err)" "warning: $HOME/dotfiles/ssh_config:1: 'Host *' comes before hwkey's block" \
	"a shadowing Host block is a warning"
assert_contains "$(cat out)" "replaced Host web1" "replaced in place"
assert_eq "Host *" "$(head -1 "$HOME/dotfiles/ssh_config")" "the user's first line stays first"
assert_contains "$(cat "$HOME/dotfiles/ssh_config")" "	Port 2200" "new port written"

# A .pub of another key is never overwritten.
ssh-keygen -q -t ed25519 -N '' -f other
cp other.pub "$HOME/.ssh/hwkey-db.pub"
cp "$HOME/dotfiles/ssh_config" before-db
expect_exit 13 cfg db
assert_contains "$(cat err)" "$HOME/.ssh/hwkey-db.pub holds another key" "conflicting .pub named"
assert_files_equal other.pub "$HOME/.ssh/hwkey-db.pub" "the user's .pub is untouched"
assert_files_equal before-db "$HOME/dotfiles/ssh_config" "no block for a refused host"

# A broken hwkey block (its end line deleted by hand) is refused, nothing written.
printf '# hwkey:begin lost\nHost lost\n' >>"$HOME/dotfiles/ssh_config"
cp "$HOME/dotfiles/ssh_config" broken
expect_exit 3 cfg fresh
assert_contains "$(cat err)" "$HOME/dotfiles/ssh_config: line" "broken block: file named"
assert_contains "$(cat err)" "has no '# hwkey:end lost' line" "broken block: what is missing"
assert_files_equal broken "$HOME/dotfiles/ssh_config" "a broken file is left alone"
head -n -2 broken >"$HOME/dotfiles/ssh_config"

# Bad operands and values: usage errors, nothing written.
cp "$HOME/dotfiles/ssh_config" before-bad
expect_exit 2 "$HWKEY" ssh-config 'web*' "$uri" --key ec --hostname h
assert_contains "$(cat err)" "'*' is not allowed" "a pattern is not a host"
expect_exit 2 "$HWKEY" ssh-config h "$uri" --key ec --hostname h --port 70000
assert_contains "$(cat err)" "--port '70000' is not 1..65535" "port range"
expect_exit 2 "$HWKEY" ssh-config h "$uri" --hostname h
assert_contains "$(cat err)" "--key is required" "key required"
expect_exit 2 "$HWKEY" ssh-config h "$uri" --key ec
assert_contains "$(cat err)" "--hostname is required" "hostname required"
expect_exit 2 "$HWKEY" ssh-config h "$uri" --key ec --hostname 'a b' --user $'x\nProxyCommand y' --json
assert_eq HK_ERR_INVALID_ARGUMENT "$(jq -r .error.code out)" "--json error document"
assert_contains "$(jq -r .error.message out)" "User value holds a newline" "--json error names the value"
assert_files_equal before-bad "$HOME/dotfiles/ssh_config" "nothing written on usage errors"
expect_exit 2 "$HWKEY" ssh-config h "$uri" --key ec --hostname h --user $'x\nProxyCommand y'
assert_contains "$(cat err)" "newline" "a newline in a value is refused"
assert_files_equal before-bad "$HOME/dotfiles/ssh_config" "nothing written for a bad value"

# --sk: the key-handle file (built as OpenSSH writes it) and, for a
# fido:unix: device, SecurityKeyProvider from HWKEY_SK_PROVIDER.
python3 - <<'PY'
import base64, struct
pub = base64.b64decode("AAAAInNrLWVjZHNhLXNoYTItbmlzdHAyNTZAb3BlbnNzaC5jb20AAAAIbmlzdHAyNTYAAABBBKr+SCxRB4Hed9Ti1MqjQC0VXOs794mPLizF5j1as0Ek0COO8RreTpxAZer9Zl0CTzHY20psgEb11+TZfRTitgIAAAAEc3NoOg==")
s = lambda b: struct.pack(">I", len(b)) + b
def fields(blob):
    out, i = [], 0
    while i < len(blob):
        n = struct.unpack(">I", blob[i:i+4])[0]; out.append(blob[i+4:i+4+n]); i += 4 + n
    return out
t, curve, q, app = fields(pub)
priv = struct.pack(">II", 7, 7) + s(t) + s(curve) + s(q) + s(app) + b"\x01" + s(b"\xaa" * 32) + s(b"") + s(b"lab-key")
priv += bytes(range(1, 1 + (-len(priv)) % 8))
body = b"openssh-key-v1\0" + s(b"none") + s(b"none") + s(b"") + struct.pack(">I", 1) + s(pub) + s(priv)
b64 = base64.b64encode(body).decode()
open("id_ecdsa_sk", "w").write("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(b64[i:i+70] for i in range(0, len(b64), 70)) + "\n-----END OPENSSH PRIVATE KEY-----\n")
PY
chmod 600 id_ecdsa_sk
assert_contains "$(ssh-keygen -y -f id_ecdsa_sk)" "sk-ecdsa-sha2-nistp256@openssh.com AAAAInNr" "ssh-keygen reads the file"
: >fake-sk.so
HWKEY_SK_PROVIDER=$HK_TMP/fake-sk.so expect_exit 0 "$HWKEY" ssh-config sklab --sk id_ecdsa_sk \
	--device fido:unix:/run/none.sock --hostname 127.0.0.1 --json
hk_json_valid ssh-config out
assert_eq "$HK_TMP/fake-sk.so" "$(jq -r .security_key_provider out)" "provider from HWKEY_SK_PROVIDER"
assert_eq "$HK_TMP/id_ecdsa_sk" "$(jq -r .identity_file out)" "IdentityFile is the key-handle file"
assert_eq null "$(jq -r .pkcs11_provider out)" "no PKCS11Provider for an sk key"
assert_eq sk-ecdsa-sha2-nistp256@openssh.com "$(jq -r .key.type out)" "sk key type"
block=$(sed -n '/^# hwkey:begin sklab/,/^# hwkey:end sklab/p' "$HOME/dotfiles/ssh_config")
assert_contains "$block" "	SecurityKeyProvider $HK_TMP/fake-sk.so" "SecurityKeyProvider line"
assert_contains "$block" "	IdentityFile $HK_TMP/id_ecdsa_sk" "IdentityFile line"
# Without HWKEY_SK_PROVIDER: the libhwkey-sk.so next to the hwkey binary (a
# build directory) when there is one, else the installed path, with a warning.
mkdir bin
cp "$HWKEY" bin/hwkey
expect_exit 0 bin/hwkey ssh-config sklab --sk id_ecdsa_sk --device fido:unix:/run/none.sock \
	--hostname 127.0.0.1 --json
assert_contains "$(cat err)" "does not exist yet" "a missing provider is warned about"
installed=$(jq -r .security_key_provider out)
assert_eq libhwkey-sk.so "$(basename "$installed")" "the installed provider's name"
[ "$installed" != "$HK_TMP/bin/libhwkey-sk.so" ] || fail "a provider that is not there was chosen"
pass
: >bin/libhwkey-sk.so
expect_exit 0 bin/hwkey ssh-config sklab --sk id_ecdsa_sk --device fido:unix:/run/none.sock \
	--hostname 127.0.0.1 --json
assert_eq "$HK_TMP/bin/libhwkey-sk.so" "$(jq -r .security_key_provider out)" \
	"the provider next to the binary"
assert_not_contains "$(cat err)" "does not exist yet" "no warning when it is there"
# A USB device (or none named): OpenSSH's built-in support, no provider line.
expect_exit 0 "$HWKEY" ssh-config sklab --sk id_ecdsa_sk --hostname 127.0.0.1
assert_not_contains "$(sed -n '/^# hwkey:begin sklab/,/^# hwkey:end sklab/p' "$HOME/dotfiles/ssh_config")" \
	SecurityKeyProvider "no provider for a HID device"
# ssh itself reads what was written.
ssh -F "$HOME/.ssh/config" -G sklab >g.out 2>g.err </dev/null
assert_contains "$(cat g.out)" "identityfile $HK_TMP/id_ecdsa_sk" "ssh -G sees the sk IdentityFile"
ssh -F "$HOME/.ssh/config" -G web1 >g.out 2>g.err </dev/null
assert_contains "$(cat g.out)" "pkcs11provider $(realpath "$HK_SOFTHSM_MODULE")" "ssh -G sees PKCS11Provider"
assert_contains "$(cat g.out)" "port 2200" "ssh -G sees the port"
ssh-keygen -q -t ed25519 -N '' -f soft
expect_exit 12 "$HWKEY" ssh-config softlab --sk soft --hostname 127.0.0.1
assert_contains "$(cat err)" "not a security key (sk) key" "a software key is not a key handle"

# kill -9 at random moments: the config is always the old or the new file.
rm "$HOME/.ssh/config"
cp before-bad "$HOME/.ssh/config"
for i in $(seq 40); do
	cp "$HOME/.ssh/config" prev
	# hwkey itself in the background (not a subshell around it): $! is hwkey.
	"$HWKEY" ssh-config "k$i" "$uri" --key ec --hostname 127.0.0.1 >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	if ! cmp -s prev "$HOME/.ssh/config"; then
		# New: exactly prev with k$i's complete block (and its blank line) added.
		awk -v h="k$i" '$0 ~ "^# hwkey:begin " h " " {skip=1} !skip{print}
			$0 == "# hwkey:end " h {skip=0; getline; if ($0 != "") print}' \
			"$HOME/.ssh/config" >rest
		cmp -s prev rest || { diff prev "$HOME/.ssh/config" | head >&2; fail "round $i: partial file"; }
		grep -qx "# hwkey:end k$i" "$HOME/.ssh/config" || fail "round $i: block without its end"
	fi
	pass
done
hk_done
