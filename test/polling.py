"""Polling with a deadline, shared by the tests that wait for other processes: the one of
:mod:`hebbian_ros.evaluation.probe` (tests, bench and the monitor use the same)."""

from hebbian_ros.evaluation.probe import wait_until

__all__ = ["wait_until"]
