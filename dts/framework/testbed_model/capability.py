# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""What test cases require of the testbed, declared with @requires.

    @requires(topology_type=TopologyType.no_link)
    class TestIvshmem2Smoke(TestSuite): ...

On a suite class the requirement applies to all its cases; on a case it
overrides the suite's. The runner (dts/conftest.py) skips a case whose
requirements the testbed does not meet, with the reason, as upstream DTS
does. NIC capabilities (upstream: NicCapability, probed from testpmd on a
physical port) are recorded but cannot be met by virtual devices only, so
a case that names any is skipped.
"""

from __future__ import annotations

from typing import Callable, Optional, Tuple, TypeVar

from framework.testbed_model.topology import Topology, TopologyType

T = TypeVar("T", bound=Callable)


def requires(*nic_capabilities: str, topology_type: Optional[TopologyType] = None
             ) -> Callable[[T], T]:
    """Record the NIC capabilities and topology a test case or suite needs."""

    def add_required_capability(test_case_or_suite: T) -> T:
        if topology_type is not None:
            test_case_or_suite.topology_type = topology_type  # type: ignore[attr-defined]
        if nic_capabilities:
            test_case_or_suite.required_capabilities = tuple(  # type: ignore[attr-defined]
                nic_capabilities)
        return test_case_or_suite

    return add_required_capability


def required_topology(suite_class: type, case: Callable) -> TopologyType:
    """The topology @case of @suite_class needs (case, then suite, then the default)."""
    for obj in (case, suite_class):
        t = getattr(obj, "topology_type", None)
        if t is not None:
            return TopologyType(t)
    return TopologyType.default()


def required_capabilities(suite_class: type, case: Callable) -> Tuple[str, ...]:
    """NIC capabilities @case of @suite_class needs."""
    return tuple(getattr(suite_class, "required_capabilities", ())) + \
        tuple(getattr(case, "required_capabilities", ()))


def unmet_requirement(topology: Topology, suite_class: type, case: Callable) -> Optional[str]:
    """Why @case cannot run on @topology, or None if it can."""
    need = required_topology(suite_class, case)
    if not topology.supports(need):
        return (f"requires topology {need.name}, the testbed has {topology.type.name} "
                "(no traffic generator node)")
    caps = required_capabilities(suite_class, case)
    if caps:
        return f"requires NIC capabilities {', '.join(caps)}, not probed on virtual devices"
    return None
