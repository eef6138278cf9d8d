"""Shared test set-up: every test that touches ROS gets its own DDS domain, localhost-only discovery
and a scratch ROS_HOME, so parallel runs never cross-talk and nothing is written to ~/.ros."""

import os
import random
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def ros_env(monkeypatch, tmp_path):
    """Environment for this test and the node processes it starts; returns it as a dict."""
    venv = Path(sys.prefix)
    values = {
        "ROS_DOMAIN_ID": str(random.SystemRandom().randint(1, 200)),
        "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
        "ROS_HOME": str(tmp_path / "ros_home"),
        "ROS_LOG_DIR": str(tmp_path / "ros_log"),
        "AMENT_PREFIX_PATH": os.environ.get("AMENT_PREFIX_PATH", str(venv)),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")])),
        "PYTHONUNBUFFERED": "1",
        "RCUTILS_LOGGING_BUFFERED_STREAM": "0",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return dict(os.environ)
