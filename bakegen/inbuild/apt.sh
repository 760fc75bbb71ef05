#!/bin/sh
# apt-get for the Dockerfile's RUN steps and debs.sh. It trusts the CA bundle given as the optional
# "ca" build secret for HTTPS package sources (a TLS-intercepting proxy, a private mirror), so the
# bundle never reaches a layer. Without the secret it is plain apt-get. The RUN step mounts the
# secret (--mount=type=secret,id=ca,required=false).
#
# Usage: apt.sh APT-GET-ARGUMENT...
set -eu
if [ -s /run/secrets/ca ]; then set -- -o Acquire::https::CAInfo=/run/secrets/ca "$@"; fi
exec apt-get "$@"
