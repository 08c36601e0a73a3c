# hk_free_port: a free TCP port on 127.0.0.1. Sourced by common.sh and by
# scripts/demo.sh; the caller defines fail.
hk_free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	fail "no free port"
}
