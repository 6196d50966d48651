"""Reading /proc for independent_pagemap.py (stdlib only, needs root).

smaps and maps parsing, pagemap reads of the populated ranges of a mapping
(found with the PAGEMAP_SCAN ioctl where the kernel has it), the zero-page
probe in the checker's own address space, mount types per mount namespace,
kernel threads and swap areas. No accounting rule lives here: those are in
independent_pagemap.py's docstring.
"""

import array
import ctypes
import errno
import mmap
import os

PAGE = os.sysconf("SC_PAGE_SIZE")
PRESENT = 1 << 63
PFN_MASK = (1 << 55) - 1
CHUNK_PAGES = 1 << 16  # 512 KiB of pagemap per read
ZERO_CHUNK = bytes(CHUNK_PAGES * 8)
PF_KTHREAD = 0x00200000
MADV_HUGEPAGE = 14

# smaps fields whose change between two reads means "read again".
STABLE_FIELDS = ("Rss", "Anonymous", "Swap", "KSM", "Shared_Hugetlb",
                 "Private_Hugetlb")


class ProbeError(Exception):
    """The zero-page probe in the checker's own address space failed."""


class Vanished(Exception):
    """The process exited (or its pid is gone) while it was being read."""


class Mapping:
    """One smaps entry: address range, perms, device, path, kB fields."""

    def __init__(self, header):
        """Parses the mapping's header line ("start-end perms ...")."""
        fields = header.split(None, 5)
        self.start, self.end = (int(x, 16) for x in fields[0].split("-"))
        self.private = fields[1][3] == "p"
        major, minor = fields[3].split(":")
        self.dev = (int(major, 16), int(minor, 16))
        self.inode = int(fields[4])
        self.path = fields[5].strip() if len(fields) > 5 else ""
        self.kb = {}
        self.vmflags = ()

    def key(self):
        """What must not change between two smaps reads."""
        return (self.start, self.end, self.path,
                tuple(self.kb.get(f) for f in STABLE_FIELDS))


def read_smaps(pid):
    """Returns the process's [Mapping] from /proc/PID/smaps."""
    out = []
    try:
        with open("/proc/%d/smaps" % pid) as f:
            for line in f:
                if line[0] in "0123456789abcdef":
                    out.append(Mapping(line))
                elif line.startswith("VmFlags:"):
                    out[-1].vmflags = tuple(line.split()[1:])
                else:
                    parts = line.split()
                    if len(parts) == 3 and parts[2] == "kB":
                        out[-1].kb[parts[0][:-1]] = int(parts[1])
    except (FileNotFoundError, ProcessLookupError):
        raise Vanished()
    return out


def read_vmas(pid):
    """Returns [(start, end)] of the process's mappings from /proc/PID/maps."""
    vmas = []
    try:
        with open("/proc/%d/maps" % pid) as f:
            for line in f:
                fields = line.split(None, 5)
                if len(fields) >= 6 and fields[5].strip() == "[vsyscall]":
                    continue
                start, end = (int(x, 16) for x in fields[0].split("-"))
                vmas.append((start, end))
    except (FileNotFoundError, ProcessLookupError):
        raise Vanished()
    return vmas


class PmScanArg(ctypes.Structure):
    """struct pm_scan_arg of linux/fs.h (PAGEMAP_SCAN, Linux 6.7)."""
    _fields_ = [(n, ctypes.c_uint64) for n in (
        "size", "flags", "start", "end", "walk_end", "vec", "vec_len",
        "max_pages", "category_inverted", "category_mask",
        "category_anyof_mask", "return_mask")]


PAGEMAP_SCAN = 0xC0606610  # _IOWR('f', 16, struct pm_scan_arg)
PAGE_IS_PRESENT, PAGE_IS_SWAPPED = 1 << 3, 1 << 4
SCAN_REGIONS = 512
_libc = ctypes.CDLL(None, use_errno=True)
_libc.ioctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p)
_scan = {"supported": True}


def populated(fd, start, end):
    """The ranges of [start, end) with present or swapped pages, from the
    PAGEMAP_SCAN ioctl; [(start, end)] where the kernel lacks it. Only used
    to skip holes (a 128 TiB sanitizer reservation would otherwise mean
    reading 256 GiB of pagemap); every entry counted is read from pagemap."""
    if not _scan["supported"]:
        return [(start, end)]
    vec = (ctypes.c_uint64 * (3 * SCAN_REGIONS))()
    arg = PmScanArg(size=ctypes.sizeof(PmScanArg), end=end,
                    vec=ctypes.addressof(vec), vec_len=SCAN_REGIONS,
                    category_anyof_mask=PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
                    return_mask=PAGE_IS_PRESENT | PAGE_IS_SWAPPED)
    out = []
    while start < end:
        arg.start, arg.walk_end = start, 0
        n = _libc.ioctl(fd, PAGEMAP_SCAN, ctypes.addressof(arg))
        if n < 0:
            err = ctypes.get_errno()
            if err in (errno.EINVAL, errno.ENOTTY, errno.EOPNOTSUPP):
                _scan["supported"] = False
                return [(start, end)] if not out else out + [(start, end)]
            if err == errno.ESRCH:
                raise Vanished()
            raise OSError(err, os.strerror(err))
        for i in range(n):
            out.append((vec[3 * i], vec[3 * i + 1]))
        if arg.walk_end <= start:
            break
        start = arg.walk_end
    return out


def pagemap_chunks(fd, start, end):
    """Yields (first virtual page, array of entries) for the populated
    parts of [start, end), read CHUNK_PAGES at a time; chunks that are all
    zero are skipped. A short read (the mapping went away) ends a range."""
    for first, last in populated(fd, start, end):
        page, last = first // PAGE, last // PAGE
        while page < last:
            n = min(CHUNK_PAGES, last - page)
            try:
                data = os.pread(fd, n * 8, page * 8)
            except ProcessLookupError:
                raise Vanished()
            if data != ZERO_CHUNK[:len(data)]:
                a = array.array("Q")
                a.frombytes(data[:len(data) // 8 * 8])
                yield page, a
            if len(data) != n * 8:
                break
            page += n


def open_pagemap(pid):
    """An fd on /proc/PID/pagemap (Vanished if the process is gone)."""
    try:
        return os.open("/proc/%d/pagemap" % pid, os.O_RDONLY)
    except (FileNotFoundError, ProcessLookupError):
        raise Vanished()


def own_pagemap_entry(addr):
    """The checker's own pagemap entry for virtual address addr."""
    fd = os.open("/proc/self/pagemap", os.O_RDONLY)
    try:
        return int.from_bytes(os.pread(fd, 8, addr // PAGE * 8), "little")
    finally:
        os.close(fd)


def find_zero_pfns():
    """Returns (zero page PFN or None, first PFN of the huge zero page or
    None, its number of base pages), read from the checker's own page
    tables (see independent_pagemap.py's docstring). A zero page is what two
    fresh read-only pages share."""
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
    prot = mmap.PROT_READ | mmap.PROT_WRITE
    small = mmap.mmap(-1, 2 * PAGE, flags=flags, prot=prot)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(small))
    if small[0] != 0 or small[PAGE] != 0:  # read faults
        raise ProbeError("fresh anonymous page is not zero")
    e, e2 = own_pagemap_entry(addr), own_pagemap_entry(addr + PAGE)
    if not e & PRESENT or not e & PFN_MASK:
        raise ProbeError(
            "cannot find the zero page's PFN (no CAP_SYS_ADMIN?)")
    zero = e & PFN_MASK if e & PFN_MASK == e2 & PFN_MASK else None
    huge, hsize = None, 0
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            thp = "[never]" not in f.read()
        with open("/sys/kernel/mm/transparent_hugepage/use_zero_page") as f:
            thp = thp and f.read().strip() == "1"
        with open("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size") as f:
            hsize = int(f.read())
    except OSError:
        thp = False
    if thp:
        region = mmap.mmap(-1, 3 * hsize, flags=flags, prot=prot)
        base = ctypes.addressof(ctypes.c_char.from_buffer(region))
        aligned = (base + hsize - 1) // hsize * hsize
        _libc.madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t,
                                  ctypes.c_int)
        if _libc.madvise(aligned, 2 * hsize, MADV_HUGEPAGE) == 0:
            firsts = []
            for h in (aligned, aligned + hsize):
                if region[h - base] != 0:
                    raise ProbeError("fresh huge page is not zero")
                first = own_pagemap_entry(h) & PFN_MASK
                last = own_pagemap_entry(h + hsize - PAGE) & PFN_MASK
                if last == first + hsize // PAGE - 1:
                    firsts.append(first)
            if len(firsts) == 2 and firsts[0] == firsts[1] != zero:
                huge = firsts[0]
    return zero, huge, hsize // PAGE


def mount_fstypes(pid, cache):
    """{(major, minor): fstype} of the process's mount namespace."""
    try:
        ns = os.readlink("/proc/%d/ns/mnt" % pid)
    except OSError:
        ns = pid
    if ns not in cache:
        types = {}
        try:
            with open("/proc/%d/mountinfo" % pid) as f:
                for line in f:
                    fields = line.split()
                    major, minor = fields[2].split(":")
                    types[(int(major), int(minor))] = \
                        fields[fields.index("-") + 1]
        except OSError:
            if not os.path.exists("/proc/%d" % pid):
                raise Vanished()
            # A zombie's mountinfo fails (EINVAL); it has no mappings.
            return {}
        cache[ns] = types
    return cache[ns]


def kernel_thread(pid):
    """True for kernel threads (PF_KTHREAD in /proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        stat = f.read()
    return bool(int(stat[stat.rindex(")") + 2:].split()[6]) & PF_KTHREAD)


def swap_areas():
    """Number of active swap areas (lines of /proc/swaps after the header)."""
    with open("/proc/swaps") as f:
        return max(0, len(f.read().splitlines()) - 1)
