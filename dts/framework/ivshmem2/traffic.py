# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""One-way traffic between two testpmd shells: txonly on one, rxonly on the other."""

from __future__ import annotations

import time

from framework.params.testpmd import SimpleForwardingModes
from framework.remote_session.testpmd_shell import TestPmdShell


def start_one_way(receiver: TestPmdShell, sender: TestPmdShell) -> None:
    """Receiver in rxonly, sender in txonly, both forwarding."""
    receiver.set_forward_mode(SimpleForwardingModes.rxonly)
    sender.set_forward_mode(SimpleForwardingModes.txonly)
    receiver.start()
    sender.start()


def stop_one_way(receiver: TestPmdShell, sender: TestPmdShell, settle: float = 0.5) -> str:
    """Stop the sender, let frames in flight arrive, stop the receiver;
    returns the receiver's stop() output (forward statistics)."""
    sender.stop()
    time.sleep(settle)
    return receiver.stop()


def run_one_way(receiver: TestPmdShell, sender: TestPmdShell, seconds: float) -> str:
    """txonly -> rxonly for @seconds; returns the receiver's stop() output."""
    start_one_way(receiver, sender)
    time.sleep(seconds)
    return stop_one_way(receiver, sender)
