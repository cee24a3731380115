# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Split testpmd's interactive output into command answers and asynchronous events.

testpmd writes from two threads into one pipe. The main thread prints the
prompt (and the echo of each command line) one character per write(); the
interrupt thread prints ethdev events with printf("\\nPort %u: %s event\\n"),
which glibc on a line-buffered stdout flushes as two writes: the lone "\\n",
then "Port N: ... event\\n". Either write can land between two characters of
the prompt, so the stream may read "t\\nPort 0: link state change event\\nestpmd> "
or "te\\nstPort 0: link state change event\\npmd> ". EAL log lines (complete
lines, one write each) can also land inside the prompt.

OutputParser is pure (no process, no thread): feed() it text as it arrives,
take_answer() returns what testpmd printed before each prompt with the
complete event lines removed; events keeps those lines in arrival order and
log keeps everything exactly as received.
"""

from __future__ import annotations

import re
from typing import List, Optional

PROMPT = "testpmd> "

# The second write of an event; the first one is its lone leading "\n".
EVENT_LINE = re.compile(r"Port \d+: [^\n]*? event\n")

# The prompt with complete lines (an event's "\n", a log line) written
# between its characters by other threads; it always starts a line. A few
# lines per gap at most, which also keeps the search linear.
_SPLIT_PROMPT = re.compile(r"(?:^|(?<=\n))" + r"((?:[^\n]*\n){0,3}?)".join(
    re.escape(c) for c in PROMPT))


class OutputParser:
    """Answers and events of one interactive testpmd."""

    def __init__(self) -> None:
        self.log = ""                 # everything received, unchanged
        self.events: List[str] = []   # "Port 0: link state change event", ...
        self._pending = ""            # not yet returned, events removed

    def feed(self, text: str) -> None:
        """Add output as it arrived from the pipe (any chunking)."""
        self.log += text
        self._pending = self._strip_events(self._pending + text)

    def _strip_events(self, text: str) -> str:
        while True:
            m = EVENT_LINE.search(text)
            if not m:
                return text
            self.events.append(m.group(0).rstrip("\n"))
            start = m.start()
            lead = _lone_newline_before(text, start)
            if lead is not None:
                text = text[:lead] + text[lead + 1:start] + text[m.end():]
            else:
                text = text[:start] + text[m.end():]

    def take_answer(self) -> Optional[str]:
        """The text before the next prompt (consumed), or None if no prompt yet.

        Lines that other threads wrote inside a split prompt are appended to
        the answer: they were printed before the prompt was complete.
        """
        whole = self._pending.find(PROMPT)
        split = _SPLIT_PROMPT.search(self._pending)
        if split is not None and (whole < 0 or split.start() < whole):
            answer = self._pending[:split.start()] + "".join(g for g in split.groups() if g)
            self._pending = self._pending[split.end():]
            return answer
        if whole < 0:
            return None
        answer = self._pending[:whole]
        self._pending = self._pending[whole + len(PROMPT):]
        return answer

    def pending(self) -> str:
        """Output after the last prompt taken (events removed)."""
        return self._pending


def _lone_newline_before(text: str, end: int) -> Optional[int]:
    """Index of the event's own leading "\\n" before @end, if it is still in @text.

    Between the two writes of an event only the main thread's raw writes can
    land (prompt characters, the echo of a command and its "\\r\\n"), so the
    nearest "\\n" that does not end an echoed "\\r\\n" is the event's.
    """
    i = text.rfind("\n", 0, end)
    while i >= 0:
        if i == 0 or text[i - 1] != "\r":
            return i
        i = text.rfind("\n", 0, i)
    return None
