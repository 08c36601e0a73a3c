# Sourced by integration tests (after common.sh) that need hwkey-cloudsim:
# test accounts, an optional self-signed certificate, and start/stop/restart
# of the server on a free loopback port.
#
#   hk_cloudsim_accounts          writes $CLOUDSIM_ACCOUNTS (mode 600); sets the
#                                 CLOUDSIM_ALIYUN_* / CLOUDSIM_HUAWEI_* variables
#   hk_cloudsim_cert              writes $CLOUDSIM_CERT / $CLOUDSIM_KEY for
#                                 127.0.0.1 and localhost (self-signed, its own CA)
#   hk_cloudsim_start [ARGS...]   starts $HWKEY_CLOUDSIM (adds --tls-* when
#                                 CLOUDSIM_TLS=1); sets CLOUDSIM_URL, _PORT, _PID
#   hk_cloudsim_stop              SIGTERM and wait
#   hk_cloudsim_restart [ARGS...] same state file and port
#
# Secrets stay in files and variables; nothing here prints them.

: "${HWKEY_CLOUDSIM:?HWKEY_CLOUDSIM must point at hwkey-cloudsim (ctest sets it)}"

CLOUDSIM_DIR="$HK_TMP/cloudsim"
CLOUDSIM_ACCOUNTS="$CLOUDSIM_DIR/accounts"
CLOUDSIM_STATE="$CLOUDSIM_DIR/state.db"
CLOUDSIM_LOG=${CLOUDSIM_LOG:-$CLOUDSIM_DIR/server.log}	# keep it elsewhere to debug
CLOUDSIM_TLS=${CLOUDSIM_TLS:-0}
CLOUDSIM_ARGS=()
export CLOUDSIM_ACCOUNTS

# The vendors' documented example credentials (cloud-apis.md 3.1, 6), so
# signatures in failures can be checked by hand against the reference.
CLOUDSIM_ALIYUN_AK=testid
CLOUDSIM_ALIYUN_SECRET=testsecret
CLOUDSIM_ALIYUN_AK2=LTAIsimother0002
CLOUDSIM_ALIYUN_SECRET2=othersecret-0002
CLOUDSIM_HUAWEI_AK=QTWAOYTTINDUT2QVKYUC
CLOUDSIM_HUAWEI_SK=MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc
CLOUDSIM_HUAWEI_PROJECT=77b6a44cba5143ab91d13ab9a8ff44fd	# cn-north-4
CLOUDSIM_HUAWEI_PROJECT2=0a1b2c3d4e5f60718293a4b5c6d7e8f9	# cn-east-3

hk_cloudsim_accounts() {
	mkdir -p "$CLOUDSIM_DIR"
	(
		umask 077
		cat >"$CLOUDSIM_ACCOUNTS" <<-EOF
		# hwkey-cloudsim test accounts
		aliyun $CLOUDSIM_ALIYUN_AK $CLOUDSIM_ALIYUN_SECRET
		aliyun $CLOUDSIM_ALIYUN_AK2 $CLOUDSIM_ALIYUN_SECRET2
		huawei $CLOUDSIM_HUAWEI_AK $CLOUDSIM_HUAWEI_SK cn-north-4=$CLOUDSIM_HUAWEI_PROJECT,cn-east-3=$CLOUDSIM_HUAWEI_PROJECT2
		EOF
	)
	chmod 600 "$CLOUDSIM_ACCOUNTS"
}

hk_cloudsim_cert() {
	mkdir -p "$CLOUDSIM_DIR"
	CLOUDSIM_CERT="$CLOUDSIM_DIR/cert.pem"
	CLOUDSIM_KEY="$CLOUDSIM_DIR/key.pem"
	[ -s "$CLOUDSIM_CERT" ] && return 0
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$CLOUDSIM_KEY" -out "$CLOUDSIM_CERT" -days 2 \
		-subj "/CN=hwkey-cloudsim test" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		-addext "basicConstraints=critical,CA:TRUE" >/dev/null 2>&1 ||
		fail "openssl could not make the test certificate"
	chmod 600 "$CLOUDSIM_KEY"
}

# Launch with the given port; waits for the port file and a health answer.
_hk_cloudsim_launch() {
	local port=$1 i scheme=http curlca=()
	shift
	local tls=()
	if [ "$CLOUDSIM_TLS" = 1 ]; then
		hk_cloudsim_cert
		tls=(--tls-cert "$CLOUDSIM_CERT" --tls-key "$CLOUDSIM_KEY")
		scheme=https
		curlca=(--cacert "$CLOUDSIM_CERT")
	fi
	rm -f "$CLOUDSIM_DIR/port"
	"$HWKEY_CLOUDSIM" --accounts "$CLOUDSIM_ACCOUNTS" --state "$CLOUDSIM_STATE" \
		--port "$port" --port-file "$CLOUDSIM_DIR/port" \
		--pid-file "$CLOUDSIM_DIR/pid" "${tls[@]}" "$@" 2>>"$CLOUDSIM_LOG" &
	CLOUDSIM_PID=$!
	for i in $(seq 200); do
		[ -s "$CLOUDSIM_DIR/port" ] && break
		kill -0 "$CLOUDSIM_PID" 2>/dev/null || {
			tail -5 "$CLOUDSIM_LOG" >&2
			fail "hwkey-cloudsim exited at start"
		}
		sleep 0.05
	done
	[ -s "$CLOUDSIM_DIR/port" ] || fail "hwkey-cloudsim wrote no port file"
	CLOUDSIM_PORT=$(cat "$CLOUDSIM_DIR/port")
	CLOUDSIM_URL="$scheme://127.0.0.1:$CLOUDSIM_PORT"
	for i in $(seq 100); do
		curl -fsS "${curlca[@]}" -o /dev/null "$CLOUDSIM_URL/cloudsim/health" 2>/dev/null &&
			return 0
		sleep 0.05
	done
	fail "hwkey-cloudsim does not answer on $CLOUDSIM_URL"
}

hk_cloudsim_start() {
	[ -s "$CLOUDSIM_ACCOUNTS" ] || hk_cloudsim_accounts
	CLOUDSIM_ARGS=("$@")
	_hk_cloudsim_launch 0 "$@"
	hk_on_exit hk_cloudsim_stop
	export CLOUDSIM_URL CLOUDSIM_PORT CLOUDSIM_PID
}

hk_cloudsim_stop() {
	[ -n "${CLOUDSIM_PID:-}" ] || return 0
	kill -TERM "$CLOUDSIM_PID" 2>/dev/null || true
	wait "$CLOUDSIM_PID" 2>/dev/null || true
	CLOUDSIM_PID=
}

# Same state and port; new arguments replace the old ones when given.
hk_cloudsim_restart() {
	local port=$CLOUDSIM_PORT
	hk_cloudsim_stop
	[ $# -gt 0 ] && CLOUDSIM_ARGS=("$@")
	_hk_cloudsim_launch "$port" "${CLOUDSIM_ARGS[@]}"
	export CLOUDSIM_URL CLOUDSIM_PORT CLOUDSIM_PID
}
