# hwkey inventory list|show|export over a real SQLite inventory: rows written
# through the store API (storefill, standing in for the engine) show with
# every fingerprint exactly as ssh-keygen and hwkey fingerprint compute them;
# --json is valid under its schema; --csv is RFC 4180 (python's csv reads it
# back); the default path follows XDG_DATA_HOME and HOME; an inventory of
# schema version 1 is migrated when read; a missing, foreign, read-only or
# full inventory gives a clear error and exit 17, and stays whole.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/json.sh"

: "${HK_STOREFILL:?HK_STOREFILL must point at tests/storefill (ctest sets it)}"
SF=$HK_STOREFILL
export HOME=$HK_TMP/home
unset XDG_DATA_HOME
mkdir -p "$HOME"

ssh-keygen -q -t ed25519 -N '' -C alice@laptop -f a
ssh-keygen -q -t rsa -b 3072 -N '' -C bob -f b
ssh-keygen -q -t ecdsa -b 384 -N '' -C carol -f c

# A missing inventory: exit 17, naming it; --json gives the error document.
expect_exit 17 "$HWKEY" inventory list --inventory nowhere.db
assert_contains "$(cat err)" "nowhere.db" "missing inventory named"
expect_exit 17 "$HWKEY" inventory list --inventory nowhere.db --json
hk_json_valid inventory-list out
assert_eq HK_ERR_INVENTORY_NOT_FOUND "$(jq -r .error.code out)" "error code"
assert_eq 17 "$(jq -r .error.exit out)" "error exit"
[ ! -e nowhere.db ] || fail "reading created an inventory"
pass

# Rows at the default path: $HOME/.local/share/hwkey/inventory.db.
def=$HOME/.local/share/hwkey/inventory.db
t1=$("$SF" "$def" token pkcs11 5e2d0c1a9f3b4e77 model="SoftHSM v2" firmware=2.6 \
	label=alice uri='pkcs11:token=alice;serial=5e2d0c1a9f3b4e77' person='Alice "Ops", EU')
t2=$("$SF" "$def" token pkcs11 0000bob model="SoftHSM v2" person=bob)
ka=$("$SF" "$def" key "$t1" 01 a.pub label=ssh-a proof=verified \
	detail=local,never-extractable,always-sensitive,sensitive)
kb=$("$SF" "$def" key "$t2" 02 b.pub label=ssh-b proof=unverified detail="CKA_LOCAL=FALSE")
kc=$("$SF" "$def" key "$t2" 03 c.pub label=ssh-c person=carol proof=verified)
"$SF" "$def" import "$ka" huawei cn-north-4 alice verified \
	cloud_fp="$("$HWKEY" fingerprint -E huawei a.pub | awk '{print $2}')" >/dev/null
"$SF" "$def" import "$kb" aliyun cn-hangzhou bob failed >/dev/null
STOREFILL_KEY=$ka "$SF" "$def" journal fleet alice keygen begin >/dev/null
STOREFILL_KEY=$ka "$SF" "$def" journal fleet alice keygen end ok "ed25519 key 01" >/dev/null
assert_eq "700" "$(stat -c %a "$(dirname "$def")")" "inventory directory is private"

expect_exit 0 "$HWKEY" inventory list
assert_eq 4 "$(wc -l <out)" "header and three keys"
row=$(grep "^$ka " out)
assert_contains "$row" "5e2d0c1a9f3b4e77" "serial in the list"
assert_contains "$row" 'Alice "Ops", EU' "person in the list"
assert_contains "$row" "$(ssh-keygen -l -f a.pub | awk '{print $2}')" "sha256 as ssh-keygen"
assert_contains "$(grep "^$kb " out)" "unverified" "unverified proof shown"
assert_contains "$(grep "^$kc " out)" "carol" "the key's own person over its token's"

# XDG_DATA_HOME moves the default.
mkdir -p "$HK_TMP/xdg/hwkey"
cp "$def" "$HK_TMP/xdg/hwkey/inventory.db"
"$SF" "$HK_TMP/xdg/hwkey/inventory.db" token pkcs11 only-in-xdg >/dev/null
XDG_DATA_HOME=$HK_TMP/xdg expect_exit 0 "$HWKEY" inventory export --json
assert_eq 3 "$(jq '.tokens | length' out)" "XDG_DATA_HOME inventory read"

# list --json: schema, and every fingerprint equal to hwkey fingerprint's.
expect_exit 0 "$HWKEY" inventory list --json
hk_json_valid inventory-list out
assert_eq 3 "$(jq '.keys | length' out)" "three keys"
assert_eq "$def" "$(jq -r .inventory out)" "inventory path"
for f in sha256 md5 aliyun huawei aws; do
	assert_eq "$("$HWKEY" fingerprint -E $f a.pub | awk '{print $2}')" \
		"$(jq -r ".keys[] | select(.id == $ka) | .fingerprints.$f" out)" "$f of the ed25519 key"
done
assert_eq "$(ssh-keygen -l -E md5 -f b.pub | awk '{print $2}')" \
	"$(jq -r ".keys[] | select(.id == $kb) | .fingerprints.md5" out)" "md5 as ssh-keygen"
assert_eq "null" "$(jq -r ".keys[] | select(.id == $kc) | .fingerprints.aws" out)" \
	"no AWS fingerprint for ECDSA"
assert_eq "ecdsa-p384" "$(jq -r ".keys[] | select(.id == $kc) | .type" out)" "type"
assert_eq "$(awk '{print $1" "$2}' b.pub)" \
	"$(jq -r ".keys[] | select(.id == $kb) | .public_key" out)" "public key as recorded"

# show: text and JSON with imports and the journal.
expect_exit 0 "$HWKEY" inventory show "$ka"
for f in sha256 md5 aliyun huawei aws; do
	assert_contains "$(cat out)" "$("$HWKEY" fingerprint -E $f a.pub | awk '{print $2}')" "show: $f"
done
assert_contains "$(cat out)" "huawei cn-north-4 alice: verified" "show: import"
assert_contains "$(cat out)" "fleet/alice  keygen end ok: ed25519 key 01" "show: journal"
expect_exit 0 "$HWKEY" inventory show "$ka" --json
hk_json_valid inventory-show out
assert_eq "verified" "$(jq -r '.key.imports[0].status' out)" "show --json import status"
assert_eq '["begin","end"]' "$(jq -c '[.journal[].phase]' out)" "show --json journal"
assert_eq "5e2d0c1a9f3b4e77" "$(jq -r .token.serial out)" "show --json token"
expect_exit 2 "$HWKEY" inventory show 999
assert_contains "$(cat err)" "no key 999" "unknown id"
expect_exit 2 "$HWKEY" inventory show abc
expect_exit 2 "$HWKEY" inventory show 999 --json
hk_json_valid inventory-show out

# export --csv: RFC 4180, read back field by field.
expect_exit 0 "$HWKEY" inventory export --csv
grep -q $'\r$' out || fail "CSV lines end in CRLF"
pass
python3 - out "$ka" "$(ssh-keygen -l -f a.pub | awk '{print $2}')" <<'PY' || fail "CSV read back"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
head, body = rows[0], rows[1:]
assert head[:3] == ["key_id", "backend", "serial"], head
assert len(body) == 3, len(body)
r = dict(zip(head, [b for b in body if b[0] == sys.argv[2]][0]))
assert r["person"] == 'Alice "Ops", EU', r["person"]
assert r["sha256"] == sys.argv[3], r["sha256"]
assert r["imports"] == "huawei:cn-north-4:alice=verified", r["imports"]
assert r["proof_verified"] == "true"
PY
pass
expect_exit 0 "$HWKEY" inventory export --json --output dump.json
hk_json_valid inventory-export dump.json
assert_eq 600 "$(stat -c %a dump.json)" "export file is private"
assert_eq 1 "$(jq '.entries | length' dump.json)" "plan entries exported"
assert_eq 2 "$(jq '.journal | length' dump.json)" "journal exported"
expect_exit 2 "$HWKEY" inventory export
expect_exit 2 "$HWKEY" inventory export --json --csv

# An inventory of schema version 1 (as that version wrote it) is migrated when read.
sqlite3 v1.db <"$HK_SRCDIR/tests/store/schema_v1.sql"
assert_eq 1 "$(sqlite3 v1.db 'PRAGMA user_version')" "fixture is version 1"
expect_exit 0 "$HWKEY" inventory list --inventory v1.db --json
assert_eq 2 "$(jq '.keys | length' out)" "v1 keys listed"
assert_eq 3 "$(jq -r .schema_version out)" "reported schema version"
assert_eq "$(sqlite3 v1.db "SELECT value FROM key_fingerprints WHERE key_id = 1 AND kind = 'aws'")" \
	"$(jq -r '.keys[0].fingerprints.aws' out)" "AWS fingerprint filled by the migration"
assert_eq 3 "$(sqlite3 v1.db 'PRAGMA user_version')" "migrated on disk"
assert_eq ok "$(sqlite3 v1.db 'PRAGMA integrity_check')" "migrated inventory whole"

# Several processes writing at once (WAL, busy timeout) while hwkey reads: every row lands.
"$SF" many.db token pkcs11 many >/dev/null
pids=()
for _ in 1 2 3; do "$SF" many.db fill 40 >/dev/null & pids+=($!); done
for _ in 1 2 3 4 5; do "$HWKEY" inventory export --json --inventory many.db >/dev/null ||
	fail "reading while others write"; done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent writer failed"; done
pass
assert_eq 120 "$(sqlite3 many.db 'SELECT count(*) FROM journal')" "rows of three concurrent writers"
assert_eq ok "$(sqlite3 many.db 'PRAGMA integrity_check')" "whole after concurrent writers"

# Not an inventory: another SQLite file, and a text file.
sqlite3 other.db 'CREATE TABLE t(x)'
expect_exit 17 "$HWKEY" inventory list --inventory other.db
assert_contains "$(cat err)" "not an hwkey inventory" "foreign database"
head -c 8192 /dev/urandom | base64 >text.db
expect_exit 17 "$HWKEY" inventory list --inventory text.db
assert_contains "$(cat err)" "text.db" "garbage file named"

# Read-only and full file systems, in a private mount namespace (root).
unshare -m true 2>/dev/null || fail "unshare -m is needed for the read-only and disk-full checks"
cat >ns.sh <<'NS'
set -eu
mount --make-rprivate /
mkdir -p ro full
mount -t tmpfs -o size=4m,mode=0700 tmpfs ro
"$SF" ro/inv.db token pkcs11 ro-serial person=dave >/dev/null
"$SF" ro/inv.db key 1 01 a.pub proof=verified >/dev/null
mount -o remount,ro ro
# Reading works on the read-only mount; writing fails clearly.
"$HWKEY" inventory list --inventory ro/inv.db >ro.list
rc=0; "$SF" ro/inv.db token pkcs11 second 2>ro.err || rc=$?
echo "$rc" >ro.rc
# A 256 KiB file system, filled until the inventory is full.
mount -t tmpfs -o size=256k,mode=0700 tmpfs full
rc=0; "$SF" full/inv.db fill 10000 >full.count 2>full.err || rc=$?
echo "$rc" >full.rc
"$HWKEY" inventory export --json --inventory full/inv.db >full.json
sqlite3 full/inv.db 'PRAGMA integrity_check' >full.check
sqlite3 full/inv.db 'SELECT count(*) FROM journal' >full.rows
NS
SF=$SF HWKEY=$HWKEY unshare -m bash ns.sh || fail "namespace script failed"
assert_contains "$(cat ro.list)" "dave" "listing a read-only inventory"
assert_eq 17 "$(cat ro.rc)" "write on a read-only mount: exit 17"
assert_contains "$(cat ro.err)" "read-only" "read-only error says so"
assert_contains "$(cat ro.err)" "ro/inv.db" "read-only error names the file"
assert_eq 17 "$(cat full.rc)" "full disk: exit 17"
assert_contains "$(cat full.err)" "full" "disk-full error says so"
assert_contains "$(cat full.err)" "full/inv.db" "disk-full error names the file"
[ "$(cat full.count)" -gt 5 ] || fail "the disk filled after $(cat full.count) rows"
pass
assert_eq ok "$(cat full.check)" "full inventory passes integrity_check"
assert_eq "$(cat full.count)" "$(cat full.rows)" "every completed row kept, no partial one"
hk_json_valid inventory-export full.json
hk_done
