# hwkey provision survives kill -9 at any point: seeded trials kill the run
# at a random moment (keygens slowed by the fault module, imports by the
# simulator's latency, so kills land in every step), sometimes twice, then
# run the same plan again; each trial must end with exactly one key per
# token, one key pair per region holding it, and an inventory that agrees
# with both (tests/lib/provision.sh checks the tokens and the cloud directly).
# HK_PROVISION_SEED=N reproduces a failure; HK_PROVISION_TRIALS=N (default 20).
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
. "$HK_TESTLIB/cloudimport.sh"
. "$HK_TESTLIB/softhsm.sh"
. "$HK_TESTLIB/provision.sh"

: "${HK_P11FAULT:?HK_P11FAULT must point at libp11fault.so (ctest sets it)}"
SEED=${HK_PROVISION_SEED:-$(( $(date +%s) % 100000 ))}
TRIALS=${HK_PROVISION_TRIALS:-20}
echo "seed $SEED (HK_PROVISION_SEED=$SEED reproduces this run)"
RANDOM=$SEED
REGIONS='["cn-hangzhou", "cn-shanghai", "cn-beijing"]'
PV_MODULE=$HK_P11FAULT
export HK_P11FAULT_DELAY=C_GenerateKeyPair:150
# Kills land between PKCS#11 calls, never inside SoftHSM (whose token files,
# unlike a real token, tear when the process dies mid-write): p11fault holds
# this lock shared while a call is in the module, the killer takes it.
export HK_P11FAULT_GUARD=$HK_TMP/p11.guard
hk_cloudsim_start --latency 30
hk_creds_aliyun

# A fresh SoftHSM token directory per trial: no trial sees another's tokens.
trial_tokens() {
	mkdir -p "$HK_TMP/tok-$1"
	sed "s|^directories.tokendir = .*|directories.tokendir = $HK_TMP/tok-$1|" \
		"$HK_TMP/softhsm2.conf" >"$HK_TMP/softhsm2-$1.conf"
	export SOFTHSM2_CONF=$HK_TMP/softhsm2-$1.conf
	pv_tokens "$2" "$3"
}

# How long one uninterrupted run of a trial-sized plan takes here: the
# kill points are drawn from that span (a fraction of it, never asserted).
trial_tokens calib 4 cal
PV_INVENTORY=$HK_TMP/calib.db
pv_plan calib.json 4 cal "$REGIONS" calib
t0=$(date +%s%N)
expect_exit 0 pv_provision --plan calib.json
span_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "an uninterrupted 4-token run takes ${span_ms} ms here"
pv_check calib.json 4 cal cn-hangzhou cn-shanghai cn-beijing

# kill_at PLAN MS: start the run, kill -9 it after MS ms; 1 if it was still running.
kill_at() {
	local pid was=0
	PV_PIN_VAR=$PV_PIN "$HWKEY" provision --module "$PV_MODULE" --endpoint "$CLOUDSIM_URL" \
		--inventory "$PV_INVENTORY" --plan "$1" >"$HK_TMP/killed.out" 2>&1 &
	pid=$!
	sleep "$(printf '%d.%03d' $(($2 / 1000)) $(($2 % 1000)))"
	if kill -0 "$pid" 2>/dev/null; then
		flock "$HK_P11FAULT_GUARD" kill -KILL "$pid" 2>/dev/null && was=1
	fi
	wait "$pid" 2>/dev/null || true
	echo "$was"
}

midway=0
for t in $(seq "$TRIALS"); do
	n=$((2 + RANDOM % 3))
	p="k${t}x"
	trial_tokens "$t" "$n" "$p"
	PV_INVENTORY=$HK_TMP/inv-$t.db
	pv_plan "plan-$t.json" "$n" "$p" "$REGIONS" "trial-$t"
	ms=$((RANDOM % (span_ms * 3 / 4 + 1)))
	hit=$(kill_at "plan-$t.json" "$ms")
	kills="$ms"
	# A third of the trials are killed a second time on resume.
	if [ $((RANDOM % 3)) = 0 ]; then
		ms2=$((RANDOM % (span_ms * 3 / 4 + 1)))
		hit2=$(kill_at "plan-$t.json" "$ms2")
		kills="$kills,$ms2"
		[ "$hit2" = 1 ] && hit=1
	fi
	"$HWKEY" provision --status --plan "plan-$t.json" --inventory "$PV_INVENTORY" --json \
		>status.json 2>/dev/null || true
	done_before=$(jq '.counts.done // 0' status.json 2>/dev/null || echo 0)
	steps=$(jq -r '[.entries[] | .state + "@" + .step] | join(" ")' status.json 2>/dev/null || echo "?")
	[ "$hit" = 1 ] && [ "$done_before" -lt "$n" ] && midway=$((midway + 1))
	echo "trial $t: $n tokens, killed at ${kills} ms; left: $steps"
	expect_exit 0 pv_provision --plan "plan-$t.json"
	assert_eq "$n" "$(tail -1 out | awk '{print $1}')" "trial $t (seed $SEED): all done after the resume"
	pv_check "plan-$t.json" "$n" "$p" cn-hangzhou cn-shanghai cn-beijing
done
echo "$midway of $TRIALS trials were killed in the middle of the plan"
# Not a timing assertion: with kill points spread over a whole run, most
# trials interrupt it; if none did, the trials proved nothing.
[ "$midway" -ge $((TRIALS / 4)) ] || fail "only $midway of $TRIALS kills landed mid-plan (seed $SEED)"
pass
hk_done
