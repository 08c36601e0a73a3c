# Sourced by integration tests (after common.sh) that need the software FIDO2
# authenticator hwkey-fido2sim ($HK_FIDO2SIM, set by ctest).
#
#   hk_fido2sim_start [ARGS...]   starts a sim in $FIDO2SIM_DIR (default
#                                 $HK_TMP/fido2sim): socket, state, CA dir and
#                                 log there; waits for the socket file (the sim
#                                 links it into place only after listen(), so
#                                 a client can connect as soon as it exists);
#                                 stops it on exit. Sets FIDO2SIM_SOCKET, _STATE, _CA, _LOG,
#                                 and FIDO2SIM_PID (its pid).
#   hk_fido2sim_stop [SIGNAL]     SIGTERM (or SIGNAL) and wait for $FIDO2SIM_PID; fails the
#                                 test unless it exits 0 (a sanitizer report
#                                 from the sim fails it too)
#   hk_fido2sim_restart [ARGS...] stop, then start on the same directory (same
#                                 state and CA); new ARGS replace the old ones
#
# To run two sims, set FIDO2SIM_DIR before each start and keep each PID. A PIN
# for a new state goes in with --pin-file FILE (never argv in real use).

: "${HK_FIDO2SIM:?HK_FIDO2SIM must point at hwkey-fido2sim (ctest sets it)}"

FIDO2SIM_DIR=${FIDO2SIM_DIR:-$HK_TMP/fido2sim}
FIDO2SIM_ARGS=()

hk_fido2sim_start() {
	mkdir -p "$FIDO2SIM_DIR"
	FIDO2SIM_SOCKET=$FIDO2SIM_DIR/sock
	FIDO2SIM_STATE=$FIDO2SIM_DIR/state
	FIDO2SIM_CA=$FIDO2SIM_DIR/ca
	FIDO2SIM_LOG=$FIDO2SIM_DIR/log
	FIDO2SIM_ARGS=("$@")
	rm -f "$FIDO2SIM_SOCKET"
	"$HK_FIDO2SIM" --socket "$FIDO2SIM_SOCKET" --state "$FIDO2SIM_STATE" \
		--ca-dir "$FIDO2SIM_CA" --log "$FIDO2SIM_LOG" "$@" \
		2>>"$FIDO2SIM_DIR/stderr" &
	FIDO2SIM_PID=$!
	hk_on_exit "kill -TERM $FIDO2SIM_PID; wait $FIDO2SIM_PID"
	for _ in $(seq 400); do
		[ -S "$FIDO2SIM_SOCKET" ] && break
		kill -0 "$FIDO2SIM_PID" 2>/dev/null || {
			tail -5 "$FIDO2SIM_DIR/stderr" >&2
			fail "hwkey-fido2sim exited at start"
		}
		sleep 0.05
	done
	[ -S "$FIDO2SIM_SOCKET" ] || fail "hwkey-fido2sim made no socket at $FIDO2SIM_SOCKET"
	export FIDO2SIM_SOCKET FIDO2SIM_STATE FIDO2SIM_CA FIDO2SIM_LOG FIDO2SIM_PID
}

hk_fido2sim_stop() {
	local pid=${FIDO2SIM_PID:-} status=0
	[ -n "$pid" ] || return 0
	kill -"${1:-TERM}" "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || status=$?
	FIDO2SIM_PID=
	if [ "$status" != 0 ]; then
		tail -20 "${FIDO2SIM_SOCKET%/sock}/stderr" >&2
		fail "hwkey-fido2sim exited $status after SIG${1:-TERM}"
	fi
	[ ! -e "$FIDO2SIM_SOCKET" ] || fail "hwkey-fido2sim left its socket $FIDO2SIM_SOCKET"
}

hk_fido2sim_restart() {
	local dir=${FIDO2SIM_SOCKET%/sock}
	hk_fido2sim_stop TERM
	[ $# -gt 0 ] && FIDO2SIM_ARGS=("$@")
	FIDO2SIM_DIR=$dir hk_fido2sim_start "${FIDO2SIM_ARGS[@]}"
}
