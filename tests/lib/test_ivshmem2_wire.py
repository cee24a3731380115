# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""The Python mirror (ivshmem2_wire) agrees with include/ivshmem2/*.h.

A C program compiled against the headers prints every constant, the message
sizes and field offsets, and the results of ivshmem2_msg_init_check(),
ivshmem2_msg_info_check(), ivshmem2_layout_compute() and IVSHMEM2_DOORBELL()
for a table of inputs;
each is compared with the Python value. Every numeric #define and every
enumerator of the headers must have its Python twin.
"""

import importlib.util
import itertools
import re
import shutil
import struct
import subprocess

import pytest

import ivshmem2_wire as w

HEADERS = ("wire.h", "regs.h", "shmem.h")


def header_text(paths, name):
    return (paths.REPO / "include" / "ivshmem2" / name).read_text()


def object_macros(paths):
    """IVSHMEM2_* object-like macros with a value (not guards, not functions)."""
    names = []
    for h in HEADERS:
        for m in re.finditer(r"^#define\s+IVSHMEM2_(\w+)[ \t]+\S", header_text(paths, h), re.M):
            names.append(m.group(1))
    return names


def enumerators(paths, enum):
    """Names of enum @enum's enumerators, IVSHMEM2_ stripped, in order."""
    for h in HEADERS:
        m = re.search(rf"enum {enum} {{(.*?)}};", header_text(paths, h), re.S)
        if m:
            body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
            return re.findall(r"IVSHMEM2_(\w+)", body)
    raise AssertionError(f"enum {enum} not found")


def offsets(fmt, base=0):
    """Field offsets of a packed little-endian struct format."""
    out, pos = [], base
    for code in fmt.lstrip("<"):
        out.append(pos)
        pos += struct.calcsize("<" + code)
    return out


# Inputs for the C functions, mirrored in Python.
BASE = dict(msg_type=w.MSG_INIT, header_len=None, length=w.INIT_LEN,
            init=w.Init(id=1, max_peers=2, vectors=1, protocol=w.PROTO_ETHERNET),
            max_vectors=w.MAX_VECTORS)


def init_cases():
    cases = []

    def case(**kw):
        c = dict(BASE, **kw)
        if isinstance(c["init"], dict):
            c["init"] = w.Init(**dict(BASE["init"].__dict__, **c["init"]))
        cases.append(c)

    case()
    for length in (0, 1, 7, 8, 20, 39, 40, 41, 63, 64, 65, 1000):
        case(length=length)
    for msg_type in (w.MSG_EVENT_FD, w.MSG_PEER_GONE, 3, 0xFFFFFFFF):
        case(msg_type=msg_type)
        case(msg_type=msg_type, length=w.EVENT_FD_LEN)
    for header_len in (0, 8, 39, 41, 64, 0xFFFFFFFF):
        case(header_len=header_len)
    for version, compat in itertools.product((0, 1, 2, 3, 0xFFFFFFFF), repeat=2):
        case(init={"version": version, "compatible_version": compat})
    for max_peers, peer_id in itertools.product((0, 1, 2, 3, 1023, 1024, 1025, 0xFFFFFFFF),
                                                (0, 1, 2, 1023, 1024, 0xFFFF, 0xFFFFFFFF)):
        case(init={"max_peers": max_peers, "id": peer_id})
    for vectors, max_vectors in itertools.product((0, 1, 2, 64, 65, 1024, 1025, 0xFFFFFFFF),
                                                  (1, 64, 1024)):
        case(init={"vectors": vectors}, max_vectors=max_vectors)
    for protocol in (0, 1, 0x8003, 0xFFFF, 0x10000, 0xFFFFFFFF):
        case(init={"protocol": protocol})
    # several faults at once: the order of the checks matters
    case(length=7, msg_type=1)
    case(msg_type=1, header_len=1)
    case(length=39, init={"version": 0})
    case(init={"version": 1, "compatible_version": 0, "max_peers": 0})
    case(init={"max_peers": 1, "id": 5, "vectors": 0, "protocol": 0x10000})
    case(init={"id": 2, "vectors": 0})
    case(init={"vectors": 0, "protocol": 0x10000})
    return cases


def info_cases():
    """(Info, length, msg_type, header_len) reaching every INFO verdict."""
    cases = []

    def case(length=w.INFO_LEN, msg_type=w.MSG_INFO, header_len=None, **fields):
        cases.append((w.Info(**fields), length, msg_type, header_len))

    case()
    for length in (0, 7, 8, 63, 64, 68, 65, w.MSG_INFO_MAX_LEN, w.MSG_INFO_MAX_LEN + 1, 1 << 20):
        case(length=length)
    for msg_type in (w.MSG_INIT, w.MSG_EVENT_FD, w.MSG_PEER_GONE, 4, 0xFFFFFFFF):
        case(msg_type=msg_type)
    for header_len in (0, 63, 65, 0xFFFFFFFF):
        case(header_len=header_len)
    for version, compat in itertools.product((0, 1, 2, 3, 0xFFFFFFFF), repeat=2):
        case(version=version, compatible_version=compat)
    for max_peers in (0, 1, 2, 1024, 1025, 0xFFFFFFFF):
        case(max_peers=max_peers)
    for vectors in (0, 1, 64, 65, 0xFFFFFFFF):
        case(vectors=vectors)
    for protocol in (0, 0x4932, 0xFFFF, 0x10000):
        case(protocol=protocol)
    for page in (0, 1, 3, 4096, 4097, 2 << 20, 1 << 63, (1 << 64) - 1):
        case(page_size=page)
    for num_peers, length, max_peers in ((0, 64, 2), (1, 64, 2), (1, 68, 2), (2, 72, 2),
                                         (3, 76, 2), (2, 71, 2), (2, 100, 4),
                                         (1024, w.MSG_INFO_MAX_LEN, 1024),
                                         (0xFFFFFFFF, 64, 1024)):
        case(num_peers=num_peers, length=length, max_peers=max_peers)
    # several faults at once
    case(length=7, msg_type=1)
    case(length=63, version=0)
    case(version=1, compatible_version=0, max_peers=0)
    case(max_peers=1, vectors=0, protocol=0x10000, page_size=3)
    case(protocol=0x10000, page_size=0, num_peers=5)
    return cases


def layout_cases():
    k, m = 1 << 10, 1 << 20
    sizes = (0, 4 * k, 8 * k, 64 * k, 1 * m, 1 * m + 4 * k, 2 * m, 1 << 40)
    outputs = (0, 4 * k, 30 * k, 32 * k, 256 * k, 2 * m)
    peers = (0, 1, 2, 3, 1024, 1025)
    pages = (4 * k, 2 * m, 0, 3 * k)
    return list(itertools.product(sizes, peers, outputs, pages))


DOORBELLS = [(0, 0), (1, 2), (0xFFFF, 0xFFFF), (0x12345, 0x1ABCD), (1023, 1024)]


def c_program(paths):
    lines = ['#include <stddef.h>', '#include <stdio.h>', '#include <string.h>',
             '#include "ivshmem2/wire.h"',
             '#define V(n) printf("const %s %llu\\n", #n, (unsigned long long)(IVSHMEM2_##n))',
             '#define OFF(s, f) printf("offset %s.%s %zu\\n", #s, #f, offsetof(struct s, f))',
             '#define SIZE(s) printf("size %s %zu\\n", #s, sizeof(struct s))',
             'static void init_case(int i, uint32_t type, uint32_t hlen, size_t len,',
             '    uint32_t version, uint32_t compat, uint32_t id, uint32_t max_peers,',
             '    uint32_t vectors, uint32_t protocol, uint32_t max_vectors)',
             '{',
             '    struct ivshmem2_msg_init m;',
             '    memset(&m, 0, sizeof(m));',
             '    m.header.type = type; m.header.len = hlen; m.version = version;',
             '    m.compatible_version = compat; m.id = id; m.max_peers = max_peers;',
             '    m.vectors = vectors; m.protocol = protocol;',
             '    printf("init %d %d\\n", i, (int)ivshmem2_msg_init_check(&m, len, max_vectors));',
             '}',
             'static void info_case(int i, uint32_t type, uint32_t hlen, size_t len,',
             '    uint32_t version, uint32_t compat, uint32_t max_peers, uint32_t vectors,',
             '    uint32_t protocol, uint64_t page_size, uint32_t num_peers)',
             '{',
             '    struct ivshmem2_msg_info m;',
             '    memset(&m, 0, sizeof(m));',
             '    m.header.type = type; m.header.len = hlen; m.version = version;',
             '    m.compatible_version = compat; m.max_peers = max_peers;',
             '    m.vectors = vectors; m.protocol = protocol; m.page_size = page_size;',
             '    m.num_peers = num_peers;',
             '    printf("info %d %d\\n", i, (int)ivshmem2_msg_info_check(&m, len));',
             '}',
             'static void layout_case(int i, uint64_t size, uint32_t peers, uint64_t out,',
             '    uint64_t page)',
             '{',
             '    struct ivshmem2_layout l;',
             '    enum ivshmem2_layout_error e;',
             '    memset(&l, 0, sizeof(l));',
             '    e = ivshmem2_layout_compute(&l, size, peers, out, page);',
             '    printf("layout %d %d %llu %llu %llu %llu %llu %llu %u\\n", i, (int)e,',
             '           (unsigned long long)l.shm_size, (unsigned long long)l.state_table_size,',
             '           (unsigned long long)l.rw_section_offset,',
             '           (unsigned long long)l.rw_section_size,',
             '           (unsigned long long)l.output_section_offset,',
             '           (unsigned long long)l.output_section_size, l.max_peers);',
             '}',
             'int main(void)', '{']
    body = [f"V({n});" for n in object_macros(paths)]
    for enum in ("ivshmem2_msg_type", "ivshmem2_msg_init_error", "ivshmem2_layout_error",
                 "ivshmem2_info_backend", "ivshmem2_msg_info_error"):
        body += [f"V({n});" for n in enumerators(paths, enum)]
    for s in ("ivshmem2_msg_header", "ivshmem2_msg_init", "ivshmem2_msg_event_fd",
              "ivshmem2_msg_peer_gone", "ivshmem2_msg_info", "ivshmem2_layout"):
        body.append(f"SIZE({s});")
    body += ["OFF(ivshmem2_msg_header, type);", "OFF(ivshmem2_msg_header, len);"]
    for s, fields in (("ivshmem2_msg_init", w.INIT_FIELDS),
                      ("ivshmem2_msg_event_fd", w.EVENT_FD_FIELDS),
                      ("ivshmem2_msg_peer_gone", w.PEER_GONE_FIELDS),
                      ("ivshmem2_msg_info", w.INFO_FIELDS)):
        body += [f"OFF({s}, {f});" for f in fields]
    for i, name in enumerate(w.INIT_ERRORS):
        body.append(f'printf("init_strerror {i} %s\\n", ivshmem2_msg_init_strerror('
                    f'IVSHMEM2_MSG_INIT_{name}));')
    for i, name in enumerate(w.LAYOUT_ERRORS):
        body.append(f'printf("layout_strerror {i} %s\\n", ivshmem2_layout_strerror('
                    f'IVSHMEM2_LAYOUT_{name}));')
    for i, name in enumerate(w.INFO_ERRORS):
        body.append(f'printf("info_strerror {i} %s\\n", ivshmem2_msg_info_strerror('
                    f'IVSHMEM2_MSG_INFO_{name}));')
    for i, (m, length, msg_type, hlen) in enumerate(info_cases()):
        hlen = length if hlen is None else hlen
        body.append(f"info_case({i}, {msg_type}u, {hlen}u, {length}u, {m.version}u, "
                    f"{m.compatible_version}u, {m.max_peers}u, {m.vectors}u, {m.protocol}u, "
                    f"{m.page_size}ull, {m.num_peers}u);")
    for i, c in enumerate(init_cases()):
        m = c["init"]
        hlen = c["length"] if c["header_len"] is None else c["header_len"]
        body.append(f"init_case({i}, {c['msg_type']}u, {hlen}u, {c['length']}u, {m.version}u, "
                    f"{m.compatible_version}u, {m.id}u, {m.max_peers}u, {m.vectors}u, "
                    f"{m.protocol}u, {c['max_vectors']}u);")
    for i, (size, peers, out, page) in enumerate(layout_cases()):
        body.append(f"layout_case({i}, {size}ull, {peers}u, {out}ull, {page}ull);")
    for i, (peer, vector) in enumerate(DOORBELLS):
        body.append(f'printf("doorbell {i} %u %u %u\\n", (unsigned)IVSHMEM2_DOORBELL({peer}u, '
                    f'{vector}u), (unsigned)IVSHMEM2_DOORBELL_PEER(IVSHMEM2_DOORBELL({peer}u, '
                    f'{vector}u)), (unsigned)IVSHMEM2_DOORBELL_VECTOR('
                    f'IVSHMEM2_DOORBELL({peer}u, {vector}u)));')
    return "\n".join(lines + ["    " + b for b in body] + ["    return 0;", "}", ""])


@pytest.fixture(scope="module")
def c_side(paths, tmp_path_factory):
    """The C program's output as {kind: {key: rest}}."""
    cc = shutil.which("cc") or shutil.which("gcc")
    assert cc, "no C compiler (cc) in PATH"
    d = tmp_path_factory.mktemp("wire-mirror")
    src, exe = d / "mirror.c", d / "mirror"
    src.write_text(c_program(paths))
    res = subprocess.run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror",
                          f"-I{paths.REPO / 'include'}", "-o", str(exe), str(src)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, f"{src} does not compile:\n{res.stderr}"
    out = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60, check=True)
    parsed = {}
    for line in out.stdout.splitlines():
        kind, key, rest = (line.split(" ", 2) + [""])[:3]
        parsed.setdefault(kind, {})[key] = rest
    return parsed


def test_every_macro_has_its_python_twin(paths, c_side):
    missing = [n for n in object_macros(paths) if not hasattr(w, n)]
    assert not missing, f"ivshmem2_wire.py lacks {missing}"
    wrong = {n: (getattr(w, n), int(v)) for n, v in c_side["const"].items()
             if hasattr(w, n) and getattr(w, n) != int(v)}
    assert not wrong, f"Python value != C value: {wrong}"


def test_message_types(paths, c_side):
    names = enumerators(paths, "ivshmem2_msg_type")
    assert names == [f"MSG_{t}" for t in w.MSG_NAMES.values()]
    for n in names:
        assert getattr(w, n) == int(c_side["const"][n]), n
    # MSG_LEN: the peer socket's messages; INFO is the info socket's only one.
    assert set(w.MSG_LEN) == set(w.MSG_NAMES) - {w.MSG_INFO}


def test_message_layouts(c_side):
    size, off = c_side["size"], c_side["offset"]
    assert int(size["ivshmem2_msg_header"]) == w.HEADER.size
    assert [int(off["ivshmem2_msg_header.type"]), int(off["ivshmem2_msg_header.len"])] == \
        offsets(w.HEADER.format)
    for s, fields, body, length in (
            ("ivshmem2_msg_init", w.INIT_FIELDS, w.INIT_BODY, w.INIT_LEN),
            ("ivshmem2_msg_event_fd", w.EVENT_FD_FIELDS, w.EVENT_FD_BODY, w.EVENT_FD_LEN),
            ("ivshmem2_msg_peer_gone", w.PEER_GONE_FIELDS, w.PEER_GONE_BODY, w.PEER_GONE_LEN),
            ("ivshmem2_msg_info", w.INFO_FIELDS, w.INFO_BODY, w.INFO_LEN)):
        assert int(size[s]) == length == w.HEADER.size + body.size, s
        assert len(fields) == len(body.format.lstrip("<")), s
        assert [int(off[f"{s}.{f}"]) for f in fields] == offsets(body.format, w.HEADER.size), s
    assert w.Init.__dataclass_fields__.keys() == set(w.INIT_FIELDS)
    assert list(w.Init.__dataclass_fields__) == list(w.INIT_FIELDS)
    assert len(w.msg_init()) == w.INIT_LEN and len(w.msg_init(extra=b"12")) == w.INIT_LEN + 2
    assert len(w.msg_event_fd(0, 0)) == w.EVENT_FD_LEN
    assert len(w.msg_peer_gone(0)) == w.PEER_GONE_LEN
    assert list(w.Info.__dataclass_fields__) == list(w.INFO_FIELDS)
    msg = w.msg_info(w.Info(num_peers=2), [1, 0], extra=b"abcd")
    assert len(msg) == w.INFO_LEN + 4 + 8
    assert w.parse_info(msg) == (w.Info(num_peers=2), [1, 0])
    assert w.info_check(w.Info(num_peers=2), len(msg)) == "OK"


def test_info_enums(paths, c_side):
    assert enumerators(paths, "ivshmem2_info_backend") == \
        ["INFO_BACKEND_MEMFD", "INFO_BACKEND_POSIX", "INFO_BACKEND_DIR"]
    for n in ("INFO_BACKEND_MEMFD", "INFO_BACKEND_POSIX", "INFO_BACKEND_DIR"):
        assert getattr(w, n) == int(c_side["const"][n]), n
    assert enumerators(paths, "ivshmem2_msg_info_error") == \
        [f"MSG_INFO_{n}" for n in w.INFO_ERRORS]
    for i, (name, phrase) in enumerate(w.INFO_ERRORS.items()):
        assert int(c_side["const"][f"MSG_INFO_{name}"]) == i
        assert c_side["info_strerror"][str(i)] == phrase, name


def test_info_check_agrees(c_side):
    names = list(w.INFO_ERRORS)
    cases = info_cases()
    got = c_side["info"]
    assert len(got) == len(cases)
    diff = []
    for i, (m, length, msg_type, hlen) in enumerate(cases):
        py = w.info_check(m, length, msg_type, hlen)
        if names[int(got[str(i)])] != py:
            diff.append((m, length, msg_type, hlen, names[int(got[str(i)])], py))
    assert not diff, f"C and Python disagree (case, C, Python): {diff[:5]}"
    assert {names[int(v)] for v in got.values()} == set(names)


def test_init_errors_and_phrases(paths, c_side):
    assert enumerators(paths, "ivshmem2_msg_init_error") == \
        [f"MSG_INIT_{n}" for n in w.INIT_ERRORS]
    for i, (name, phrase) in enumerate(w.INIT_ERRORS.items()):
        assert int(c_side["const"][f"MSG_INIT_{name}"]) == i
        assert c_side["init_strerror"][str(i)] == phrase, name


def test_init_check_agrees(c_side):
    names = list(w.INIT_ERRORS)
    cases = init_cases()
    got = c_side["init"]
    assert len(got) == len(cases)
    diff = []
    for i, c in enumerate(cases):
        py = w.init_check(c["init"], c["length"], c["max_vectors"], c["msg_type"],
                          c["header_len"])
        if names[int(got[str(i)])] != py:
            diff.append((c, names[int(got[str(i)])], py))
    assert not diff, f"C and Python disagree (case, C, Python): {diff[:5]}"
    # the table reaches every reason
    assert {names[int(v)] for v in got.values()} == set(names)


def test_version_cases_span_the_rule():
    verdicts = [w.init_check(w.Init(version=v, compatible_version=c))
                for v, c in w.INIT_VERSION_CASES]
    assert {"OK", "NO_COMPAT_VERSION", "SERVER_TOO_OLD", "SERVER_TOO_NEW"} == set(verdicts)


def test_layout_agrees(paths, c_side):
    assert enumerators(paths, "ivshmem2_layout_error") == [f"LAYOUT_{n}" for n in w.LAYOUT_ERRORS]
    for i, (name, phrase) in enumerate(w.LAYOUT_ERRORS.items()):
        assert int(c_side["const"][f"LAYOUT_{name}"]) == i
        assert c_side["layout_strerror"][str(i)] == phrase, name
    assert list(w.Layout.__dataclass_fields__) == [
        "shm_size", "state_table_size", "rw_section_offset", "rw_section_size",
        "output_section_offset", "output_section_size", "max_peers"]
    names = list(w.LAYOUT_ERRORS)
    seen = set()
    for i, (size, peers, out, page) in enumerate(layout_cases()):
        err, *fields = (int(x) for x in c_side["layout"][str(i)].split())
        try:
            lay = w.compute_layout(size, peers, out, page)
            py = ("OK", [lay.shm_size, lay.state_table_size, lay.rw_section_offset,
                         lay.rw_section_size, lay.output_section_offset,
                         lay.output_section_size, lay.max_peers])
        except w.LayoutError as e:
            py = (e.reason, None)
        c = (names[err], fields if err == 0 else None)
        assert c == py, f"layout({size}, {peers}, {out}, {page}): C {c}, Python {py}"
        seen.add(names[err])
    assert seen == set(names)


def test_doorbell_agrees(c_side):
    for i, (peer, vector) in enumerate(DOORBELLS):
        val, p, v = (int(x) for x in c_side["doorbell"][str(i)].split())
        assert val == w.doorbell(peer, vector)
        assert (p, v) == (peer & 0xFFFF, vector & 0xFFFF)


def test_guest_tools_agree(paths):
    """scripts/guest/iv2pci.py runs inside guests alone, with its own copy."""
    spec = importlib.util.spec_from_file_location(
        "iv2pci", paths.REPO / "scripts" / "guest" / "iv2pci.py")
    iv2pci = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(iv2pci)
    assert (iv2pci.VENDOR, iv2pci.DEVICE, iv2pci.CAP_VENDOR) == \
        (w.PCI_VENDOR_ID, w.PCI_DEVICE_ID, w.CAP_ID)
    assert (iv2pci.REG_ID, iv2pci.REG_MAX_PEERS, iv2pci.REG_INT_CONTROL, iv2pci.REG_DOORBELL,
            iv2pci.REG_STATE) == (w.REG_ID, w.REG_MAX_PEERS, w.REG_INT_CONTROL,
                                  w.REG_DOORBELL, w.REG_STATE)
