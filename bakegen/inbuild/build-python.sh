#!/bin/sh
# A cross build's native interpreter, where Debian's suite has none of the same minor version
# (lib.sh build_python): compiled here as a tool only, without test modules, PGO or install. A GIL
# build serves a free-threaded target too: what it does there (freeze modules, byte-compile) reads no
# Py_GIL_DISABLED in 3.13 (Python/marshal.c, Programs/_freeze_module.py), and a free-threaded
# CPython keeps the cache tag cpython-313.
#
# Usage: build-python.sh TARBALL
set -eu
. "$(dirname "$0")/lib.sh"
[ "$(build_python)" = /usr/src/build-python/python ] || exit 0
mkdir -p /usr/src/build-python
tar --extract --file "$1" --directory /usr/src/build-python --strip-components=1
cd /usr/src/build-python
./configure --quiet --disable-test-modules --with-ensurepip=no OPT="-DNDEBUG -O1"
make --quiet -j "$(nproc)" python sharedmods
