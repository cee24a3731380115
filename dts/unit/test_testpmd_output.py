# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Unit tests of framework/remote_session/testpmd_output.py: answers, prompts
and interleaved events.

Pure Python, no testpmd: the streams below are what testpmd's two threads
can write into one pipe (see the module docstring for why).
"""

import pytest

from framework.remote_session.testpmd_output import PROMPT, OutputParser

LSC = "Port 0: link state change event"
EVENT = f"\n{LSC}\n"          # one printf of the interrupt thread
ANSWER = "Set rxonly packet forwarding mode\n"


def _parse(*chunks):
    p = OutputParser()
    for c in chunks:
        p.feed(c)
    return p


def _answers(p):
    out = []
    while (a := p.take_answer()) is not None:
        out.append(a)
    return out


def test_plain_answer_and_prompt():
    p = _parse("set fwd rxonly\r\n" + ANSWER + PROMPT)
    assert _answers(p) == ["set fwd rxonly\r\n" + ANSWER]
    assert p.events == [] and p.pending() == ""


def test_no_prompt_yet():
    p = _parse(ANSWER + "testpmd>")
    assert p.take_answer() is None
    p.feed(" ")
    assert p.take_answer() == ANSWER


def test_event_splits_prompt_as_seen_in_the_failed_perf_run():
    # The exact output of the "no prompt within 90.0 s" failure.
    p = _parse(ANSWER + "t\nPort 0: link state change event\nestpmd> ")
    assert _answers(p) == [ANSWER]
    assert p.events == [LSC]
    assert p.log == ANSWER + "t" + EVENT + "estpmd> "   # the raw log keeps it


@pytest.mark.parametrize("cut", range(len(PROMPT) + 1))
def test_event_at_every_position_of_the_prompt(cut):
    p = _parse(ANSWER + PROMPT[:cut] + EVENT + PROMPT[cut:])
    assert _answers(p) == [ANSWER]
    assert p.events == [LSC]


@pytest.mark.parametrize("cut", range(1, len(PROMPT)))
def test_event_written_in_two_parts_around_prompt_characters(cut):
    # glibc flushes the lone "\n" first, the event line second; prompt
    # characters (raw write()s of the main thread) can land in between.
    for gap in range(0, len(PROMPT) - cut + 1):
        p = _parse(ANSWER + PROMPT[:cut] + "\n" + PROMPT[cut:cut + gap] + LSC + "\n"
                   + PROMPT[cut + gap:])
        assert _answers(p) == [ANSWER], (cut, gap)
        assert p.events == [LSC]


def test_event_inside_an_answer_line_and_between_lines():
    stats = "  RX-packets: 123        RX-missed: 0\n  TX-packets: 456\n"
    p = _parse("  RX-packets: 12" + EVENT + "3        RX-missed: 0\n" + EVENT
               + "  TX-packets: 456\n" + PROMPT)
    assert _answers(p) == [stats]
    assert p.events == [LSC, LSC]


def test_event_between_its_newline_and_the_echo_of_a_command():
    # lone "\n", then the main thread echoes "show port info 0\r\n", then the event line.
    p = _parse("\nshow port info 0\r\n" + LSC + "\nInfos for port 0\n" + PROMPT)
    assert _answers(p) == ["show port info 0\r\nInfos for port 0\n"]
    assert p.events == [LSC]


def test_event_after_the_prompt_is_not_in_the_next_answer():
    p = _parse(ANSWER + PROMPT + EVENT)
    assert _answers(p) == [ANSWER]
    p.feed("show port summary all\r\nNumber of available ports: 1\n" + PROMPT)
    assert _answers(p) == ["show port summary all\r\nNumber of available ports: 1\n"]
    assert p.events == [LSC]


def test_incomplete_event_waits_for_its_end():
    p = _parse(ANSWER + "te\nPort 0: link state ch")
    assert p.take_answer() is None and p.events == []
    p.feed("ange event\nstpmd> ")
    assert _answers(p) == [ANSWER]
    assert p.events == [LSC]


def test_every_chunking_gives_the_same_result():
    # As the shell uses it: answers are taken after every chunk that arrives.
    stream = ("start\r\n" + "\nPort 1: queue state event\n".join(["a\n", "b\n"]) + "tes"
              + EVENT + "tpmd> " + "stop\r\nTelling cores to stop...\n" + PROMPT)
    for size in (1, 2, 3, 7, len(stream)):
        p = OutputParser()
        answers = []
        for i in range(0, len(stream), size):
            p.feed(stream[i:i + size])
            answers += _answers(p)
        assert answers == ["start\r\na\nb\n", "stop\r\nTelling cores to stop...\n"], size
        assert p.events == ["Port 1: queue state event", LSC]
        assert p.log == stream


def test_other_events_and_ports():
    p = _parse("Port 12: device removal" + EVENT.replace("0", "3") + " event\n" + PROMPT)
    assert p.events == ["Port 3: link state change event", "Port 12: device removal event"]
    assert _answers(p) == [""]


def test_log_line_inside_the_prompt_goes_to_the_answer():
    log = "IVSHMEM2: net_ivshmem20: reconnected to the server as peer 1\n"
    p = _parse(ANSWER + "test" + log + "pmd> ")
    assert _answers(p) == [ANSWER + log]
    assert p.events == []


def test_lines_that_only_look_like_events_or_prompts_stay():
    text = ("Port 0: 02:00:00:00:00:0A\n"            # testpmd's MAC line at port start
            "Port 0 Link up at 10 Gbps FDX Autoneg\n"
            "testpmd: create a new mbuf pool <mb_pool_0>\n"
            "t\ne\ns\nt\n")                           # prompt letters on separate lines
    p = _parse(text)
    assert p.take_answer() is None
    p.feed(PROMPT)
    assert _answers(p) == [text]
    assert p.events == []


def test_two_prompts_two_answers():
    p = _parse("x\n" + PROMPT + "y\r\n" + EVENT + PROMPT)
    assert _answers(p) == ["x\n", "y\r\n"]
    assert p.events == [LSC]
