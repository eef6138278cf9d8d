"""Setuptools entry for the pure-Python part of hebbian_ros (metadata lives in setup.cfg).

The ROS build is CMakeLists.txt (it also generates ``hebbian_ros.msg``); this file lets tools that
only read Python metadata (pip, IDEs, linters) see the same package and console scripts.
"""

from setuptools import setup

setup()
