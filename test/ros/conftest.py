"""Fixtures of the ROS tests that run real rclpy nodes in this process."""

import pytest


@pytest.fixture
def context(ros_env):
    """An rclpy context of its own (the test's random domain, localhost only), shut down afterwards."""
    import rclpy
    from rclpy.context import Context

    context = Context()
    rclpy.init(context=context)
    yield context
    rclpy.try_shutdown(context=context)
