#!/bin/sh
# Finish /usr/local after `make install`, in a step of its own so that changing it never recompiles
# CPython:
# - what the images leave out: Tk's modules (Tk is not built, so they could never import), the test
#   suite and the C test modules PGO builds for its training run (every variant ships the set
#   --disable-test-modules gives), static libpython, bytecode; binaries stripped;
# - /runtime-packages: the Debian packages whose shared libraries the interpreter and its extension
#   modules load, read from the ELF headers (so this works for a foreign target too);
# - pip, from the wheels ensurepip bundles, laid out as `ensurepip --default-pip` would, by an
#   interpreter of the build platform (lib.sh build_python: under emulation, importing pip from
#   source takes over a minute); with SETUPTOOLS_WHEEL=1 setuptools and wheel at the official
#   images' versions too;
# - a free-threaded build's python3.X, which make install hard-links to python3.Xt, becomes a symlink
#   to it (the copy into the runtime stage keeps no hard link: the image would carry the interpreter
#   twice, 6 MB more, measured on arm64); python, pip, pydoc and python-config links;
# - no file dated after the release (redate.sh), so the runtime stage's COPY gives the same layer
#   from build to build. (The release's date, not SOURCE_DATE_EPOCH: a build arg would recompile
#   CPython for every commit.)
#
# Environment: TARGETARCH, PYTHON_VERSION, FREETHREADED. Usage: finish.sh WHEELS-DIR
set -eu
here="$(dirname "$0")"
. "$here/lib.sh"
wheels=$1
target="$(deb_arch "$TARGETARCH")"
host_type="$(gnu_type "$target")"
strip=strip
if is_cross; then strip="$host_type-strip"; fi

rm -rf /usr/local/lib/python*/tkinter /usr/local/lib/python*/lib-tk /usr/local/lib/python*/idlelib \
       /usr/local/lib/python*/turtledemo /usr/local/bin/idle*
find /usr/local -depth \
  \( \( -type d -a \( -name test -o -name tests -o -name idle_test -o -name __pycache__ \) \) \
     -o \( -type f -a \( -name '*.pyc' -o -name '*.pyo' -o -name 'libpython*.a' \) \) \) \
  -exec rm -rf '{}' +
find /usr/local -type f \( -name '*.so' -o -name '*.so.*' \) -exec "$strip" --strip-unneeded '{}' +
for bin in /usr/local/bin/python?.*; do case "$bin" in *-config) ;; *) "$strip" --strip-all "$bin" ;; esac; done

find /usr/local -type f \( -name '*.so' -o -name '*.so.*' -o -perm -u+x \) -exec readelf --dynamic '{}' + 2>/dev/null \
  | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u \
  | while read -r so; do dpkg-query --search "*/$host_type/$so"; done 2>/dev/null \
  | grep -v '^diversion by ' | cut -d: -f1 | sort -u > /runtime-packages
cat /runtime-packages

minor="$(py_minor)"
major="${minor%.*}"
abi="$(if [ "$FREETHREADED" = 1 ]; then echo t; fi)"
lib="/usr/local/lib/python$minor$abi"
rm -f "$lib"/lib-dynload/_test* "$lib"/lib-dynload/_xxtestfuzz* "$lib"/lib-dynload/_ctypes_test* \
      "$lib"/lib-dynload/xx* "$lib"/lib-tk/turtle.py "$lib"/turtle.py
set -- "$wheels"/*.whl; [ -e "$1" ] || set --
PYTHONDONTWRITEBYTECODE=1 "$(build_python)" "$here/pipwheels.py" /usr/local "$minor$abi" "$@"
cd /usr/local/bin
if [ -n "$abi" ]; then ln -sf "python$minor$abi" "python$minor"; fi
for link in python pip pydoc python-config; do
  versioned="$(echo "$link" | sed "s/^[a-z]*/&$major/")"
  [ -e "$link" ] || [ ! -e "$versioned" ] || ln -s "$versioned" "$link"
done
ls -l /usr/local/bin
! find /usr/local -name __pycache__ | grep .
sh "$here/redate.sh" clamp "$(cat /source-date-epoch)" /usr/local
