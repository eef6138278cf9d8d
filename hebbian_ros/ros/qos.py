"""Quality-of-service profiles of every hebbian_ros topic, chosen per what each message means.

- Camera images, touch and firing rates are streams: only the newest sample matters and a late one
  is worthless, so they are best-effort, keep-last (``sensor_data`` style). A best-effort subscriber
  also accepts reliable publishers such as ros_gz_bridge.
- Inhibition and recognition are events a learning loop must not miss: reliable, keep-last 10.
- The learning mode is state: reliable and transient-local, so a node that starts (or restarts)
  late still receives the current mode; keep-last 10 so that a burst of replay broadcasts is not
  overwritten before it is delivered.
- ``/diagnostics`` is what robot monitors subscribe to with default QoS: reliable, volatile (as
  diagnostic_updater publishes it), one status per node per second.
"""

from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

STREAM = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=5,
    reliability=ReliabilityPolicy.BEST_EFFORT,
    durability=DurabilityPolicy.VOLATILE,
)
EVENT = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=10,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.VOLATILE,
)
STATE = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=10,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.TRANSIENT_LOCAL,
)
#: diagnostic_updater's QoS is the events' own (reliable, volatile, keep-last 10)
DIAGNOSTICS = EVENT


def recording(profile: QoSProfile, depth: int) -> QoSProfile:
    """``profile`` as a recorder subscribes to it: same reliability and durability, keep-last at least ``depth``.

    A recorder's own stalls (busy cores) must not replace samples before it takes them, or what the link lost
    and what the recorder lost look alike; the publisher's history, what a reliable link can repair, stays the
    graph's own.
    """
    return QoSProfile(
        history=HistoryPolicy.KEEP_LAST,
        depth=max(profile.depth, depth),
        reliability=profile.reliability,
        durability=profile.durability,
    )
