#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Set up a Debian 12 machine, build everything (QEMU included) and run the
# whole test suite with pytest. Extra arguments go to pytest, e.g.
#   scripts/test.sh -k server        scripts/test.sh tests/device
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

start=$(date +%s)
"$repo/scripts/build.sh" -Dqemu=enabled
echo "test: build ready after $(($(date +%s) - start)) s"

# Debian's interpreter carries python3-pytest; a pyenv shim first in PATH does not.
exec /usr/bin/python3 -m pytest -p no:cacheprovider "$@"
