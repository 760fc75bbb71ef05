#!/bin/sh
# Download Debian packages for the image's platform, on the build platform. Used by fetch.sh.
#
# apt resolves against the dpkg status of the image they go into (STATUS) and its architecture
# ($ARCH), so OUT receives exactly what `apt-get install` in that image would fetch: the packages
# and the dependencies it lacks. The image then only has to run dpkg, which matters under
# emulation, where apt's resolver is slow. The downloads go through apt's archive folder (a cache
# mount, kept from build to build), then OUT gets the ones this install needs.
#
# Usage: ARCH=DEBIAN-ARCHITECTURE debs.sh STATUS OUT PACKAGE...
set -eu
. "$(dirname "$0")/lib.sh"
status=$1 out=$2
shift 2
mkdir -p "$out"
[ $# -gt 0 ] || exit 0
apt() {
  sh "$(dirname "$0")/apt.sh" -qq -o Dir::State::status="$status" -o APT::Architecture="$ARCH" \
    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= "$@"
}
apt install -y --download-only --no-install-recommends "$@"
apt install -s --no-install-recommends "$@" | copy_debs /var/cache/apt/archives "$out"
ls "$out"
