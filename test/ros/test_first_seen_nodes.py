"""A look's frames kept as first seen, over real messages (memory parameter ``episode_views``): memory asks for the
frames before a store (Recognition.look_frames) and for a side it lacks (Recognition.keep_view); the sensor sends
those frames back at full gain, stamped as their own frames, and memory keeps them as views of that memory.

Real rclpy nodes in this process; their callbacks get real messages and their publications are received by a real
subscription.
"""

import time

import numpy as np
from builtin_interfaces.msg import Time
from in_context import DIM, Listener, rates_message, sensor_heard
from rclpy.parameter import Parameter
from std_msgs.msg import Header

from hebbian_ros.core.sensing.gaze import GazeParams
from hebbian_ros.core.sensing.retina import Retina
from hebbian_ros.experiments.stimuli import scene
from hebbian_ros.msg import LearningMode, Recognition
from hebbian_ros.nodes.conversions import image_to_msg
from hebbian_ros.nodes.memory_node import MemoryNode
from hebbian_ros.ros import qos

_START = time.time()


def _stamp(k: int) -> Time:
    seconds = _START + k / 30
    return Time(sec=int(seconds), nanosec=int(seconds % 1 * 1e9))


def _header(k: int) -> Header:
    """Frame ``k``'s header: its own stamp, and a frame id of its own (a camera that switches optical frames)."""
    return Header(stamp=_stamp(k), frame_id=f"camera_{k % 3}")


def _image(k: int) -> np.ndarray:
    return scene("red_box", offset=(0, k))  # the box moves a pixel a frame: each frame its own


def adapted(pattern: np.ndarray) -> np.ndarray:
    """A live frame: the sensor adapted to ``pattern`` and inhibited by memory, its strongest units slowed most."""
    return pattern / (1.0 + pattern / 20.0)


def test_sensor_node_sends_the_frames_memory_asks_for_as_first_seen_with_their_frames_headers(context):
    with sensor_heard(context) as (sensor, listener, got):
        for k in range(10):
            sensor.on_image(image_to_msg(_image(k), _header(k)))
            sensor.retina.inhibit(0.4)  # memory's feedback: the live frames adapt and slow down
            listener.drain(0.1)
        live = {(m.header.stamp.sec, m.header.stamp.nanosec): np.array(m.rates) for m in got if not m.gaze_view}
        start = len(got)
        sensor.on_recognition(Recognition(header=Header(stamp=_stamp(7)), stored=True, memory_id=3, look_frames=4))
        for k in range(10, 24):  # the views go out beside the live frames that follow
            sensor.on_image(image_to_msg(_image(k), _header(k)))
            listener.drain(0.1)  # a stream reader keeps the last 5 messages
        views = [m for m in got[start:] if m.gaze_view]
        assert all(m.replay and not m.second_look for m in views)
        gaze = GazeParams().views
        assert [m.gaze_view for m in views] == list(range(1, gaze + 1)) + [1] * 4
        back = views[gaze:]
        assert [m.header for m in back] == [_header(k) for k in range(3, 7)]  # the four before the stored one, as sent
        for k, m in zip(range(3, 7), back):
            fresh = Retina(sensor.retina.params).see(_image(k).astype(np.float32) / 255, 0.0).ravel()
            np.testing.assert_allclose(m.rates, fresh, rtol=1e-5, atol=1e-4)  # as first seen
            seen = live[(_stamp(k).sec, _stamp(k).nanosec)]
            assert float(seen @ fresh) / (np.linalg.norm(seen) * np.linalg.norm(fresh)) < 0.999  # not as it was live

        start = len(got)
        sensor.on_recognition(Recognition(header=Header(stamp=_stamp(20)), keep_view=True, memory_id=3))
        sensor.on_recognition(Recognition(header=Header(stamp=Time(sec=1)), keep_view=True, memory_id=3))  # gone
        sensor.on_image(image_to_msg(_image(24), _header(24)))
        listener.drain()
        kept = [m for m in got[start:] if m.gaze_view]
        assert [(m.gaze_view, m.header) for m in kept] == [(1, _header(20))]
        fresh = Retina(sensor.retina.params).see(_image(20).astype(np.float32) / 255, 0.0).ravel()
        np.testing.assert_allclose(kept[0].rates, fresh, rtol=1e-5, atol=1e-4)


def test_memory_node_asks_for_its_look_and_keeps_what_the_sensor_sends_back(context):
    memory = MemoryNode(
        context=context,
        parameter_overrides=[
            Parameter(k, value=v)
            for k, v in dict(dim=DIM, structural=True, episode_views=True, steady_frames=3).items()
        ],
    )
    listener = Listener(context, {"hebbian/recognition": (Recognition, qos.EVENT)})
    try:
        listener.matched(memory.recognition_pub)
        rng = np.random.default_rng(3)
        first, last = rng.random(DIM) ** 4 * 80, rng.random(DIM) ** 4 * 80
        look = [(1 - t) * first + t * last for t in np.linspace(0.0, 1.0, 20)]  # a stimulus turning in view
        verdicts = listener.got["hebbian/recognition"]
        memory.on_learning_mode(LearningMode(active=True, level=1.0, cause=LearningMode.CAUSE_MANUAL))
        for k in range(4):  # live: the sensor adapting to the stimulus
            memory.on_rates(rates_message(adapted(look[k])))
        listener.drain(0.3)
        stored = [v for v in verdicts if v.stored]
        assert len(stored) == 1 and stored[0].look_frames == 3  # stored at the 4th frame: three came before
        memory_id = stored[0].memory_id
        assert memory.memory.match(adapted(look[0]).astype(np.float32))[1] > 0.999  # kept as seen live
        assert memory.memory.match(look[0].astype(np.float32))[1] < 0.99
        for pattern in look[:3]:  # the sensor's answer: the look's first frames, as first seen
            memory.on_rates(rates_message(pattern, gaze_view=1))
        matched, similarity = memory.memory.match(look[0].astype(np.float32))
        assert matched == memory_id and similarity > 0.999
        asked = answered = 0
        for pattern in look[4:]:
            copies = memory.memory.copies[memory_id]
            before = len(verdicts)
            memory.on_rates(rates_message(adapted(pattern)))  # live: the sensor adapted, its strongest units slowed
            listener.drain(0.05)
            verdict = verdicts[before]
            assert verdict.memory_id == memory_id and not verdict.stored  # one stimulus, one memory
            if verdict.keep_view:  # kept as seen live; the sensor's answer: that frame as first seen
                assert memory.memory.copies[memory_id] == copies + 1
                asked += 1
                memory.on_rates(rates_message(pattern, gaze_view=1))
                answered += int(memory.memory.copies[memory_id] == copies + 2)  # unless an entry already held it
        assert asked >= 3 and answered >= 2  # the look showed several sides, kept both ways
        assert memory.memory.match(look[-1].astype(np.float32))[0] == memory_id
    finally:
        listener.close()
        memory.destroy_node()
