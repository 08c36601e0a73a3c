# Sourced by tests/integration/test_cloudsim_sdk.sh: install the cloud vendors'
# Node.js SDKs, pinned by tests/sdk/package.json and package-lock.json, into a
# directory of the build. npm runs only when that directory does not hold
# exactly this lock file's packages, so later runs need no network.
#
#   hk_sdk_install DIR     DIR/node_modules holds the pinned packages

hk_sdk_install() {
	local dir=$1 src want
	src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/sdk"
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		echo "hwkey: the SDK tests need node and npm (Debian packages nodejs" \
			"and npm; scripts/deps.sh installs them)" >&2
		return 1
	fi
	want=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)
	if [ -d "$dir/node_modules" ] && [ "$(cat "$dir/.installed" 2>/dev/null)" = "$want" ]; then
		return 0
	fi
	mkdir -p "$dir"
	rm -rf "$dir/node_modules" "$dir/.installed"
	cp "$src/package.json" "$src/package-lock.json" "$dir/"
	# No package here needs an install script; none is run.
	(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --prefer-offline \
		--loglevel=error) >&2 || return 1
	echo "$want" >"$dir/.installed"
}
