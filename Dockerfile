# Slim CPython images. docker-bake.hcl sets every build arg below; see README.md.
# No "# syntax=" line on purpose: the engine's built-in Dockerfile frontend is used, so builds work
# where no frontend image can be pulled (air-gapped builders).
#
# This file is stage wiring; each step is a script in bakegen/inbuild/ (how each works is written
# there). Stages, in build order (→ what each feeds):
#   source            the CPython tarball, checked against its sha256         → build (and the
#                                                                                reference recipe)
#   setuptools-wheel  below 3.12, setuptools and wheel, checked likewise     → build
#   fetch             every Debian package, downloaded on the builder's own
#                     platform (the one step with apt's cache and network)   → toolchain-*, runtime-*
#   toolchain-host    the compiler on the builder's platform, cross to a
#                     foreign target (BUILD_ON=host)                          → build
#   toolchain-target  the compiler on the image's own platform (BUILD_ON=target, PGO needs it)
#   runtime-common    the base image with ca-certificates, netbase, tzdata    → runtime
#   build             CPython in /usr/local, and the list of packages it loads → runtime-debs
#   runtime-debs      those packages, picked from fetch's downloads           → runtime
#   runtime           the image; runtime-python2 the same with CMD python (2.7)
#   sbom-generator    bakegen's offline SBOM generator for BuildKit (a bake target of its own)

ARG BASE_IMAGE=debian:trixie-slim
# Where CPython is compiled. "host": on the builder's own platform, cross-compiling for a foreign
# target, so no compiler runs under emulation. "target": on the image's platform, natively or
# emulated. PGO must run the interpreter it compiled, so the optimized variants use "target".
ARG BUILD_ON=target
# 1: also setuptools and wheel, as the official images below Python 3.12 carry (see below).
ARG SETUPTOOLS_WHEEL=0
# What compiling CPython needs: the tools, and the -dev packages of the libraries it links. tk-dev is
# left out on purpose: the images ship without Tcl/Tk. libzstd-dev serves compression.zstd in 3.14+.
# libdb-dev (Berkeley DB) backs dbm.ndbm (_dbm), as in the official images, whose recipe installs it
# (docker-library/python 3.13/slim-trixie/Dockerfile @ 3f2d7e4c339ab883455b81a873519f1d0f2cd80a).
# Its runtime library costs nothing: libdb5.3t64 (1854 KiB installed) is already in Debian's slim
# base, as libpam-modules pre-depends on it. gdbm's ndbm emulation (libgdbm-compat-dev), which
# CPython's configure would pick first (--with-dbmliborder defaults to gdbm:ndbm:bdb), would add
# libgdbm-compat4t64 (75 KiB), and it keeps a database in NAME.dir and NAME.pag
# (https://www.gnu.org/software/gdbm/manual/Compatibility.html) where Berkeley DB keeps NAME.db:
# ndbm files written on an official image would not open here.
ARG TOOLS="binutils dpkg-dev gcc libc6-dev make pkg-config xz-utils"
ARG BUILD_DEPS="libbz2-dev libdb-dev libffi-dev libgdbm-dev liblzma-dev libncurses-dev libreadline-dev libsqlite3-dev libssl-dev libzstd-dev uuid-dev zlib1g-dev"

# The upstream tarball, verified against the published sha256 before anything uses it.
FROM scratch AS source
ARG PYTHON_VERSION
ARG PYTHON_SHA256
# Path below PYTHON_MIRROR, python.org's /ftp/python layout: 3.13.15/Python-3.13.15.tar.xz
ARG PYTHON_TARBALL=${PYTHON_VERSION}/Python-${PYTHON_VERSION}.tar.xz
ARG PYTHON_MIRROR=https://www.python.org/ftp/python
ADD --checksum=sha256:${PYTHON_SHA256} ${PYTHON_MIRROR}/${PYTHON_TARBALL} /python.tar

# setuptools and wheel below 3.12, as the official images install them (docker-library/python#954),
# at the versions they pin: docker-library/python 3.11/slim-trixie/Dockerfile @
# 36a143fa936edad66b384fb81d684daf346e5d34 runs `pip3 install 'setuptools==65.5.1' 'wheel<0.46'`
# (wheel: docker-library/python#1023); 0.45.1 is the newest wheel below 0.46. Checked against PyPI's
# sha256; SETUPTOOLS_WHEEL picks the stage, so the other images fetch nothing.
FROM scratch AS setuptools-wheel-0
FROM scratch AS setuptools-wheel-1
ADD --checksum=sha256:d0b9a8433464d5800cbe05094acf5c6d52a91bfac9b52bcfc4d41382be5d5d31 \
    https://files.pythonhosted.org/packages/b6/40/353c051f77ee5618adaf1fd96f4f6bae9714ed0a22c7142c01c24eb77fe4/setuptools-65.5.1-py3-none-any.whl /
ADD --checksum=sha256:708e7481cc80179af0e556bbf0cc00b8444c7321e2700b8d8580231d13017248 \
    https://files.pythonhosted.org/packages/0b/2c/87f3254fd8ffd29e4c02732eee68a83a1d3c346ae39bc6822dcbcb697f2b/wheel-0.45.1-py3-none-any.whl /
FROM setuptools-wheel-${SETUPTOOLS_WHEEL} AS setuptools-wheel

# The scripts of each step, apart, so that a change to one reruns only the steps that use it.
FROM scratch AS scripts-fetch
COPY bakegen/inbuild/lib.sh bakegen/inbuild/apt.sh bakegen/inbuild/debs.sh bakegen/inbuild/fetch.sh \
     bakegen/inbuild/runtime-debs.sh /
FROM scratch AS scripts-install
COPY bakegen/inbuild/install-debs.sh bakegen/inbuild/redate.sh /
FROM scratch AS scripts-build
COPY bakegen/inbuild/lib.sh bakegen/inbuild/build-python.sh bakegen/inbuild/compile.sh bakegen/inbuild/flags.sh \
     bakegen/inbuild/redate.sh /
FROM scratch AS scripts-finish
COPY bakegen/inbuild/lib.sh bakegen/inbuild/finish.sh bakegen/inbuild/pipwheels.py bakegen/inbuild/redate.sh /

# The image's base, on the image's platform: what the packages are resolved against and go into.
FROM ${BASE_IMAGE} AS base

# Every Debian package the build and the image need, downloaded on the builder's platform.
FROM --platform=$BUILDPLATFORM ${BASE_IMAGE} AS fetch
ARG BUILDARCH
ARG TARGETARCH
ARG BUILD_ON
ARG TOOLS
ARG BUILD_DEPS
# A flag set's own tools, e.g. "clang-21/sid lld-21/sid" (NAME/SUITE: from another Debian suite).
# Empty for the images bakegen publishes.
ARG EXTRA_PACKAGES=
ARG PYTHON_VERSION
RUN --mount=type=bind,from=base,source=/var/lib/dpkg/status,target=/tmp/target-status \
    --mount=type=bind,from=scripts-fetch,target=/usr/src/inbuild \
    --mount=type=cache,id=bakegen-apt-archives-$BUILDARCH,target=/var/cache/apt,sharing=locked \
    --mount=type=secret,id=ca,required=false \
    sh /usr/src/inbuild/fetch.sh /tmp/target-status

# The toolchain on the builder's platform: a cross compiler for a foreign target.
FROM --platform=$BUILDPLATFORM ${BASE_IMAGE} AS toolchain-host
ARG TARGETARCH
RUN --mount=type=bind,from=fetch,source=/fetch/toolchain,target=/tmp/debs \
    --mount=type=bind,from=scripts-fetch,source=/lib.sh,target=/usr/src/lib.sh \
    . /usr/src/lib.sh; \
    is_cross && dpkg --add-architecture "$(deb_arch "$TARGETARCH")"; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /tmp/debs/*.deb

# The toolchain on the image's own platform (emulated for a foreign one).
FROM ${BASE_IMAGE} AS toolchain-target
RUN --mount=type=bind,from=fetch,source=/fetch/toolchain,target=/tmp/debs \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /tmp/debs/*.deb

# The base with what every image needs, installed while CPython compiles.
FROM base AS runtime-common
RUN --mount=type=bind,from=fetch,source=/fetch/common,target=/tmp/debs \
    --mount=type=bind,from=scripts-install,target=/usr/src/inbuild \
    sh /usr/src/inbuild/install-debs.sh /tmp/debs

# CPython in /usr/local: build python, compile, finish; a change to a later step never recompiles.
FROM toolchain-${BUILD_ON} AS build
ARG TARGETARCH
ARG PYTHON_VERSION
RUN --mount=type=bind,from=source,source=/python.tar,target=/usr/src/python.tar \
    --mount=type=bind,from=scripts-build,target=/usr/src/inbuild \
    sh /usr/src/inbuild/build-python.sh /usr/src/python.tar
# OPTIMAL=1: profile-guided optimization. LTO=1: link-time optimization, only on top of PGO.
# FREETHREADED=1: --disable-gil (PEP 703), from the line bakegen/bake/variants.toml names on;
# declared after the build python, so that the GIL and the free-threaded build of a release share
# it. HARDENING: groups of
# bakegen/inbuild/flags.sh ("all", "none" or a list), which the image's io.bakegen.hardening label
# promises. The EXTRA_* args and PROFILE_TASK are a flag set's own (`bakegen campaign`); empty for
# the images bakegen publishes.
ARG OPTIMAL=0
ARG LTO=0
ARG FREETHREADED=0
ARG HARDENING=all
ARG EXTRA_CONFIGURE=
ARG EXTRA_CFLAGS=
ARG EXTRA_LDFLAGS=
ARG PROFILE_TASK=
ARG EXTRA_MAKE=
RUN --mount=type=bind,from=source,source=/python.tar,target=/usr/src/python.tar \
    --mount=type=bind,from=scripts-build,target=/usr/src/inbuild \
    sh /usr/src/inbuild/compile.sh /usr/src/python.tar
RUN --mount=type=bind,from=setuptools-wheel,target=/usr/src/wheels \
    --mount=type=bind,from=scripts-finish,target=/usr/src/inbuild \
    sh /usr/src/inbuild/finish.sh /usr/src/wheels

# The packages of the libraries CPython loads that runtime-common lacks, from fetch's downloads.
FROM fetch AS runtime-debs
ARG TARGETARCH
RUN --mount=type=bind,from=runtime-common,source=/var/lib/dpkg/status,target=/tmp/target-status \
    --mount=type=bind,from=build,source=/runtime-packages,target=/tmp/runtime-packages \
    --mount=type=bind,from=scripts-fetch,target=/usr/src/inbuild \
    sh /usr/src/inbuild/runtime-debs.sh /tmp/target-status /tmp/runtime-packages /debs

# The image.
FROM runtime-common AS runtime
ENV PATH=/usr/local/bin:$PATH \
    LANG=C.UTF-8
RUN --mount=type=bind,from=runtime-debs,source=/debs,target=/tmp/debs \
    --mount=type=bind,from=scripts-install,target=/usr/src/inbuild \
    sh /usr/src/inbuild/install-debs.sh /tmp/debs
COPY --from=build /usr/local /usr/local
# The one check that needs the target platform: the extension modules find their libraries.
RUN python -B -c 'import ssl, sqlite3, zlib'
CMD ["python3"]

# Python 2 has no python3 command, so its images start python (2.7) instead.
FROM runtime AS runtime-python2
CMD ["python"]

# An SBOM generator for BuildKit that needs nothing from outside: bakegen/inbuild/sbom.py on
# Debian's own python3, so it builds in a minute. The "sbom-generator" bake target (SBOM_GENERATOR).
FROM ${BASE_IMAGE} AS sbom-generator
RUN --mount=type=bind,source=bakegen/inbuild/apt.sh,target=/usr/src/apt.sh \
    --mount=type=secret,id=ca,required=false \
    set -eu; \
    sh /usr/src/apt.sh update -qq; \
    sh /usr/src/apt.sh install -y -qq --no-install-recommends python3; \
    rm -rf /var/log/apt /var/log/dpkg.log /var/lib/apt/lists/*
COPY bakegen/inbuild/sbom.py /usr/local/libexec/bakegen-sbom.py
ENTRYPOINT ["python3", "-I", "/usr/local/libexec/bakegen-sbom.py"]

# The last stage is what a plain `docker build .` gives: the runtime image.
FROM runtime
