"""Install the wheels that a CPython tree's ensurepip bundles, without running that CPython.

Used by the Dockerfile's build stage. ensurepip needs the target interpreter, which for a cross
build only runs under emulation, where importing pip from source takes over a minute. This script
runs on any Python 2.7 or 3.x of the build platform and lays the wheels out as
`python -m ensurepip --default-pip` would: the files below site-packages, console scripts whose
`#!` names the target interpreter (pip, pipX, pipX.Y), and a RECORD listing every file so that
`pip uninstall` and upgrades work. No bytecode is written, as the images ship none.

Further wheels named on the command line are installed too, each in place of a bundled wheel of the
same project (the images below 3.12 carry setuptools and wheel at the official images' versions).

Usage: python pipwheels.py PREFIX X.Y[t] [WHEEL...]
       e.g. python3 pipwheels.py /usr/local 3.11 setuptools-65.5.1-py3-none-any.whl wheel-0.45.1-py3-none-any.whl
            python3 pipwheels.py /usr/local 3.13t

X.Yt is a free-threaded CPython (ABI flag "t"): its stdlib and site-packages are in lib/pythonX.Yt and
its interpreter is bin/pythonX.Yt, but pip names its scripts after X.Y alone (pipX.Y), as for any build.

Standard library only, and Python 2.7 syntax, because it also serves the 2.7 images.
"""

from __future__ import print_function

import base64
import glob
import hashlib
import io
import os
import re
import sys
import zipfile

SCRIPT = """#!{python}
# -*- coding: utf-8 -*-
import re
import sys
from {module} import {attr}
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit({call}())
"""


def record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return "{0},sha256={1},{2}".format(path, digest, len(data))


def console_scripts(text):
    """The [console_scripts] entries of an entry_points.txt, in file order."""
    entries, section = [], None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]").strip()
        elif section == "console_scripts" and "=" in line:
            name, target = (part.strip() for part in line.split("=", 1))
            entries.append((name, target))
    return entries


def script_names(name, version):
    """The names pip itself gives a wheel's versioned scripts when ensurepip installs it."""
    major = version.split(".")[0]
    if re.match(r"^pip(\d+(\.\d+)?)?$", name):
        return ["pip", "pip" + major, "pip" + version]
    if re.match(r"^easy_install(-\d+(\.\d+)?)?$", name):
        return ["easy_install", "easy_install-" + version]
    return [name]


def purelib_files(archive, wheel):
    """The wheel's file names and its one .dist-info folder; anything but a plain purelib wheel stops."""
    names = [n for n in archive.namelist() if not n.endswith("/")]
    info = sorted({n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")})
    if len(info) != 1 or any(n.split("/")[0].endswith(".data") for n in names):
        sys.exit("pipwheels: {0}: not a plain purelib wheel".format(wheel))
    for name in names:
        if os.path.isabs(name) or ".." in name.split("/"):
            sys.exit("pipwheels: {0}: unsafe path {1}".format(wheel, name))
    return names, info[0]


def write(path, data, mode=None):
    if not os.path.isdir(os.path.dirname(path)):
        os.makedirs(os.path.dirname(path))
    with open(path, "wb") as f:
        f.write(data)
    if mode is not None:
        os.chmod(path, mode)


def write_scripts(scripts, python, bindir, site, version):
    """The console scripts, each under every name ensurepip gives it; returns their RECORD lines."""
    records, seen = [], set()
    for name, target in scripts:
        module, _, call = target.partition(":")
        call = call.split("[")[0].strip()
        text = SCRIPT.format(python=python, module=module.strip(), attr=call.split(".")[0], call=call)
        data = text.encode("utf-8")
        for script in script_names(name, version):
            if script not in seen:
                seen.add(script)
                path = os.path.join(bindir, script)
                write(path, data, 0o755)
                records.append(record_line(os.path.relpath(path, site), data))
    return records


def install(wheel, prefix, ldversion):
    """Install one wheel for the CPython X.Y[t] (``ldversion``, as CPython's Makefile calls it)."""
    version = ldversion.rstrip("t")
    site = os.path.join(prefix, "lib", "python" + ldversion, "site-packages")
    bindir = os.path.join(prefix, "bin")
    records, scripts = [], []
    with zipfile.ZipFile(wheel) as archive:
        names, info = purelib_files(archive, wheel)
        for name in names:
            if name != info + "/RECORD":
                data = archive.read(name)
                write(os.path.join(site, *name.split("/")), data)
                records.append(record_line(name, data))
        if info + "/entry_points.txt" in names:
            scripts = console_scripts(archive.read(info + "/entry_points.txt").decode("utf-8"))
    script_records = write_scripts(scripts, os.path.join(bindir, "python" + ldversion), bindir, site, version)
    records += script_records
    for name, data in ((info + "/INSTALLER", b"pip\n"), (info + "/REQUESTED", b"")):
        write(os.path.join(site, *name.split("/")), data)
        records.append(record_line(name, data))
    records.append(info + "/RECORD,,")
    with io.open(os.path.join(site, info, "RECORD"), "w", encoding="utf-8", newline="\n") as f:
        f.write(u"\n".join(records) + u"\n")
    print("pipwheels: installed {0} ({1} scripts)".format(os.path.basename(wheel), len(script_records)))


def project(wheel):
    """The normalized project name of a wheel file (PEP 427 file name, PEP 503 normalization)."""
    return re.sub(r"[-_.]+", "-", os.path.basename(wheel).split("-")[0]).lower()


def main(argv):
    if len(argv) < 3 or not re.match(r"^\d+\.\d+t?$", argv[2]):
        sys.exit("usage: pipwheels.py PREFIX X.Y[t] [WHEEL...]")
    prefix, version, extra = argv[1], argv[2], argv[3:]
    bundled = os.path.join(prefix, "lib", "python" + version, "ensurepip", "_bundled")
    wheels = sorted(glob.glob(os.path.join(bundled, "*.whl")))
    if not wheels:
        sys.exit("pipwheels: no wheels in {0}".format(bundled))
    replaced = set(project(w) for w in extra)
    for wheel in [w for w in wheels if project(w) not in replaced] + extra:
        install(wheel, prefix, version)


if __name__ == "__main__":
    main(sys.argv)
