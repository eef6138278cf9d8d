"""Neuromodulator node: integrates unpropagated activity and broadcasts the learning mode.

Subscribes ``hebbian/recognition``; publishes ``hebbian/learning_mode`` (reliable, transient-local).
Unpropagated activity is integrated over the time the verdicts' stamps cover (the camera frames they judged), not
over when they arrive, so a burst of verdicts counts as long as it lasted. A change a verdict causes carries that
verdict's stamp: the learning mode is dated by the frame that switched it, however late a busy core publishes it.
Novelty past the threshold switches learning on; the a-ha, the consolidation replays and the end of
the episode follow (see :mod:`hebbian_ros.core.neuromodulation.neuromodulator`). ``~/set_learning_mode``
(std_srvs/SetBool) switches it manually. Neurogenesis: a FULL event on ``hebbian/structure`` (memory has no
free unit for a novel pattern) is answered with a GROWTH grant of ``growth_units`` units, at most once per
``growth_interval`` seconds (``growth_units: 0``: never).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace

from builtin_interfaces.msg import Time
from rclpy.node import Node
from std_srvs.srv import SetBool

from hebbian_ros.core.neuromodulation.neuromodulator import Broadcast, Cause, Neuromodulator, NeuromodulatorParams
from hebbian_ros.core.parameters import NEUROMODULATOR
from hebbian_ros.core.structure.neurogenesis import GrowthGate, GrowthParams
from hebbian_ros.msg import LearningMode, Recognition, StructuralEvent
from hebbian_ros.nodes.checkpointing import CHECKPOINTING, Checkpointing
from hebbian_ros.nodes.conversions import StampClock, stamp_seconds
from hebbian_ros.nodes.diagnostics import DIAGNOSTICS, LEARNERS_LISTENING, Diagnostics, checkpoint_age
from hebbian_ros.nodes.parameters import declare_all, follow_updates
from hebbian_ros.nodes.rejections import Rejections
from hebbian_ros.ros import qos
from hebbian_ros.ros.spin import spin_node


class NeuromodulatorNode(Node):
    """Learning-mode broadcaster; all computation is in :mod:`hebbian_ros.core.neuromodulation.neuromodulator`."""

    def __init__(self, name: str = "neuromodulator", **kwargs) -> None:
        super().__init__(name, **kwargs)
        parameters = declare_all(self, NEUROMODULATOR)
        self.enabled = parameters["enabled"]
        self.core = Neuromodulator(NeuromodulatorParams.from_parameters(parameters))
        tick_rate = parameters["tick_rate"]
        self.rejections = Rejections(self)
        self.checkpointing = Checkpointing(self, self.core.state_dict, self.core.load_state_dict)
        self.mode_pub = self.create_publisher(LearningMode, "hebbian/learning_mode", qos.STATE)
        self.level = 0.0  # of the last broadcast
        self.diagnostics = Diagnostics(
            self,
            self.rejections,
            ("hebbian/recognition",),
            lambda: {
                "learning level": self.level,
                "phase": self.core.phase.name,
                LEARNERS_LISTENING: self.mode_pub.get_subscription_count(),
                "accumulation [Hz*s]": self.core.accumulation,
                "checkpoint age [s]": checkpoint_age(self.checkpointing.path),
            },
        )
        recognition = self.diagnostics.counted(self.on_recognition)
        self.create_subscription(Recognition, "hebbian/recognition", recognition, qos.EVENT)
        self.structure_pub = self.create_publisher(StructuralEvent, "hebbian/structure", qos.EVENT)
        self.create_subscription(StructuralEvent, "hebbian/structure", self.on_structure, qos.EVENT)
        self.create_service(SetBool, "~/set_learning_mode", self.on_set_learning_mode)
        self.stamps = StampClock()
        self._last_tick = self._now()
        self._tick_timer = self.create_timer(1.0 / tick_rate, self.on_tick)
        self._publish(Broadcast(False, 0.0, Cause.NONE, -1, 0.0))
        follow_updates(self, self._prepare_update)

    def _prepare_update(self, changes: dict) -> Callable[[], None]:
        """Validate run-time parameter changes; return what applies them (see ``follow_updates``)."""
        fields = {k: v for k, v in changes.items() if k in NeuromodulatorParams.__dataclass_fields__}
        params = replace(self.core.params, **fields)  # NeuromodulatorParams validates: ValueError refuses
        growth = {"growth_units", "growth_interval"} & set(fields)

        def apply() -> None:
            self.core.params = params
            if growth:
                self.core.growth = GrowthGate(GrowthParams(params.growth_units, params.growth_interval))
            if "enabled" in changes:
                self.enabled = changes["enabled"]
            if "tick_rate" in changes:
                self.destroy_timer(self._tick_timer)
                self._tick_timer = self.create_timer(1.0 / changes["tick_rate"], self.on_tick)

        return apply

    def on_shutdown(self) -> None:
        """Keep the counters and the accumulation."""
        self.checkpointing.on_shutdown()

    def on_recognition(self, msg: Recognition) -> None:
        """Integrate one memory verdict over the time its stamp says it covers."""
        try:
            dt, stamp = self._step(msg)
            unpropagated = float(msg.unpropagated) if self.enabled else 0.0
            change = self.core.observe(unpropagated, msg.familiar, msg.memory_id, msg.stored, dt)
        except ValueError as error:
            self.rejections.reject("hebbian/recognition", error)
            return
        if change is not None:
            self._publish(change, stamp)

    def on_structure(self, msg: StructuralEvent) -> None:
        """Answer a full memory with a growth grant when the rate limit allows."""
        if msg.kind != StructuralEvent.KIND_FULL:
            return
        granted = self.core.request_growth()
        if granted:
            self.structure_pub.publish(
                StructuralEvent(
                    header=msg.header,
                    population=msg.population,
                    kind=StructuralEvent.KIND_GROWTH,
                    memory_id=-1,
                    count=granted,
                    capacity=msg.capacity,
                    memory_size=msg.memory_size,
                )
            )
            self.get_logger().info(f"growth: {granted} units granted to {msg.population!r} (capacity {msg.capacity})")

    def on_tick(self) -> None:
        """Pace replays and time out episodes."""
        now = self._now()
        change = self.core.tick(max(now - self._last_tick, 0.0))
        self._last_tick = now
        if change is not None:
            self._publish(change)

    def on_set_learning_mode(self, request: SetBool.Request, response: SetBool.Response) -> SetBool.Response:
        """Manual switch: data=true turns learning on at level 1, false turns it off."""
        self._publish(self.core.manual(request.data, 1.0 if request.data else 0.0))
        response.success = True
        response.message = f"learning mode {'on' if request.data else 'off'}"
        return response

    def _publish(self, change: Broadcast, stamp: Time | None = None) -> None:
        """Broadcast ``change``, stamped with the verdict that caused it (its camera frame), else with the node's clock."""
        self.level = change.level
        msg = LearningMode(
            active=change.active,
            level=change.level,
            cause=int(change.cause),
            memory_id=change.memory_id,
            accumulation=change.accumulation,
            replays_left=change.replays_left,
        )
        msg.header.stamp = stamp if stamp is not None else self.get_clock().now().to_msg()
        self.mode_pub.publish(msg)
        self.get_logger().info(
            f"learning mode: active={change.active} level={change.level:.2f} "
            f"cause={change.cause.name} "
            f"memory={change.memory_id} accumulation={change.accumulation:.2f}"
        )

    def _step(self, msg: Recognition) -> tuple[float, Time | None]:
        """Seconds of stimulus since the previous verdict, from the verdicts' stamps (the camera's frames, which memory's
        verdicts carry on), as the sensor steps its habituation: verdicts that arrive in a burst (a busy core, a
        lossy link) still count the time they cover. A verdict without a stamp is stamped with the node clock.

        :returns: the seconds, and the stamp they were counted to (``None``: sim time before /clock, none passed).
        :raises ValueError: for an absurd stamp (:class:`~hebbian_ros.nodes.conversions.StampClock`).
        """
        now = self._now()
        stamp = msg.header.stamp
        if stamp_seconds(stamp) == 0.0:
            if now <= 0.0:  # sim time before /clock: no time has passed
                return 0.0, None
            stamp = self.get_clock().now().to_msg()
        return self.stamps.step(stamp, now if now > 0 else None), stamp

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9


def main(args: list[str] | None = None) -> int:
    """Run the neuromodulator node until shut down."""
    return spin_node(NeuromodulatorNode, args)


NODE = NeuromodulatorNode
PARAMETERS = NEUROMODULATOR + CHECKPOINTING + DIAGNOSTICS

if __name__ == "__main__":
    sys.exit(main())
