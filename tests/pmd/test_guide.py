# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""The PMD guide says what the code does.

- Every devarg key the driver registers (RTE_PMD_REGISTER_PARAM_STRING, built
  from the ETH_IVSHMEM2_*_ARG string macros) has a row in the option table of
  doc/guides/nics/ivshmem2.rst, and every row is a registered key. A key that
  only some attachments take says so ("vdev only").
- Every driver name the PMD registers, and every xstat name, is named in the guide.
- doc/guides/nics/features/ivshmem2.ini uses only feature names of DPDK 22.11's
  doc/guides/nics/features/default.ini, in its order, with values Y or P.

Pure source parsing: needs no build. All of drivers/net/ivshmem2/*.[ch] is
read, so the macros may live in any file of the driver.
"""

import configparser
import csv
import html
import re
from pathlib import Path
from typing import Dict, List, Set

import pytest

REPO = Path(__file__).resolve().parents[2]
DRIVER = REPO / "drivers" / "net" / "ivshmem2"
GUIDE = REPO / "doc" / "guides" / "nics" / "ivshmem2.rst"
FEATURES = REPO / "doc" / "guides" / "nics" / "features" / "ivshmem2.ini"
OPTION_HEADER = ["Option", "Description", "Default", "Valid value"]

# [Features] of DPDK 22.11's doc/guides/nics/features/default.ini, in order.
DPDK_22_11_FEATURES = [
    "Speed capabilities", "Link speed configuration", "Link status", "Link status event",
    "Removal event", "Queue status event", "Rx interrupt", "Lock-free Tx queue",
    "Fast mbuf free", "Free Tx mbuf on demand", "Queue start/stop", "Runtime Rx queue setup",
    "Runtime Tx queue setup", "Shared Rx queue", "Burst mode info",
    "Power mgmt address monitor", "MTU update", "Buffer split on Rx", "Scattered Rx", "LRO",
    "TSO", "Promiscuous mode", "Allmulticast mode", "Unicast MAC filter",
    "Multicast MAC filter", "RSS hash", "RSS key update", "RSS reta update", "Inner RSS",
    "VMDq", "SR-IOV", "DCB", "VLAN filter", "Flow control", "Rate limitation",
    "Congestion management", "Traffic manager", "Inline crypto", "Inline protocol",
    "CRC offload", "VLAN offload", "QinQ offload", "FEC", "IP reassembly",
    "L3 checksum offload", "L4 checksum offload", "Timestamp offload", "MACsec offload",
    "Inner L3 checksum", "Inner L4 checksum", "Packet type parsing", "Timesync",
    "Rx descriptor status", "Tx descriptor status", "Basic stats", "Extended stats",
    "Stats per queue", "FW version", "EEPROM dump", "Module EEPROM dump", "Registers dump",
    "LED", "Multiprocess aware", "FreeBSD", "Linux", "Windows", "ARMv7", "ARMv8",
    "LoongArch64", "Power8", "rv64", "x86-32", "x86-64", "Usage doc", "Design doc",
    "Perf doc",
]

# Where an installed DPDK may show its feature list: default.ini itself
# (a source tree) or the overview table Debian's dpdk-doc renders from it.
DEFAULT_INI_CANDIDATES = [
    Path("/usr/share/dpdk/doc/guides/nics/features/default.ini"),
    Path("/usr/share/doc/dpdk/guides/nics/features/default.ini"),
]
OVERVIEW_HTML = Path("/usr/share/doc/dpdk/guides/nics/overview.html")

# ---- C source ----

_C_TOKEN = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|/\*.*?\*/|//[^\n]*', re.S)


def strip_comments(src: str) -> str:
    """C source without comments (string and char literals kept intact)."""
    return _C_TOKEN.sub(lambda m: " " if m.group(0).startswith("/") else m.group(0), src)


def driver_source() -> str:
    files = sorted(DRIVER.glob("*.[ch]"))
    assert files, f"no C sources in {DRIVER}"
    return "\n".join(strip_comments(f.read_text()).replace("\\\n", " ") for f in files)


def string_macros(src: str) -> Dict[str, List[str]]:
    """#defines whose body is only string literals and identifiers: name -> tokens."""
    macros = {}
    for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(\w+)[ \t]+(.+)$", src, re.M):
        tokens = re.findall(r'"(?:\\.|[^"\\])*"|\w+|\S', m.group(2))
        if tokens and all(t.startswith('"') or re.fullmatch(r"[A-Za-z_]\w*", t)
                          for t in tokens) and any(t.startswith('"') for t in tokens):
            macros[m.group(1)] = tokens
    return macros


def expand(tokens: List[str], macros: Dict[str, List[str]], depth: int = 0) -> str:
    """Concatenate string literals, expanding macro names (as the preprocessor would)."""
    assert depth < 20, f"macro recursion in {tokens}"
    out = []
    for t in tokens:
        if t.startswith('"'):
            out.append(bytes(t[1:-1], "utf-8").decode("unicode_escape"))
        else:
            assert t in macros, f"{t} is not a string macro of the driver"
            out.append(expand(macros[t], macros, depth + 1))
    return "".join(out)


def param_strings(src: str, macros: Dict[str, List[str]]) -> Dict[str, str]:
    """Driver name -> the expanded RTE_PMD_REGISTER_PARAM_STRING text."""
    found = {}
    for m in re.finditer(r"\bRTE_PMD_REGISTER_PARAM_STRING\s*\(\s*(\w+)\s*,(.*?)\)\s*;",
                         src, re.S):
        tokens = re.findall(r'"(?:\\.|[^"\\])*"|\w+', m.group(2))
        found[m.group(1)] = expand(tokens, macros)
    return found


def keys_of(param_string: str) -> Set[str]:
    keys = re.findall(r"(?:^|\s)([A-Za-z0-9_-]+)=", param_string)
    assert len(keys) == len(set(keys)), f"duplicate key in {param_string!r}"
    return set(keys)


def registered_drivers(src: str) -> Dict[str, str]:
    """Driver name -> bus ("vdev" or "pci")."""
    return {m.group(2): m.group(1).lower()
            for m in re.finditer(r"\bRTE_PMD_REGISTER_(VDEV|PCI)\s*\(\s*(\w+)\s*,", src)}


# ---- guide ----

def csv_tables(rst: str) -> List[Dict[str, object]]:
    """Every csv-table directive of @rst: {"header": [...], "rows": [[...], ...]}."""
    tables = []
    lines = rst.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)\.\. csv-table::", lines[i])
        i += 1
        if not m:
            continue
        indent = len(m.group(1))
        header, body = None, []
        while i < len(lines) and (not lines[i].strip() or
                                  len(lines[i]) - len(lines[i].lstrip()) > indent):
            text = lines[i].strip()
            if text.startswith(":header:"):
                header = next(csv.reader([text[len(":header:"):]], skipinitialspace=True))
            elif text and not text.startswith(":"):
                body.append(text)
            i += 1
        tables.append({"header": header, "rows": list(csv.reader(body, skipinitialspace=True))})
    return tables


def option_table() -> Dict[str, List[str]]:
    """Devarg key -> its row in the guide's option table."""
    tables = [t for t in csv_tables(GUIDE.read_text()) if t["header"] == OPTION_HEADER]
    assert len(tables) == 1, f"{GUIDE}: want one csv-table with header {OPTION_HEADER}, " \
                             f"found {len(tables)}"
    rows = {}
    for row in tables[0]["rows"]:
        assert len(row) == len(OPTION_HEADER), f"{GUIDE}: option row {row} has " \
                                               f"{len(row)} columns"
        key = row[0].split("=", 1)[0].strip()
        assert key and "=" in row[0], f"{GUIDE}: option {row[0]!r} is not key=value"
        assert key not in rows, f"{GUIDE}: option {key} listed twice"
        rows[key] = row
    return rows


# ---- tests ----

def test_parsers_see_what_they_must():
    """The helpers find macros through other macros, in any file of the driver."""
    src = strip_comments('#define A "x"\n#define B A "=<n> " /* "c=" */\n'
                         'RTE_PMD_REGISTER_PARAM_STRING(d, B "y=<m>");\n')
    macros = string_macros(src)
    strings = param_strings(src, macros)
    assert strings == {"d": "x=<n> y=<m>"}
    assert keys_of(strings["d"]) == {"x", "y"}
    rst = (".. csv-table:: **t**\n   :header: \"Option\", \"Description\", \"Default\", "
           "\"Valid value\"\n\n   \"k=1\", \"a, b\", \"none\", \"x\"\n\nText\n")
    assert csv_tables(rst) == [{"header": OPTION_HEADER, "rows": [["k=1", "a, b", "none", "x"]]}]


def test_devargs_in_code_and_guide_are_the_same():
    src = driver_source()
    macros = string_macros(src)
    strings = param_strings(src, macros)
    assert strings, f"no RTE_PMD_REGISTER_PARAM_STRING in {DRIVER}"
    registered = set().union(*(keys_of(s) for s in strings.values()))
    arg_macros = {name: expand(tokens, macros) for name, tokens in macros.items()
                  if re.fullmatch(r"ETH_IVSHMEM2_\w+_ARG", name)}
    assert arg_macros, f"no ETH_IVSHMEM2_*_ARG macro in {DRIVER}"
    assert set(arg_macros.values()) == registered, \
        f"key macros {arg_macros} vs keys in the PARAM_STRINGs {strings}"

    documented = option_table()
    missing = registered - documented.keys()
    extra = documented.keys() - registered
    assert not missing, f"{GUIDE}: devargs {sorted(missing)} not in the option table"
    assert not extra, f"{GUIDE}: option table lists {sorted(extra)}, which no driver " \
                      f"registers ({strings})"


def test_guide_says_which_attachment_takes_a_key():
    src = driver_source()
    strings = param_strings(src, string_macros(src))
    buses = registered_drivers(src)
    documented = option_table()
    for key in set().union(*(keys_of(s) for s in strings.values())):
        takers = {buses.get(name, name) for name, s in strings.items() if key in keys_of(s)}
        if len(takers) < len(strings):
            (only,) = takers
            word = "PCI" if only == "pci" else only
            assert f"{word} only" in documented[key][1], \
                f"{GUIDE}: {key} is taken by the {only} driver only; its description " \
                f"must say '{word} only': {documented[key][1]!r}"


def test_guide_names_every_registered_driver():
    src = driver_source()
    drivers = registered_drivers(src)
    assert drivers, f"no RTE_PMD_REGISTER_VDEV/PCI in {DRIVER}"
    text = GUIDE.read_text()
    for name in drivers:
        assert re.search(rf"\b{re.escape(name)}\b", text), f"{GUIDE} never names {name}"


def test_guide_lists_every_xstat():
    src = driver_source()
    arrays = re.findall(r"xstat_names\s*\[[^\]]*\]\s*=\s*\{(.*?)\};", src, re.S)
    assert arrays, f"no xstat name table in {DRIVER}"
    names = {n for a in arrays for n in re.findall(r'"([^"]+)"', a)}
    assert names, f"no names in the xstat table of {DRIVER}"
    text = GUIDE.read_text()
    missing = sorted(n for n in names if f"``{n}``" not in text)
    assert not missing, f"{GUIDE} does not mention the xstats {missing}"


def read_features() -> List[tuple]:
    parser = configparser.ConfigParser(delimiters=("=",), comment_prefixes=(";",),
                                       strict=True, interpolation=None)
    parser.optionxform = str    # keys are case-sensitive names
    parser.read_string(FEATURES.read_text())
    assert parser.sections() == ["Features"], f"{FEATURES}: sections {parser.sections()}"
    return list(parser.items("Features"))


def test_features_ini_uses_dpdk_22_11_names_in_order():
    items = read_features()
    assert items, f"{FEATURES}: no features"
    unknown = [k for k, _ in items if k not in DPDK_22_11_FEATURES]
    assert not unknown, f"{FEATURES}: {unknown} are not DPDK 22.11 feature names"
    bad = [(k, v) for k, v in items if v not in ("Y", "P")]
    assert not bad, f"{FEATURES}: values must be Y or P: {bad}"
    keys = [k for k, _ in items]
    assert keys == sorted(keys, key=DPDK_22_11_FEATURES.index), \
        f"{FEATURES}: not in default.ini order: {keys}"


def test_features_ini_docs_exist_where_claimed():
    features = dict(read_features())
    text = GUIDE.read_text()
    if features.get("Design doc") in ("Y", "P"):
        assert re.search(r"^Design\b.*\n-{4,}$", text, re.M), \
            f"{FEATURES} claims a design doc; {GUIDE} has no 'Design' section"
    if features.get("Usage doc") in ("Y", "P"):
        assert re.search(r"^Options\n-{4,}$", text, re.M), \
            f"{FEATURES} claims a usage doc; {GUIDE} has no 'Options' section"


def installed_feature_names() -> List[str]:
    for path in DEFAULT_INI_CANDIDATES:
        if path.exists():
            parser = configparser.ConfigParser(delimiters=("=",), comment_prefixes=(";",),
                                               interpolation=None, allow_no_value=True)
            parser.optionxform = str
            parser.read_string(path.read_text())
            return list(parser["Features"].keys())
    if OVERVIEW_HTML.exists():
        table = re.search(r"<table.*?</table>", OVERVIEW_HTML.read_text(), re.S)
        assert table, f"{OVERVIEW_HTML}: no table"
        names = []
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(0), re.S):
            cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
            if cells:
                names.append(html.unescape(re.sub(r"<[^>]+>", "", cells[0])).strip())
        assert names and names[0] == "Feature", f"{OVERVIEW_HTML}: unexpected table"
        return names[1:]
    pytest.skip("neither DPDK's default.ini nor dpdk-doc's overview.html is installed")


def test_hard_coded_feature_list_matches_installed_dpdk():
    assert installed_feature_names() == DPDK_22_11_FEATURES
