# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""For every suite under the repository (tests/, dts/, fuzz/)."""

import signal

# A run started in the background by a non-interactive shell (`cmd &`, nohup,
# some CI runners) inherits SIGINT ignored, and so would every process the
# suites start: their graceful stop (SIGINT) would end in SIGKILL. A handler
# is reset to the default in each child at exec; an ignored signal is not.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
