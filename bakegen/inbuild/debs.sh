#!/bin/sh
# Download Debian packages for the target platform, on the build platform. Used by the Dockerfile.
#
# apt resolves against the target image's own dpkg status (STATUS) and architecture (/target-arch),
# so OUT receives exactly what `apt-get install` in that image would fetch: the packages and the
# dependencies it lacks. The image then only has to run dpkg, which matters under emulation, where
# apt's resolver is slow. Stale package lists are refreshed once and the download retried.
#
# Usage: debs.sh STATUS OUT PACKAGE...
set -eu
status=$1 out=$2
shift 2
mkdir -p "$out"
[ $# -gt 0 ] || exit 0
mkdir -p "$out/partial"
# apt-get with the optional CA bundle: apt.sh, mounted beside this script.
apt="$(dirname "$0")/apt.sh"
fetch() {
  sh "$apt" -qq -o Dir::State::status="$status" -o APT::Architecture="$(cat /target-arch)" \
    -o Dir::Cache::archives="$out" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
    install -y --download-only --no-install-recommends "$@"
}
fetch "$@" || { sh "$apt" update -qq && fetch "$@"; }
rm -rf "$out/partial" "$out/lock"
ls "$out"
