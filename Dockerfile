# Slim CPython images. docker-bake.hcl sets every build arg below; see README.md.
# No "# syntax=" line on purpose: the engine's built-in Dockerfile frontend is used, so builds work
# where no frontend image can be pulled (air-gapped builders).

ARG BASE_IMAGE=debian:trixie-slim

# ---------------------------------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS build

ARG PYTHON_VERSION
ARG PYTHON_SHA256
# Path of the tarball below PYTHON_MIRROR, python.org's /ftp/python layout: 3.13.15/Python-3.13.15.tar.xz
ARG PYTHON_TARBALL=${PYTHON_VERSION}/Python-${PYTHON_VERSION}.tar.xz
ARG PYTHON_MIRROR=https://www.python.org/ftp/python
# OPTIMAL=1: profile-guided optimization. LTO=1: link-time optimization, only on top of PGO.
ARG OPTIMAL=0
ARG LTO=0

# Refuse a bad combination before any slow work starts.
RUN set -eu; \
    case "$OPTIMAL/$LTO" in 0/0|1/0|1/1) ;; \
      0/1) echo "bakegen: LTO=1 needs OPTIMAL=1 (link-time optimization is only offered on top of PGO)" >&2; exit 1 ;; \
      *) echo "bakegen: OPTIMAL and LTO take 0 or 1, got OPTIMAL=$OPTIMAL LTO=$LTO" >&2; exit 1 ;; \
    esac; \
    [ -n "${PYTHON_VERSION:-}" ] || { echo "bakegen: PYTHON_VERSION is not set" >&2; exit 1; }; \
    [ -n "${PYTHON_SHA256:-}" ] || { echo "bakegen: PYTHON_SHA256 is not set for $PYTHON_VERSION" >&2; exit 1; }

# Build dependencies. tk-dev is left out on purpose: the images ship without Tcl/Tk.
# The apt caches live in cache mounts, so neither the lists nor the .debs reach a layer.
RUN --mount=type=cache,id=bakegen-apt-cache,target=/var/cache/apt,sharing=locked \
    --mount=type=cache,id=bakegen-apt-lists,target=/var/lib/apt/lists,sharing=locked \
    --mount=type=secret,id=ca,required=false \
    set -eu; \
    rm -f /etc/apt/apt.conf.d/docker-clean; \
    ca=; if [ -s /run/secrets/ca ]; then ca="-o Acquire::https::CAInfo=/run/secrets/ca"; fi; \
    apt-get $ca update -qq; \
    apt-get $ca install -y -qq --no-install-recommends \
      dpkg-dev gcc libc6-dev make pkg-config xz-utils binutils \
      libbz2-dev libffi-dev libgdbm-dev liblzma-dev libncurses-dev libreadline-dev \
      libsqlite3-dev libssl-dev uuid-dev zlib1g-dev \
    ; \
    # 3.14 added compression.zstd; older releases ignore the library.
    apt-get $ca install -y -qq --no-install-recommends libzstd-dev || true

ADD --checksum=sha256:${PYTHON_SHA256} ${PYTHON_MIRROR}/${PYTHON_TARBALL} /usr/src/python.tar

RUN set -eux; \
    mkdir -p /usr/src/python; \
    tar --extract --file /usr/src/python.tar --directory /usr/src/python --strip-components=1; \
    rm /usr/src/python.tar; \
    cd /usr/src/python; \
    gnuArch="$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)"; \
    set -- --build="$gnuArch" --prefix=/usr/local --enable-loadable-sqlite-extensions --with-ensurepip=install; \
    if [ "$OPTIMAL" = 1 ]; then set -- "$@" --enable-optimizations; fi; \
    if [ "$LTO" = 1 ]; then set -- "$@" --with-lto; fi; \
    case "$PYTHON_VERSION" in \
      # Python 2 defaults to UCS-2; every Linux distribution and manylinux wheel expects UCS-4.
      # https://www.python.org/dev/peps/pep-0513/#ucs-2-vs-ucs-4-builds
      2.*) set -- "$@" --enable-unicode=ucs4 ;; \
    esac; \
    ./configure "$@"; \
    make -j "$(nproc)"; \
    make install; \
    cd /; rm -rf /usr/src/python; \
    # Tk is not built, so the modules that need it could never import.
    rm -rf /usr/local/lib/python*/tkinter /usr/local/lib/python*/lib-tk /usr/local/lib/python*/idlelib \
           /usr/local/lib/python*/turtledemo /usr/local/bin/idle*; \
    find /usr/local -depth \
      \( \( -type d -a \( -name test -o -name tests -o -name idle_test -o -name __pycache__ \) \) \
         -o \( -type f -a \( -name '*.pyc' -o -name '*.pyo' -o -name 'libpython*.a' \) \) \) \
      -exec rm -rf '{}' +; \
    find /usr/local -type f \( -name '*.so' -o -name '*.so.*' \) -exec strip --strip-unneeded '{}' +; \
    for bin in /usr/local/bin/python?.*; do case "$bin" in *-config) ;; *) strip --strip-all "$bin" ;; esac; done; \
    cd /usr/local/bin; \
    major="$(echo "$PYTHON_VERSION" | cut -d. -f1)"; \
    for link in python pip pydoc python-config; do \
      [ -e "$link" ] || [ ! -e "$link$major" ] || ln -s "$link$major" "$link"; \
    done; \
    [ -e pip ] || { echo "bakegen: pip was not installed" >&2; exit 1; }; \
    # The shared libraries the interpreter and its extension modules load, as Debian packages, so
    # the runtime stage installs exactly those.
    find /usr/local -type f \( -perm -u+x -o -name '*.so' \) -exec ldd '{}' ';' 2>/dev/null \
      | awk '/=>/ { so = $(NF-1); if (index(so, "/usr/local/") == 1) next; gsub("^/(usr/)?", "", so); print "*" so }' \
      | sort -u | xargs -r dpkg-query --search | grep -v '^diversion by ' | cut -d: -f1 | sort -u > /runtime-packages; \
    cat /runtime-packages

# ---------------------------------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS runtime

ENV PATH=/usr/local/bin:$PATH \
    LANG=C.UTF-8

RUN --mount=type=bind,from=build,source=/runtime-packages,target=/tmp/runtime-packages \
    --mount=type=cache,id=bakegen-apt-lists,target=/var/lib/apt/lists,sharing=locked \
    --mount=type=secret,id=ca,required=false \
    set -eu; \
    ca=; if [ -s /run/secrets/ca ]; then ca="-o Acquire::https::CAInfo=/run/secrets/ca"; fi; \
    apt-get $ca update -qq; \
    apt-get $ca install -y -qq --no-install-recommends ca-certificates netbase tzdata $(cat /tmp/runtime-packages); \
    rm -rf /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old

COPY --from=build /usr/local /usr/local

RUN set -eu; python -B --version; python -B -c 'import ssl, sqlite3, zlib'

CMD ["python3"]
