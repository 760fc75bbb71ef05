# debian-python3: Debian's own python3 from apt, on the same base as bakegen's images, for comparison
# only (speed and size; `bakegen campaign` benchmarks it beside the flag sets). Never pushed.
# python3-venv brings ensurepip's wheels, so `python3 -m venv` gives a venv with pip, as in bakegen's
# images and the official ones. No "# syntax=" line: the engine's built-in frontend builds it.
ARG BASE_IMAGE=debian:trixie-slim

FROM ${BASE_IMAGE} AS debian-python3
RUN --mount=type=bind,source=bakegen/inbuild/apt.sh,target=/usr/src/apt.sh \
    --mount=type=secret,id=ca,required=false \
    set -eu; \
    sh /usr/src/apt.sh update -qq; \
    sh /usr/src/apt.sh install -y -qq --no-install-recommends python3 python3-venv; \
    sh /usr/src/apt.sh dist-clean
CMD ["python3"]
