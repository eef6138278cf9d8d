"""A second look over real messages: memory asks (Recognition.look_again), the sensor answers with its gaze views
(FiringRates.second_look), and a view memory recognises is published as a familiar verdict with its inhibition.

Real rclpy nodes in this process; their callbacks get real messages and their publications are received by a real
subscription.
"""

import time

import numpy as np
from builtin_interfaces.msg import Time
from in_context import DIM, Listener, rates_message, sensor_heard
from rclpy.parameter import Parameter
from std_msgs.msg import Header

from hebbian_ros.core.sensing.gaze import VIEWS_PER_FRAME, GazeParams
from hebbian_ros.experiments.stimuli import scene
from hebbian_ros.msg import FiringRates, Inhibition, LearningMode, Recognition
from hebbian_ros.nodes.conversions import image_to_msg
from hebbian_ros.nodes.feature_layer_node import FeatureLayerNode
from hebbian_ros.nodes.memory_node import MemoryNode
from hebbian_ros.ros import qos

_START = time.time()  # the camera's clock: stamps more than an hour off are refused


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def _at_cosine(pattern: np.ndarray, other: np.ndarray, cosine: float) -> np.ndarray:
    """``pattern + t * other`` at cosine ``cosine`` to ``pattern`` (bisection on t)."""
    low, high = 0.0, 1e4
    for _ in range(100):
        t = (low + high) / 2
        low, high = (t, high) if _cosine(pattern + t * other, pattern) > cosine else (low, t)
    return pattern + low * other


def _frame(k: int):
    """The red box, frame ``k`` of a 30 fps camera that started now."""
    seconds = _START + k / 30
    return image_to_msg(scene("red_box"), Header(stamp=Time(sec=int(seconds), nanosec=int(seconds % 1 * 1e9))))


def test_memory_node_recognises_a_stimulus_from_a_view_of_its_second_look(context):
    memory = MemoryNode(
        context=context,
        parameter_overrides=[
            Parameter(k, value=v)
            for k, v in dict(
                dim=DIM,
                structural=True,
                second_look=True,
                threshold_quantile=0.5,  # 6 memories sample its tail: the second look is ready
                adaptive_after=4,
                familiarity_threshold=0.99,
                young_threshold="floor",  # the least the threshold may be: every pattern is stored
                recognition_hold=5.0,
                onset_similarity=0.5,
            ).items()
        ],
    )
    listener = Listener(
        context, {"hebbian/recognition": (Recognition, qos.EVENT), "hebbian/inhibition": (Inhibition, qos.EVENT)}
    )
    try:
        listener.matched(memory.recognition_pub, memory.inhibition_pub)
        world = np.random.default_rng(0).random((8, DIM)) ** 2 * 50 + 10  # alike: cosines about 0.9
        memory.on_learning_mode(LearningMode(active=True, level=1.0, cause=LearningMode.CAUSE_MANUAL))
        for pattern in world[:6]:  # one episode each: a silent frame between
            memory.on_rates(rates_message(pattern))
            memory.on_rates(rates_message(np.zeros(DIM)))
        memory.on_learning_mode(LearningMode(active=False, level=0.0, cause=LearningMode.CAUSE_NONE))
        assert memory.memory.size == 6
        threshold = memory.memory.threshold
        reach = max(1 - 5.0 * (1 - threshold), 0.5)  # how far a held recognition reaches
        part = np.zeros(DIM)
        part[np.argmin(world[:6].sum(axis=0))] = 1.0  # a part no memory has: no other memory comes nearer
        live = _at_cosine(world[3], part, (threshold + reach) / 2)  # memory 3 with something it never showed
        assert _cosine(live, world[3]) < threshold
        listener.drain(0.2)
        before = {topic: len(messages) for topic, messages in listener.got.items()}
        memory.on_rates(rates_message(live))
        memory.on_rates(rates_message(world[3] * 1.01, gaze_view=2, second_look=True))  # a gaze view: the object alone
        listener.drain()
        verdicts = listener.got["hebbian/recognition"][before["hebbian/recognition"] :]
        assert [v.look_again for v in verdicts] == [True, False]
        assert not verdicts[0].familiar and verdicts[1].familiar and verdicts[1].memory_id == 3
        inhibitions = listener.got["hebbian/inhibition"][before["hebbian/inhibition"] :]
        assert len(inhibitions) == 1 and inhibitions[0].memory_id == 3
        assert memory.memory.size == 6  # a second look stores nothing
    finally:
        listener.close()
        memory.destroy_node()


def test_sensor_node_answers_look_again_with_its_gaze_views_marked_second_look(context):
    with sensor_heard(context) as (sensor, listener, got):
        for k in range(3):
            sensor.on_image(_frame(k))
        listener.drain(0.2)
        start = len(got)
        sensor.on_recognition(Recognition(look_again=True, memory_id=2))
        for k in range(GazeParams().views):  # the views go out beside the live frames that follow
            sensor.on_image(_frame(3 + k))
            listener.drain(0.1)  # a stream reader keeps the last 5 messages
        views = [m for m in got[start:] if m.gaze_view]
        assert sorted(m.gaze_view for m in views) == list(range(1, GazeParams().views + 1))
        assert all(m.second_look and m.replay for m in views)
        sensor.on_recognition(Recognition(stored=True, memory_id=3))  # a new memory: views to keep, not match
        sensor.on_image(_frame(20))
        listener.drain()
        kept = [m for m in got if m.gaze_view and not m.second_look]
        assert kept


def test_sensor_node_drops_a_second_looks_views_when_memory_stores_meanwhile(context):
    """The views still queued for a second look were of the stimulus before a store: the store's views replace them
    (:class:`~hebbian_ros.core.sensing.view_queue.ViewQueue`), and a keep_view of another memory drops those too."""
    with sensor_heard(context) as (sensor, listener, got):
        for k in range(3):
            sensor.on_image(_frame(k))
        listener.drain(0.2)
        start = len(got)
        sensor.on_recognition(Recognition(look_again=True, memory_id=2))  # the first views go out at once
        listener.drain(0.2)
        looked = [m.gaze_view for m in got[start:] if m.second_look]
        assert 0 < len(looked) < GazeParams().views
        start = len(got)
        sensor.on_recognition(Recognition(stored=True, memory_id=3))
        for k in range(GazeParams().views):
            sensor.on_image(_frame(3 + k))
            listener.drain(0.1)
        views = [m for m in got[start:] if m.gaze_view]
        assert not any(m.second_look for m in views)  # none of the second look's remaining views
        assert [m.gaze_view for m in views] == list(range(1, GazeParams().views + 1))

        start = len(got)
        sensor.on_recognition(Recognition(stored=True, memory_id=4))  # its first views go out at once
        sensor.on_recognition(Recognition(keep_view=True, memory_id=5))  # a frame of another memory: 4's other views go
        for k in range(3):
            sensor.on_image(_frame(30 + k))
            listener.drain(0.1)
        assert [m.gaze_view for m in got[start:] if m.gaze_view] == list(range(1, VIEWS_PER_FRAME + 1))


def test_a_feature_layer_passes_a_second_look_view_on_as_one(context):
    """Between sensor and memory every layer keeps the view's number and its second-look mark."""
    layer = FeatureLayerNode(context=context, parameter_overrides=[Parameter("n_in", value=DIM)])
    topic = f"hebbian/{layer.population}/rates"
    listener = Listener(context, {topic: (FiringRates, qos.STREAM)})
    try:
        listener.matched(layer.rates_pub)
        pattern = np.random.default_rng(2).random(DIM).astype(np.float32) * 50
        for gaze_view, second_look in ((0, False), (3, False), (4, True)):
            layer.on_rates(rates_message(pattern, gaze_view, second_look))
            listener.drain(0.2)
        got = [(m.gaze_view, m.second_look, m.replay) for m in listener.got[topic]]
        assert got == [(0, False, False), (3, False, True), (4, True, True)]
    finally:
        listener.close()
        layer.destroy_node()
