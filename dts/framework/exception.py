# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Errors the framework raises."""


class DTSError(Exception):
    """Base of every framework error."""


class VerifyError(DTSError):
    """A TestSuite.verify() condition was false; the message says what."""


class ShellError(DTSError):
    """An interactive shell died, timed out or answered unexpectedly."""


class ConfigError(DTSError):
    """dts/conf.yaml is missing or malformed."""
