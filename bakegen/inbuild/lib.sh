# Shell functions the build scripts share; sourced, not run. The choices a build makes between a
# native and a cross build are computed here from the build args, never passed through files.

# Debian's name of a Docker (Go) architecture: TARGETARCH -> dpkg architecture.
deb_arch() {
  case "$1" in ppc64le) echo ppc64el ;; 386) echo i386 ;; arm) echo armhf ;; *) echo "$1" ;; esac
}

# The GNU triplet of a Debian architecture, for cross tools (aarch64-linux-gnu-strip).
gnu_type() {
  dpkg-architecture --host-arch "$1" --query DEB_HOST_GNU_TYPE 2>/dev/null
}

# Whether this build runs on a platform other than the image's: a cross build.
is_cross() {
  [ "$(deb_arch "$TARGETARCH")" != "$(dpkg --print-architecture)" ]
}

# The CPython line of PYTHON_VERSION: 3.13.15 -> 3.13.
py_minor() {
  echo "$PYTHON_VERSION" | cut -d. -f1,2
}

# The interpreter that runs the build's own Python steps (freezing modules, byte-compiling, pip's
# layout). A native build runs the one it builds. A cross build needs a native one of the same
# minor version (configure checks major.minor only): Debian's own where the suite has it (fetch.sh
# downloads it), else the tool-only one build-python.sh compiles.
build_python() {
  if ! is_cross; then
    echo "/usr/local/bin/python$(py_minor)"
  elif [ -x "/usr/bin/python$(py_minor)" ]; then
    echo "/usr/bin/python$(py_minor)"
  else
    echo /usr/src/build-python/python
  fi
}

# Copy the .debs of the packages an `apt-get -s install` would install ("Inst NAME[:ARCH] [OLD]
# (VERSION ... [ARCH])" lines on standard input) from the folders SRC... into OUT, the last argument. A .deb's file
# name spells the version's epoch colon as %3a.
copy_debs() {
  # An upgrade has its old version in brackets first, and a foreign architecture's line may end
  # in a bracketed list: the architecture is the one inside the parentheses.
  sed -n 's/^Inst \([^ :]*\)[^ ]* \(\[[^]]*\] \)\{0,1\}(\([^ ]*\) [^)]*\[\([a-z0-9]*\)\]).*/\1 \3 \4/p' | {
    ok=0
    while read -r name version arch; do
      file="${name}_$(echo "$version" | sed 's/:/%3a/')_$arch.deb"
      found=
      for dir in "$@"; do [ -e "$dir/$file" ] && found="$dir/$file" && break; done
      [ -n "$found" ] || { echo "copy_debs: $file was not downloaded" >&2; ok=1; continue; }
      eval "cp \"\$found\" \"\${$#}/\""
    done
    return $ok
  }
}
