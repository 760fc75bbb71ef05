"""What the ELF files under a folder show of their hardening, as JSON lines: one per file.

The ``hardening`` check of ``bakegen test`` runs this file inside the image, with the image's own
interpreter (any Python from 2.7 on, standard library only: the images have no binutils), and judges
the lines on the host (``bakegen.acceptance.hardening``). It reads, per file:

- the ELF type and whether it asks for an interpreter (PIE: a shared object with PT_INTERP);
- PT_GNU_RELRO, and BIND_NOW (DT_BIND_NOW, DF_BIND_NOW in DT_FLAGS or DF_1_NOW in DT_FLAGS_1);
- the imported symbols that show a stack protector (``__stack_chk_fail``) and _FORTIFY_SOURCE
  (``__*_chk``), and the plain imports of functions glibc fortifies;
- the GNU property note: x86 IBT and SHSTK (-fcf-protection), AArch64 BTI and PAC
  (-mbranch-protection=standard);
- how many of the functions the file exports begin with a branch target landing pad: ENDBR64 on
  x86-64 (-fcf-protection=branch), BTI C or PACIASP/PACIBSP on AArch64. The note alone cannot show
  the flag: the linker marks a file only when every object in it is marked, and Debian trixie's
  crti.o, crtn.o and Scrt1.o are not (ld -z cet-report=warning says so), so no trixie binary has it.

Layouts: the System V gABI (program and section headers, the dynamic section, symbol tables) and
the x86-64 and AArch64 psABIs (GNU_PROPERTY_X86_FEATURE_1_AND, GNU_PROPERTY_AARCH64_FEATURE_1_AND).

Usage: python elfscan.py DIR...
"""

import json
import os
import struct
import sys

PT_LOAD = 1
PT_INTERP = 3
PT_DYNAMIC = 2
PT_GNU_RELRO = 0x6474E552
SHT_NOTE = 7
SHT_DYNSYM = 11
DT_NULL = 0
DT_BIND_NOW = 24
DT_FLAGS = 30
DT_FLAGS_1 = 0x6FFFFFFB
DF_BIND_NOW = 0x8
DF_1_NOW = 0x1
NT_GNU_PROPERTY_TYPE_0 = 5
GNU_PROPERTY_X86_FEATURE_1_AND = 0xC0000002
GNU_PROPERTY_AARCH64_FEATURE_1_AND = 0xC0000000
EM_X86_64 = 62
EM_AARCH64 = 183
STT_FUNC = 2
#: The first instruction of a function that is a valid indirect branch target.
ENDBR64 = b"\xf3\x0f\x1e\xfa"
#: BTI C, BTI JC, PACIASP, PACIBSP (little-endian words).
AARCH64_PADS = (0xD503245F, 0xD50324DF, 0xD503233F, 0xD503237F)

#: glibc's fortified functions (those with a __NAME_chk variant), by their plain names.
FORTIFIABLE = frozenset("""
confstr dprintf fgets fgets_unlocked fgetws fprintf fread fread_unlocked fwprintf getcwd getdomainname
getgroups gethostname getlogin_r getwd gets mbsnrtowcs mbsrtowcs mbstowcs memcpy memmove mempcpy memset
poll ppoll pread pread64 printf read readlink readlinkat realpath recv recvfrom snprintf sprintf stpcpy
stpncpy strcat strcpy strncat strncpy swprintf syslog ttyname_r vdprintf vfprintf vfwprintf vprintf
vsnprintf vsprintf vswprintf vsyslog vwprintf wcpcpy wcpncpy wcrtomb wcscat wcscpy wcsncat wcsncpy
wcsnrtombs wcsrtombs wcstombs wctomb wmemcpy wmemmove wmempcpy wmemset wprintf
""".split())


class NotElf(Exception):
    pass


class Elf(object):
    def __init__(self, data):
        if data[:4] != b"\x7fELF":
            raise NotElf("no ELF magic")
        cls, order = bytearray(data[4:6])
        if cls not in (1, 2) or order not in (1, 2):
            raise NotElf("unknown ELF class or byte order")
        self.data = data
        self.is64 = cls == 2
        self.end = "<" if order == 1 else ">"
        if self.is64:
            fields = self.unpack("HHIQQQIHHHHHH", 16)
        else:
            fields = self.unpack("HHIIIIIHHHHHH", 16)
        (self.type, self.machine, _, _, self.phoff, self.shoff, _, _,
         self.phentsize, self.phnum, self.shentsize, self.shnum, _) = fields

    def unpack(self, fmt, offset):
        fmt = self.end + fmt
        size = struct.calcsize(fmt)
        if offset < 0 or offset + size > len(self.data):
            raise NotElf("truncated")
        return struct.unpack(fmt, self.data[offset:offset + size])

    def segments(self):
        """(type, offset, filesz) of each program header."""
        for p_type, offset, _, filesz in self.program_headers():
            yield p_type, offset, filesz

    def program_headers(self):
        """(type, offset, vaddr, filesz) of each program header."""
        for i in range(self.phnum):
            at = self.phoff + i * self.phentsize
            if self.is64:
                p_type, _, offset, vaddr, _, filesz, _, _ = self.unpack("IIQQQQQQ", at)
            else:
                p_type, offset, vaddr, _, filesz, _, _, _ = self.unpack("IIIIIIII", at)
            yield p_type, offset, vaddr, filesz

    def file_offset(self, vaddr):
        """Where the byte at ``vaddr`` lies in the file; None outside every PT_LOAD segment."""
        for p_type, offset, start, filesz in self.program_headers():
            if p_type == PT_LOAD and start <= vaddr < start + filesz:
                return offset + vaddr - start
        return None

    def sections(self):
        """(type, offset, size, link, entsize) of each section header."""
        for i in range(self.shnum):
            at = self.shoff + i * self.shentsize
            if self.is64:
                _, sh_type, _, _, offset, size, link, _, _, entsize = self.unpack("IIQQQQIIQQ", at)
            else:
                _, sh_type, _, _, offset, size, link, _, _, entsize = self.unpack("IIIIIIIIII", at)
            yield sh_type, offset, size, link, entsize

    def dynamic(self):
        """(tag, value) of the dynamic section, up to DT_NULL."""
        fmt, step = ("qQ", 16) if self.is64 else ("iI", 8)
        for p_type, offset, filesz in self.segments():
            if p_type != PT_DYNAMIC:
                continue
            for at in range(offset, offset + filesz - step + 1, step):
                tag, value = self.unpack(fmt, at)
                if tag == DT_NULL:
                    return
                yield tag, value

    def dynamic_symbols(self):
        """(name, defined, is_function, value) of each symbol in .dynsym."""
        sections = list(self.sections())
        for sh_type, offset, size, link, entsize in sections:
            if sh_type != SHT_DYNSYM or not entsize or link >= len(sections):
                continue
            str_offset, str_size = sections[link][1], sections[link][2]
            strtab = self.data[str_offset:str_offset + str_size]
            for at in range(offset + entsize, offset + size - entsize + 1, entsize):
                if self.is64:
                    name, info, _, shndx, value, _ = self.unpack("IBBHQQ", at)
                else:
                    name, value, _, info, _, shndx = self.unpack("IIIBBH", at)
                if not name:
                    continue
                end = strtab.find(b"\0", name)
                text = strtab[name:end if end >= 0 else None].decode("ascii", "replace")
                yield text, shndx != 0, info & 0xF == STT_FUNC, value

    def imports(self):
        """The names of the undefined symbols in .dynsym."""
        return set(name for name, defined, _, _ in self.dynamic_symbols() if not defined)

    def landing_pads(self):
        """(exported functions, how many begin with a landing pad, the names of some that do not);
        (0, 0, []) on other machines."""
        total = padded = 0
        bare = []
        for name, defined, function, value in self.dynamic_symbols():
            if not (defined and function and value):
                continue
            at = self.file_offset(value)
            if at is None:
                continue
            first = self.data[at:at + 4]
            if self.machine == EM_X86_64:
                pad = first == ENDBR64
            elif self.machine == EM_AARCH64 and len(first) == 4:
                pad = struct.unpack(self.end + "I", first)[0] in AARCH64_PADS
            else:
                continue
            total += 1
            padded += pad
            if not pad and len(bare) < 10:
                bare.append(name)
        return total, padded, sorted(bare)

    def features(self):
        """The feature bits of the GNU property note: (x86 FEATURE_1_AND, AArch64 FEATURE_1_AND)."""
        x86 = aarch64 = None
        align = 8 if self.is64 else 4
        for sh_type, offset, size, _, _ in self.sections():
            if sh_type != SHT_NOTE:
                continue
            at, stop = offset, offset + size
            while at + 12 <= stop:
                namesz, descsz, n_type = self.unpack("III", at)
                name_at = at + 12
                desc_at = name_at + (namesz + 3) // 4 * 4
                if n_type == NT_GNU_PROPERTY_TYPE_0 and self.data[name_at:name_at + namesz] == b"GNU\0":
                    p, p_end = desc_at, desc_at + descsz
                    while p + 8 <= p_end:
                        pr_type, pr_datasz = self.unpack("II", p)
                        if pr_datasz >= 4 and pr_type == GNU_PROPERTY_X86_FEATURE_1_AND:
                            x86 = self.unpack("I", p + 8)[0]
                        if pr_datasz >= 4 and pr_type == GNU_PROPERTY_AARCH64_FEATURE_1_AND:
                            aarch64 = self.unpack("I", p + 8)[0]
                        p += 8 + (pr_datasz + align - 1) // align * align
                at = desc_at + (descsz + align - 1) // align * align
        return x86, aarch64


def scan(data):
    """The hardening facts of one ELF file, as a dict."""
    elf = Elf(data)
    segments = [s[0] for s in elf.segments()]
    dynamic = list(elf.dynamic())
    flags = sum(v for t, v in dynamic if t == DT_FLAGS)
    flags_1 = sum(v for t, v in dynamic if t == DT_FLAGS_1)
    imports = elf.imports()
    x86, aarch64 = elf.features()
    exported, padded, bare = elf.landing_pads()
    machine = {EM_X86_64: "x86_64", EM_AARCH64: "aarch64"}.get(elf.machine, str(elf.machine))
    return {
        "machine": machine,
        "type": {1: "rel", 2: "exec", 3: "dyn"}.get(elf.type, str(elf.type)),
        "interp": PT_INTERP in segments,
        "relro": PT_GNU_RELRO in segments,
        "bindnow": any(t == DT_BIND_NOW for t, _ in dynamic) or bool(flags & DF_BIND_NOW) or bool(flags_1 & DF_1_NOW),
        "stack_chk": "__stack_chk_fail" in imports,
        "fortified": sorted(n for n in imports if n.startswith("__") and n.endswith("_chk") and "stack_chk" not in n),
        "fortifiable": sorted(n for n in imports if n in FORTIFIABLE),
        "x86_features": x86,
        "aarch64_features": aarch64,
        "exported_functions": exported,
        "landing_pads": padded,
        "no_landing_pad": bare,
    }


def main(dirs):
    for top in dirs:
        for folder, subdirs, files in os.walk(top):
            subdirs.sort()
            for name in sorted(files):
                path = os.path.join(folder, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                with open(path, "rb") as f:
                    if f.read(4) != b"\x7fELF":
                        continue
                    f.seek(0)
                    data = f.read()
                try:
                    facts = scan(data)
                except (NotElf, struct.error) as exc:
                    facts = {"error": str(exc)}
                facts["path"] = path
                sys.stdout.write(json.dumps(facts, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
