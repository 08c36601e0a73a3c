# Sourced by demo.sh and test.sh: install the Debian packages hwkey needs that
# are missing (apt-get update first, only when something is missing).
HK_DEPS=(
	gcc make cmake pkg-config clang libclang-rt-14-dev
	libssl-dev openssl libcurl4-openssl-dev curl ca-certificates
	libsqlite3-dev sqlite3 libjansson-dev jq libmicrohttpd-dev libcmocka-dev
	libp11-kit-dev p11-kit p11-kit-modules libfido2-dev libcbor-dev
	softhsm2 opensc openssh-client openssh-server putty-tools procps xxd
	nodejs npm zsh python3 python3-jsonschema
)
# Only for bench/: never required by scripts/test.sh.
HK_BENCH_DEPS=(hyperfine)

# An installed package may provide another: a nodejs built elsewhere than in
# Debian (NodeSource) carries npm and conflicts with Debian's npm package.
# (Read whole first: with pipefail, grep -q closing the pipe early would make
# dpkg-query's SIGPIPE the pipeline's status.)
hk_dep_provided() {
	local provided
	provided=$(dpkg-query -W -f='${Status} ${Provides}\n' 2>/dev/null |
		grep '^install ok installed' || true)
	grep -qE "[ ,]$1( |,|$)" <<<"$provided"
}

hk_install_deps() {
	local missing=() p
	for p in "${HK_DEPS[@]}" "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			hk_dep_provided "$p" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "hwkey: missing Debian packages: ${missing[*]} (run as root to install them)" >&2
		return 1
	fi
	echo "hwkey: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
