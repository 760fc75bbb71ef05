#!/bin/sh
# Pick, from the packages fetch.sh downloaded, those the image needs for the libraries CPython loads:
# apt resolves the packages finish.sh listed against the image's dpkg status, offline, with the lists
# fetch.sh used, so nothing is downloaded twice and the versions are those CPython was built with.
#
# Usage: TARGETARCH=... runtime-debs.sh STATUS PACKAGE-LIST OUT
set -eu
. "$(dirname "$0")/lib.sh"
status=$1 list=$2 out=$3
mkdir -p "$out"
[ -s "$list" ] || exit 0
apt-get -s -qq -o Dir::State::status="$status" -o APT::Architecture="$(deb_arch "$TARGETARCH")" \
    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= install --no-install-recommends $(cat "$list") \
  | copy_debs /fetch/toolchain /fetch/common "$out"
ls "$out"
