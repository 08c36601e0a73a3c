# Resident keys on a FIDO2 device (hwkey-fido2sim over fido:unix:, real
# libfido2): keygen --resident of both types, with and without --user and
# --application, next to a non-resident key; hwkey keys lists exactly the
# resident ones (text and schema-valid JSON, OpenSSH's flags, application and
# user, a note that non-resident keys are not on the device), with the
# fingerprints ssh-keygen -l gives the keygen'd .pub; export writes the
# key-handle files as ssh-keygen -K names them (mode 0600, ssh-keygen -y
# gives the keygen'd public key, ssh-keygen -l the same fingerprint), one key
# to -o FILE, never over an existing file without --force; key delete asks
# first, then the key is gone from the listing and from the sim's state;
# --key selects by user, application, label or credential id prefix and an
# ambiguous selector names the candidates; a second resident key for the same
# application and user is refused (exit 13) unless --force. The PIN appears
# in no output.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/json.sh"
. "$HK_TESTLIB/fido2sim.sh"

PIN=73950146
hk_home
printf '%s\n' "$PIN" >"$HK_TMP/pin"
chmod 600 "$HK_TMP/pin"
PS=(--pin "file:$HK_TMP/pin")
# The type and base64 of a public key line (comments differ by design).
pubkey() { awk '{print $1, $2}' "$1"; }
sshfp() { ssh-keygen -l -f "$1" | awk '{print $2}'; }

hk_fido2sim_start --pin-file "$HK_TMP/pin"
DEV=fido:unix:$FIDO2SIM_SOCKET

# 1. Three keys: two resident, one not.
mkdir keys
hk_run 0 "$HWKEY" keygen "$DEV" "${PS[@]}" --type ecdsa-sk --resident \
	--application ssh:work --user alice -o keys/work
hk_run 0 "$HWKEY" keygen "$DEV" "${PS[@]}" --type ed25519-sk --resident -o keys/plain
hk_run 0 "$HWKEY" keygen "$DEV" "${PS[@]}" --type ecdsa-sk -o keys/loose

# 2. The listing: only the resident ones, each as ssh-keygen sees its .pub.
hk_run 0 "$HWKEY" keys "$DEV" "${PS[@]}"
assert_eq 3 "$(wc -l <out)" "keys: a header and two rows"
assert_contains "$(cat out)" "ssh:work alice" "keys: application and user as the label"
assert_contains "$(grep 'ed25519-sk' out)" "ssh: " "keys: the default application"
assert_contains "$(cat out)" "touch-required,resident" "keys: OpenSSH's flags"
assert_contains "$(cat out)" "$(sshfp keys/work.pub)" "keys: ecdsa-sk fingerprint as ssh-keygen -l"
assert_contains "$(cat out)" "$(sshfp keys/plain.pub)" "keys: ed25519-sk fingerprint as ssh-keygen -l"
assert_not_contains "$(cat out)" "$(sshfp keys/loose.pub)" "keys: the non-resident key is not listed"
assert_contains "$(cat err)" "only resident keys are listed" "keys: says what it cannot list"
hk_run 0 "$HWKEY" keys "$DEV" "${PS[@]}" --json
hk_json_valid keys out
assert_eq 2 "$(jq '.keys | length' out)" "keys --json: two keys"
assert_contains "$(jq -r .note out)" "non-resident" "keys --json: the note"
work=$(jq -c '.keys[] | select(.application == "ssh:work")' out)
assert_eq alice "$(jq -r .sk_user <<<"$work")" "keys --json: sk_user"
assert_eq ecdsa-sk "$(jq -r .type <<<"$work")" "keys --json: type"
assert_eq '["touch-required","resident"]' "$(jq -c .sk_flags <<<"$work")" "keys --json: sk_flags"
assert_eq "$(sshfp keys/work.pub)" "$(jq -r .fingerprints.sha256 <<<"$work")" "keys --json: sha256"
assert_eq "$(pubkey keys/work.pub)" "$(jq -r .public_key <<<"$work" | awk '{print $1, $2}')" \
	"keys --json: the public key is the keygen'd one"
work_id=$(jq -r .id <<<"$work")
plain_id=$(jq -r '.keys[] | select(.application == "ssh:") | .id' out)
assert_eq ed25519-sk "$(jq -r '.keys[] | select(.application == "ssh:") | .type' out)" "keys --json: ed25519-sk"
assert_eq "" "$(jq -r '.keys[] | select(.application == "ssh:") | .sk_user' out)" "keys --json: default user"

# 3. Export every resident key into a directory, as ssh-keygen -K names them.
mkdir ex
hk_run 0 "$HWKEY" export "$DEV" "${PS[@]}" -o ex
assert_eq "id_ecdsa_sk_rk_work_alice id_ecdsa_sk_rk_work_alice.pub id_ed25519_sk_rk id_ed25519_sk_rk.pub" \
	"$(cd ex && ls | tr '\n' ' ' | sed 's/ $//')" "export: ssh-keygen -K's file names"
assert_eq 600 "$(stat -c %a ex/id_ecdsa_sk_rk_work_alice)" "export: key-handle file mode 0600"
for pair in "work:id_ecdsa_sk_rk_work_alice" "plain:id_ed25519_sk_rk"; do
	k=${pair%%:*} f=${pair#*:}
	ssh-keygen -y -f "ex/$f" >"y.$k" 2>"y.$k.err" || fail "ssh-keygen -y cannot load ex/$f: $(cat "y.$k.err")"
	assert_eq "$(pubkey "keys/$k.pub")" "$(pubkey "y.$k")" "export $f: ssh-keygen -y gives the keygen'd key"
	assert_eq "$(pubkey "keys/$k.pub")" "$(pubkey "ex/$f.pub")" "export $f.pub: the keygen'd key"
	assert_eq "$(sshfp "keys/$k.pub")" "$(sshfp "ex/$f.pub")" "export $f.pub: ssh-keygen -l fingerprint"
done
assert_eq "ssh:work" "$(awk '{print $3}' ex/id_ecdsa_sk_rk_work_alice.pub)" "export: comment is the application"

# Again without --force: refused before anything is written; with it, replaced.
sum=$(cat ex/* | sha256sum)
hk_run 13 "$HWKEY" export "$DEV" "${PS[@]}" -o ex
assert_contains "$(cat err)" "--force" "export over files: --force named"
assert_eq "$sum" "$(cat ex/* | sha256sum)" "export refused: files untouched"
hk_run 0 "$HWKEY" export "$DEV" "${PS[@]}" -o ex --force
ssh-keygen -y -f ex/id_ed25519_sk_rk >/dev/null 2>&1 || fail "forced export: not loadable"
pass

# One key to a file, by user; JSON as documented.
hk_run 0 "$HWKEY" export "$DEV" "${PS[@]}" --key alice -o one --json
hk_json_valid export out
assert_eq "one one.pub" "$(jq -r '.keys[0] | "\(.private_file) \(.public_file)"' out)" "export --json: the files"
assert_eq "$work_id" "$(jq -r '.keys[0].key.id' out)" "export --key alice: that key"
assert_eq "$(pubkey keys/work.pub)" "$(pubkey one.pub)" "export -o FILE: FILE.pub"
assert_eq 600 "$(stat -c %a one)" "export -o FILE: mode 0600"
# Two keys cannot go to one file; other formats do not apply.
hk_run 2 "$HWKEY" export "$DEV" "${PS[@]}" -o two
assert_contains "$(cat err)" "need a directory" "export: two keys, one file"
[ ! -e two ] || fail "export -o two wrote something"
pass
hk_run 2 "$HWKEY" export "$DEV" "${PS[@]}" --key alice --format pem -o pem
[ ! -e pem ] || fail "export --format pem wrote something"
pass

# 4. Selection: application, id prefix (either case), ambiguity.
hk_run 0 "$HWKEY" keygen "$DEV" "${PS[@]}" --type ecdsa-sk --resident --user bob -o keys/bob
# "ssh:" is the whole label of the default key: the label wins over bob's application.
hk_run 0 "$HWKEY" export "$DEV" "${PS[@]}" --key ssh: -o bylabel
assert_eq "$(pubkey keys/plain.pub)" "$(pubkey bylabel.pub)" "--key LABEL before APPLICATION"
hk_run 0 "$HWKEY" export "$DEV" "${PS[@]}" --key ssh:work -o byapp
assert_eq "$(pubkey keys/work.pub)" "$(pubkey byapp.pub)" "--key APPLICATION"
prefix=$(tr a-f A-F <<<"${plain_id:0:10}")
hk_run 0 "$HWKEY" export "$DEV" "${PS[@]}" --key "$prefix" -o byid
assert_eq "$(pubkey keys/plain.pub)" "$(pubkey byid.pub)" "--key ID-PREFIX (upper case)"
hk_run 4 "$HWKEY" export "$DEV" "${PS[@]}" --key nobody -o none
assert_contains "$(cat err)" "no resident key matches" "unknown selector"

# 5. Credential exists: the same application and user again.
hk_run 13 "$HWKEY" keygen "$DEV" "${PS[@]}" --type ed25519-sk --resident \
	--application ssh:work --user alice -o keys/again
assert_contains "$(cat err)" "already exists" "credential exists: message"
[ ! -e keys/again ] && [ ! -e keys/again.pub ] || fail "credential exists: files written"
pass
hk_run 13 "$HWKEY" keygen "$DEV" "${PS[@]}" --type ecdsa-sk --resident --user bob -o keys/again --json
hk_json_valid keygen out
assert_eq HK_ERR_CREDENTIAL_EXISTS "$(jq -r .error.code out)" "credential exists: --json code"
# A different user of the same application is another credential.
hk_run 0 "$HWKEY" keygen "$DEV" "${PS[@]}" --type ecdsa-sk --resident \
	--application ssh:work --user carol -o keys/carol
# Now ssh:work has two users: the application alone is ambiguous.
hk_run 4 "$HWKEY" export "$DEV" "${PS[@]}" --key ssh:work -o amb
assert_contains "$(cat err)" "2 resident keys match" "ambiguous selector"
assert_contains "$(cat err)" "(ssh:work alice)" "ambiguous: candidates named"
assert_contains "$(cat err)" "(ssh:work carol)" "ambiguous: candidates named"
[ ! -e amb ] || fail "ambiguous: something written"
pass
# --force replaces alice's: still one key for (ssh:work, alice), a new one.
hk_run 0 "$HWKEY" keygen "$DEV" "${PS[@]}" --type ed25519-sk --resident \
	--application ssh:work --user alice -o keys/work2 --force
hk_run 0 "$HWKEY" keys "$DEV" "${PS[@]}" --json
assert_eq 1 "$(jq '[.keys[] | select(.application == "ssh:work" and .sk_user == "alice")] | length' out)" \
	"--force: one key for ssh:work alice"
assert_eq "$(sshfp keys/work2.pub)" "$(jq -r '.keys[] | select(.sk_user == "alice") | .fingerprints.sha256' out)" \
	"--force: the new key replaced the old"
work_id=$(jq -r '.keys[] | select(.sk_user == "alice") | .id' out)

# 6. Delete: never without a yes; then gone from the listing and the sim's state.
grep -q "$work_id" "$FIDO2SIM_STATE" || fail "the sim's state does not hold alice's credential"
pass
hk_run 2 "$HWKEY" key delete "$DEV" "${PS[@]}" --key alice </dev/null
grep -q "$work_id" "$FIDO2SIM_STATE" || fail "key delete without --yes deleted"
pass
hk_run 0 "$HWKEY" key delete "$DEV" "${PS[@]}" --key alice --yes --json
hk_json_valid key-delete out
assert_eq "deleted $work_id" "$(jq -r '"\(.status) \(.key.id)"' out)" "key delete --json"
assert_eq 0 "$(grep -c "$work_id" "$FIDO2SIM_STATE" || true)" "deleted: gone from the sim's state"
hk_run 0 "$HWKEY" keys "$DEV" "${PS[@]}" --json
assert_eq "" "$(jq -r '.keys[] | select(.sk_user == "alice") | .id' out)" "deleted: gone from the listing"
assert_eq 3 "$(jq '.keys | length' out)" "deleted: the others stay"
hk_run 4 "$HWKEY" key delete "$DEV" "${PS[@]}" --key alice --yes
assert_contains "$(cat err)" "no resident key matches" "deleted: not found again"

# 7. A CTAP 2.0 device (credentialManagementPreview, as older keys have):
# list, export into the current directory (bare ssh-keygen -K names), delete.
cat "$FIDO2SIM_LOG" >>"$HK_LOG"
hk_fido2sim_stop
FIDO2SIM_DIR=$HK_TMP/ctap20 hk_fido2sim_start --ctap 2.0 --pin-file "$HK_TMP/pin"
DEV=fido:unix:$FIDO2SIM_SOCKET
hk_run 0 "$HWKEY" keygen "$DEV" "${PS[@]}" --type ecdsa-sk --resident --user dave -o keys/old
hk_run 0 "$HWKEY" keys "$DEV" "${PS[@]}" --json
hk_json_valid keys out
assert_eq "dave $(sshfp keys/old.pub)" "$(jq -r '.keys[] | "\(.sk_user) \(.fingerprints.sha256)"' out)" \
	"CTAP 2.0: the resident key listed"
assert_contains "$(cat "$FIDO2SIM_LOG")" "credentialManagementPreview" "CTAP 2.0: listed through the preview command"
mkdir cwd
(cd cwd && "$HWKEY" export "$DEV" "${PS[@]}" >../out 2>../err) || fail "CTAP 2.0: export into the current directory"
assert_eq "id_ecdsa_sk_rk_dave id_ecdsa_sk_rk_dave.pub" "$(cd cwd && ls | tr '\n' ' ' | sed 's/ $//')" \
	"CTAP 2.0: export names"
assert_contains "$(cat err)" "wrote id_ecdsa_sk_rk_dave and" "CTAP 2.0: bare file names, as ssh-keygen -K"
assert_eq "$(pubkey keys/old.pub)" "$(ssh-keygen -y -f cwd/id_ecdsa_sk_rk_dave | awk '{print $1, $2}')" \
	"CTAP 2.0: ssh-keygen -y of the export"
hk_run 0 "$HWKEY" key delete "$DEV" "${PS[@]}" --key dave --yes
hk_run 0 "$HWKEY" keys "$DEV" "${PS[@]}" --json
assert_eq 0 "$(jq '.keys | length' out)" "CTAP 2.0: deleted"

# 8. The PIN appears in no output and not in the sims' logs.
cat "$FIDO2SIM_LOG" >>"$HK_LOG"
assert_eq 0 "$(grep -c -- "$PIN" "$HK_LOG" || true)" "the PIN is in no output"
hk_done
