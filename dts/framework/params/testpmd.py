# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""testpmd's application parameters (what goes after "--")."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import List, Optional, Sequence, Union

from framework.params import Params


class SimpleForwardingModes(str, Enum):
    """testpmd forwarding modes that take no further configuration (`set fwd <mode>`)."""

    io = "io"
    mac = "mac"
    macswap = "macswap"
    flowgen = "flowgen"
    rxonly = "rxonly"
    txonly = "txonly"
    csum = "csum"
    icmpecho = "icmpecho"
    ieee1588 = "ieee1588"
    noisy = "noisy"
    fivetswap = "5tswap"
    shared_rxq = "shared-rxq"
    recycle_mbufs = "recycle_mbufs"

    def __str__(self) -> str:
        return self.value


class PortTopology(str, Enum):
    """--port-topology: how testpmd pairs ports for forwarding."""

    paired = "paired"
    chained = "chained"
    loop = "loop"

    def __str__(self) -> str:
        return self.value


@dataclass
class TestPmdParams(Params):
    """The testpmd options the suites use; None leaves testpmd's default.

    other_args: further options, verbatim, after the ones above.
    """

    __test__ = False  # not a pytest class despite its name

    interactive_mode: bool = True
    total_num_mbufs: Optional[int] = None
    rx_queues: Optional[int] = None
    tx_queues: Optional[int] = None
    max_pkt_len: Optional[int] = None
    mbuf_size: Optional[Union[int, Sequence[int]]] = None
    forward_mode: Optional[SimpleForwardingModes] = None
    port_topology: Optional[PortTopology] = None
    other_args: List[str] = field(default_factory=list)

    def to_args(self) -> List[str]:
        args: List[str] = ["-i"] if self.interactive_mode else []
        for opt, val in (("--total-num-mbufs", self.total_num_mbufs),
                         ("--rxq", self.rx_queues), ("--txq", self.tx_queues),
                         ("--max-pkt-len", self.max_pkt_len),
                         ("--forward-mode", self.forward_mode),
                         ("--port-topology", self.port_topology)):
            if val is not None:
                args.append(f"{opt}={val}")
        if self.mbuf_size is not None:
            sizes = [self.mbuf_size] if isinstance(self.mbuf_size, int) else self.mbuf_size
            args.append("--mbuf-size=" + ",".join(str(s) for s in sizes))
        return args + [str(a) for a in self.other_args]
