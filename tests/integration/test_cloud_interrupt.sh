# SIGINT or SIGTERM during a cloud command loses nothing: nothing new is sent,
# what was in flight settles, every region's row is printed (done, cancelled
# or may-have-landed) and the exit status is 16; a second SIGINT ends hwkey
# at once by the signal (130). Real loopback HTTP with hwkey-cloudsim --latency.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"

hk_creds_aliyun
hk_keygen k1 ecdsa 256
# Background jobs of a script ignore SIGINT unless job control is on; hwkey
# keeps an ignored SIGINT ignored, so give it a process group of its own.
set -m

# run_and_signal SECONDS SIGNAL [SECOND_SIGNAL_AFTER] -- ARGS...: hwkey ARGS in
# the background, SIGNAL after SECONDS; sets rc.
run_and_signal() {
	local after=$1 sig=$2 again=$3 pid
	shift 4
	"$HWKEY" "$@" >out 2>err &
	pid=$!
	hk_on_exit "kill -9 $pid"
	sleep "$after"
	kill -"$sig" $pid
	if [ "$again" != - ]; then
		sleep "$again"
		kill -"$sig" $pid
	fi
	rc=0
	wait $pid || rc=$?
}

hk_cloudsim_start --latency 1500
# 1. SIGINT 2.5 s into an import into every region, 8 at a time, each call 1.5 s.
run_and_signal 2.5 INT - -- import --cloud aliyun --endpoint "$CLOUDSIM_URL" --region all \
	--name int-1 --jobs 8 k1.pub
assert_eq 16 "$rc" "interrupted import exits 16"
nreg=$(grep -c '^cn-\|^ap-\|^us-\|^eu-\|^me-' out || true)
[ "$nreg" -ge 20 ] || fail "every region gets a row, got $nreg: $(cat out)"
pass
nimp=$(grep -c ' imported ' out || true)
[ "$nimp" -ge 1 ] || fail "what landed is reported: $(cat out)"
pass
assert_contains "$(cat out)" "cancelled" "regions never sent are cancelled"
assert_contains "$(cat err)" "cancelled" "the cancel is said on stderr"
# What hwkey says was imported is what the cloud holds, no more, no less.
landed=$("$HWKEY" cloud list --cloud aliyun --endpoint "$CLOUDSIM_URL" --region all --name int-1 \
	--jobs 32 --json | jq '[.regions[].keypairs[]] | length')
maybe=$(grep -c 'may have landed' out || true)
[ "$landed" -ge "$nimp" ] && [ "$landed" -le $((nimp + maybe)) ] ||
	fail "cloud holds $landed pairs, hwkey reported $nimp imported and $maybe may have landed"
pass

# 2. SIGTERM too, with --json: one document, exit 16.
run_and_signal 2.5 TERM - -- import --cloud aliyun --endpoint "$CLOUDSIM_URL" --region all \
	--name int-2 --jobs 8 --json k1.pub
assert_eq 16 "$rc" "SIGTERM: exit 16"
jq -e '.results | length > 20' out >/dev/null || fail "JSON document with every region: $(cat out)"
pass

# 3. cloud list, interrupted: exit 16, the regions listed are printed.
run_and_signal 2.5 INT - -- cloud list --cloud aliyun --endpoint "$CLOUDSIM_URL" --region all \
	--jobs 8
assert_eq 16 "$rc" "interrupted list exits 16"

# 4. A second SIGINT does not wait for the calls in flight: dies by the signal.
run_and_signal 0.5 INT 0.3 -- import --cloud aliyun --endpoint "$CLOUDSIM_URL" --region all \
	--name int-3 --jobs 8 k1.pub
assert_eq 130 "$rc" "second SIGINT: 130 at once"

hk_done
