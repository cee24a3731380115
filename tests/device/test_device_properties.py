# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Bad values of the device's properties stop QEMU with one clear error
(exit status 1) before anything is set up. The bad-input table
(doc/bad-input.md) lists each with the test that checks it."""

import pytest

from device_harness import device_args
from device_qtest import QemuFailed
from scripted_server import ScriptedServer, send_setup
from started import started

pytestmark = pytest.mark.qemu


@pytest.fixture
def server(workdir):
    """A well-behaved scripted server (the properties are checked first or
    last, so its setup may never be read)."""
    with started(ScriptedServer, ScriptedServer.close) as make:
        yield make(workdir / "props.sock", lambda srv, conn: send_setup(srv))


def qemu_error(start_qemu, args):
    with pytest.raises(QemuFailed) as failed:
        start_qemu(args)
    assert failed.value.returncode == 1, failed.value
    return failed.value.stderr


CASES = {
    "no-chardev": (lambda path: ["-device", "ivshmem2,addr=04.0"],
                   "property 'chardev' is required"),
    "unknown-chardev": (lambda path: ["-device", "ivshmem2,chardev=nope,addr=04.0"],
                        "Property 'ivshmem2.chardev' can't find value 'nope'"),
    "chardev-not-connected": (
        lambda path: ["-chardev", f"socket,path={path}.listen,server=on,wait=off,id=ivs",
                      "-device", "ivshmem2,chardev=ivs,addr=04.0"],
        "chardev 'ivs' is not connected to the server"),
    "ioeventfd-not-bool": (lambda path: device_args(path, props="ioeventfd=maybe"),
                           "Parameter 'ioeventfd' expects 'on' or 'off'"),
    "master-not-on-off-auto": (lambda path: device_args(path, props="master=yes-please"),
                               "does not accept value 'yes-please'"),
    "setup-timeout-not-a-number": (lambda path: device_args(path,
                                                            props="x-setup-timeout-ms=soon"),
                                   "Parameter 'x-setup-timeout-ms' expects integer"),
    "setup-timeout-zero": (lambda path: device_args(path, props="x-setup-timeout-ms=0"),
                           "x-setup-timeout-ms must be at least 1"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_property_stops_qemu_with_one_error(start_qemu, server, case):
    args, expected = CASES[case]
    err = qemu_error(start_qemu, args(server.path))
    assert expected in err, err
    assert err.count("\n") <= 2, err
