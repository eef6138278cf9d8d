"""A blank scene while learning: a feature_layer_node in learning mode takes all-zero rates without a drop.

On the numpy path an L2-bounded layer (hebb and competitive by default, oja/sanger with bounds l2) raised
``zero-size array`` on a silent sample, which the node dropped as bad input with a throttled error
(issue 13). Real node objects in this process, their callbacks called with real messages.
"""

from __future__ import annotations

import numpy as np
import pytest
from rclpy.parameter import Parameter
from std_msgs.msg import Header

from hebbian_ros.core.plasticity import kernels
from hebbian_ros.msg import LearningMode
from hebbian_ros.nodes.conversions import rates_to_msg
from hebbian_ros.nodes.feature_layer_node import FeatureLayerNode

N_IN, N_OUT = 16, 8
LAYERS = [
    ("hebb", "default"),
    ("competitive", "default"),
    ("oja", "l2"),
    ("sanger", "l2"),
    ("bcm", "l2"),
    ("stdp", "clip"),
]


# The node always runs the default path (numba); the numpy one is what a machine without numba would run.
@pytest.mark.parametrize("numba", [pytest.param(True, id="numba"), pytest.param(False, id="numpy")])
@pytest.mark.parametrize(("rule", "bounds"), LAYERS, ids=[f"{r}-{b}" for r, b in LAYERS])
def test_all_zero_rates_in_learning_mode_are_not_rejected(context, monkeypatch, rule, bounds, numba):
    monkeypatch.setattr(kernels, "HAVE_NUMBA", numba)
    overrides = {"rule": rule, "bounds": bounds, "n_in": N_IN, "n_out": N_OUT, "k": 2}
    node = FeatureLayerNode(
        name=f"silent_{rule}",
        context=context,
        parameter_overrides=[Parameter(k, value=v) for k, v in overrides.items()],
    )
    try:
        assert node.layer._compiled is numba
        node.on_learning_mode(LearningMode(active=True, level=1.0, cause=LearningMode.CAUSE_NOVELTY))
        assert node.level == 1.0
        header = Header(stamp=node.get_clock().now().to_msg(), frame_id="camera")
        for _ in range(3):
            node.on_rates(rates_to_msg(header, "sensor", (N_IN,), np.zeros(N_IN, np.float32), 100.0))
        assert node.rejections.total == 0, node.rejections.last_reason
        assert np.isfinite(node.layer.weights).all()
        assert node._last_header is not None  # the sample went through and was published
    finally:
        node.destroy_node()
