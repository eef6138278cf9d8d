"""Thin rclpy nodes: each translates messages and parameters into calls on :mod:`hebbian_ros.core`."""
