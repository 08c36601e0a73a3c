#!/bin/bash
# hwkey-cloudsim cannot be taken down by one client: connections from one
# address are capped (--max-connections-per-client; the excess is closed at
# once), a connection that trickles its request without ever finishing it is
# closed after --request-timeout although it is never silent, and meanwhile
# /cloudsim/health answers another address (127.0.0.2 is loopback too).
# Bounded: at most 140 sockets, about 15 seconds.
. "$HK_TESTLIB/common.sh"
. "$HK_TESTLIB/cloudsim.sh"
# A write to a socket the server closed must fail, not kill the test.
trap '' PIPE

FDS=()
open_sockets() {
	local n=$1 i fd
	FDS=()
	for ((i = 0; i < n; i++)); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$CLOUDSIM_PORT" || fail "connect $i"
		FDS+=("$fd")
	done
}
close_sockets() {
	local fd
	for fd in "${FDS[@]}"; do exec {fd}>&-; done
	FDS=()
}
hk_on_exit close_sockets
# Open: nothing to read (the server never answers a request it has not got).
# Closed by the server: readable at once (end of file or reset).
is_open() { ! read -r -t 0 -u "$1" 2>/dev/null; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
count_open() {
	local fd n=0
	for fd in "${FDS[@]}"; do is_open "$fd" && n=$((n + 1)); done
	echo "$n"
}
# Wait (up to TENTHS/10 s, the machine may be busy) until N sockets are open;
# print the count.
settle() {
	local want=$1 tenths=${2:-50} n i seen=
	for i in $(seq "$tenths"); do
		n=$(count_open)
		seen+=" $n"
		[ "$n" = "$want" ] && break
		sleep 0.1
	done
	[ "$n" = "$want" ] || echo "open sockets seen:$seen" >&2
	echo "$n"
}
trickle() {
	local fd
	for fd in "${FDS[@]}"; do printf 'X-Trickle: %s\r\n' "$RANDOM" >&"$fd" 2>/dev/null || true; done
}
health_from() {
	curl -fsS --max-time 5 --interface "$1" "$CLOUDSIM_URL/cloudsim/health" 2>/dev/null
}

hk_cloudsim_start --max-connections-per-client 8 --max-connections 64 \
	--request-timeout 4 --idle-timeout 60

# 12 sockets from 127.0.0.1: 8 are kept, the other 4 closed at once. A
# connection that just ended (the start-up health check) still counts until
# libmicrohttpd has cleaned it up, so a busy machine may keep 7: try again.
for try in 1 2 3 4 5; do
	open_sockets 12
	t0=$(now_ms)
	kept=$(settle 8 20 2>/dev/null)
	[ "$kept" = 8 ] && break
	close_sockets
	sleep 1
done
assert_eq 8 "$kept" "sockets kept from one client"
for fd in "${FDS[@]}"; do
	printf 'GET /cloudsim/health HTTP/1.1\r\nHost: sim\r\n' >&"$fd" 2>/dev/null || true
done
# That client is at its cap; another address is served.
if health_from 127.0.0.1 >/dev/null; then fail "a 9th connection from 127.0.0.1 was served"; fi
pass
assert_eq ok "$(health_from 127.0.0.2)" "health from 127.0.0.2 while 127.0.0.1 is at its cap"

# Trickle a header line every 0.3 s: never idle, never finished. All open
# 2 s after connecting, all closed by the 4 s deadline (checked until 9 s).
while [ $(($(now_ms) - t0)) -lt 2000 ]; do trickle; sleep 0.3; done
assert_eq 8 "$(count_open)" "trickling sockets before the deadline"
left=8
while [ $(($(now_ms) - t0)) -lt 9000 ]; do
	trickle
	left=$(count_open)
	[ "$left" = 0 ] && break
	sleep 0.3
done
assert_eq 0 "$left" "trickling sockets left after the request deadline"
[ $(($(now_ms) - t0)) -ge 3900 ] || fail "closed before the deadline"
pass
assert_contains "$(cat "$CLOUDSIM_LOG")" \
	"closed a connection from 127.0.0.1: no whole request within 4 s" "deadline logged"
close_sockets
# Closed connections leave the count once cleaned up: give it a moment.
for try in $(seq 20); do
	got=$(health_from 127.0.0.1) && break
	sleep 0.25
done
assert_eq ok "$got" "127.0.0.1 is served again"

# A slow request that ends within the deadline is answered; on a kept-alive
# connection the deadline restarts with each answer (about 2 s to the first
# answer, then 2.5 s more: past 4 s since connecting).
exec {fd}<>"/dev/tcp/127.0.0.1/$CLOUDSIM_PORT"
FDS=("$fd")
for part in 'GET /cloudsim/health HTTP/1.1\r\n' 'Host: sim\r\n' '\r\n'; do
	printf "$part" >&"$fd"
	sleep 0.7
done
got=
while read -r -t 3 -u "$fd" line; do
	line=${line%$'\r'}
	[ "$line" = ok ] && { got=ok; break; }
done
assert_eq ok "$got" "slow but complete request answered"
sleep 2.5
printf 'GET /cloudsim/health HTTP/1.1\r\nHost: sim\r\nConnection: close\r\n\r\n' >&"$fd"
got=
while read -r -t 3 -u "$fd" line; do
	line=${line%$'\r'}
	[ "$line" = ok ] && { got=ok; break; }
done
assert_eq ok "$got" "second request on a kept-alive connection, 2.5 s after the first answer"
close_sockets

# The defaults cap one client too: of 140 sockets from 127.0.0.1, 128 are kept.
hk_cloudsim_restart --quiet
for try in 1 2 3 4 5; do
	open_sockets 140
	kept=$(settle 128 20 2>/dev/null)
	[ "$kept" = 128 ] && break
	close_sockets
	sleep 1
done
assert_eq 128 "$kept" "sockets kept from one client by default"
assert_eq ok "$(health_from 127.0.0.2)" "health from 127.0.0.2 with the default limits"
close_sockets
hk_done
