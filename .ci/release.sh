#!/usr/bin/env bash
# The release config (.goreleaser.yaml) is validated with the GoReleaser it is
# written for: `goreleaser check`, then a snapshot release (no publishing)
# into a temporary directory, whose artifacts are checked: both .debs carry
# the systemd unit exactly as packaging/mcpwatch.service has it, the binaries
# are static linux amd64/arm64 builds that say which release they are, and
# checksums.txt matches.
#
# Cost, measured on the CI machine's kind (2 CPUs): installing GoReleaser
# from the module proxy compiles it, about 10 CPU-minutes the first time
# (skipped when the pinned version is already installed; 4 s from a warm
# build cache); `check` takes 0.1 s; the snapshot builds mcpwatch twice
# (amd64, arm64) in about 5 CPU-minutes from a cold cache, 1 minute warm.
# RELEASE_SNAPSHOT=0 skips the snapshot and keeps only the check.
set -euo pipefail
cd "$(dirname "$0")/.."

# Newer GoReleaser releases need a newer Go than go.mod's toolchain.
GORELEASER_VERSION=v2.15.1
goreleaser="$(go env GOPATH)/bin/goreleaser"
if ! "$goreleaser" --version 2>/dev/null | grep -qE "^GitVersion:[[:space:]]+${GORELEASER_VERSION}\$"; then
	go install "github.com/goreleaser/goreleaser/v2@${GORELEASER_VERSION}"
fi

"$goreleaser" check

if [ "${RELEASE_SNAPSHOT:-1}" = 0 ]; then
	echo "RELEASE_SNAPSHOT=0: snapshot release skipped"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The same config, writing into the temporary directory instead of dist/.
{ cat .goreleaser.yaml; echo "dist: $tmp/dist"; } > "$tmp/goreleaser.yaml"
"$goreleaser" release --config "$tmp/goreleaser.yaml" --snapshot --clean --skip=publish
dist="$tmp/dist"

fail() { echo "release snapshot: $*" >&2; exit 1; }
unit=usr/lib/systemd/system/mcpwatch.service
for arch in amd64 arm64; do
	debs=("$dist"/mcpwatch_*_"$arch".deb)
	[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "want one $arch .deb, found: ${debs[*]}"
	deb=${debs[0]}
	contents=$(dpkg-deb -c "$deb") # whole, before grep -q: a closed pipe would fail dpkg-deb
	grep -qE " \./$unit\$" <<<"$contents" || fail "$deb does not carry /$unit"
	grep -qE " \./usr/bin/mcpwatch\$" <<<"$contents" || fail "$deb does not carry /usr/bin/mcpwatch"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./$unit" > "$tmp/unit-$arch"
	cmp -s "$tmp/unit-$arch" packaging/mcpwatch.service || fail "/$unit in $deb differs from packaging/mcpwatch.service"
	[ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] || fail "$deb is not Architecture: $arch"
	mkdir "$tmp/control-$arch"
	dpkg-deb -e "$deb" "$tmp/control-$arch"
	for script in postinst prerm postrm; do
		sh -n "$tmp/control-$arch/$script" || fail "$script in $deb does not parse"
	done

	bins=("$dist"/mcpwatch_linux_"$arch"*/mcpwatch)
	[ -x "${bins[0]}" ] || fail "no $arch binary"
	info=$(go version -m "${bins[0]}")
	grep -qE "build[[:space:]]+CGO_ENABLED=0" <<<"$info" || fail "the $arch binary was built with cgo"
	grep -qE "build[[:space:]]+GOARCH=$arch" <<<"$info" || fail "the $arch binary is not GOARCH=$arch"
	ls "$dist"/mcpwatch_*_linux_"$arch".tar.gz >/dev/null || fail "no $arch archive"
done
amd64=("$dist"/mcpwatch_linux_amd64*/mcpwatch)
if ldd "${amd64[0]}" >/dev/null 2>&1; then
	fail "the amd64 binary is dynamically linked: $(ldd "${amd64[0]}")"
fi
"${amd64[0]}" version | grep -qE '^mcpwatch [0-9]+\.[0-9]+\.[0-9]+-snapshot$' ||
	fail "the amd64 binary does not name its release: $("${amd64[0]}" version)"
(cd "$dist" && sha256sum --quiet -c checksums.txt) || fail "checksums.txt does not match"
[ "$(wc -l < "$dist/checksums.txt")" -eq 4 ] || fail "checksums.txt should list 2 archives and 2 .debs"
echo "release snapshot: 2 archives, 2 .debs with /$unit, static amd64 and arm64 binaries, checksums match"
