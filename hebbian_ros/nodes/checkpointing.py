"""Give a learning node periodic, on-demand and on-shutdown checkpoints, and resume from them on start.

Paths come only from parameters (``checkpoint_dir`` plus a name checked to stay inside it); nothing
from a message is ever opened. Services: ``~/save_checkpoint`` and ``~/load_checkpoint``
(std_srvs/Trigger).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np
from rclpy.node import Node
from std_srvs.srv import Trigger

from hebbian_ros.core.checkpoint import (
    CheckpointError,
    checkpoint_path,
    load_latest,
    previous_path,
    rejected_path,
    remove_stale_temporaries,
    save_checkpoint,
)
from hebbian_ros.core.parameters import NODE_NAME, Parameter, Schema
from hebbian_ros.nodes.parameters import declare_all

#: Parameters every learning node declares through :class:`Checkpointing`.
CHECKPOINTING = Schema(
    Parameter("checkpoint_dir", "", "Folder of this node's checkpoints; empty: none.", read_only=True),
    Parameter("checkpoint_name", NODE_NAME, "File name (without .npz) inside checkpoint_dir.", read_only=True),
    Parameter(
        "checkpoint_period",
        30.0,
        "Seconds between periodic saves; 0: only on demand and on shutdown.",
        0.0,
        86400.0,
        read_only=True,
    ),
)

State = dict[str, np.ndarray]


class Checkpointing:
    """Checkpoint plumbing for ``node``, whose state goes through ``get_state`` / ``set_state``.

    ``set_state`` must validate everything before changing anything (it raises ``ValueError``).
    On start with a checkpoint configured, the newest usable checkpoint is loaded: the current
    one, else ``.prev`` (a current one that is corrupt or refused by ``set_state`` is moved aside
    as ``.<name>.npz.rejected`` so that the next save keeps the good ``.prev``). When checkpoint
    files exist but none is usable, the constructor raises :class:`CheckpointError` instead of
    starting blank.
    """

    def __init__(self, node: Node, get_state: Callable[[], State], set_state: Callable[[State], None]) -> None:
        self._node = node
        self._get_state = get_state
        self._set_state = set_state
        values = declare_all(node, CHECKPOINTING)
        directory, name, period = (values[k] for k in ("checkpoint_dir", "checkpoint_name", "checkpoint_period"))
        self.path = checkpoint_path(directory, name) if directory else None
        self.last_save_seconds = 0.0
        self.last_load_seconds = 0.0
        self.resumed_from = None
        self.saves = 0
        node.create_service(Trigger, "~/save_checkpoint", self._on_save)
        node.create_service(Trigger, "~/load_checkpoint", self._on_load)
        if self.path is not None:
            removed = remove_stale_temporaries(self.path)
            if removed:
                node.get_logger().warning(f"removed {removed} temporary file(s) of an interrupted save")
            self._resume()
            if period > 0:
                node.create_timer(period, self._periodic_save)

    def save(self) -> str:
        """Write a checkpoint now; return what happened."""
        if self.path is None:
            return "no checkpoint_dir configured"
        start = time.perf_counter()
        save_checkpoint(self.path, self._get_state())
        self.last_save_seconds = time.perf_counter() - start
        self.saves += 1
        return f"saved {self.path} in {self.last_save_seconds * 1e3:.1f} ms"

    def _load(self) -> tuple[str, list[str]]:
        start = time.perf_counter()
        _, used, problems = load_latest(self.path, accept=self._set_state)
        self.last_load_seconds = time.perf_counter() - start
        return str(used), problems

    def _resume(self) -> None:
        logger = self._node.get_logger()
        if not self.path.exists() and not previous_path(self.path).exists():
            logger.warning(f"no checkpoint at {self.path} (nor .prev) yet: starting fresh")
            return
        try:
            used, problems = self._load()
        except CheckpointError as error:
            logger.fatal(
                f"refusing to start blank: no usable checkpoint ({error}). Move or delete "
                f"{self.path} and {previous_path(self.path)} to start fresh."
            )
            raise
        for problem in problems:
            logger.error(f"bad checkpoint skipped: {problem}")
        if used != str(self.path) and self.path.exists():
            os.replace(self.path, rejected_path(self.path))
            logger.error(f"moved the bad checkpoint aside to {rejected_path(self.path)}")
        self.resumed_from = used
        logger.info(f"resumed from {used} in {self.last_load_seconds * 1e3:.1f} ms")

    def _periodic_save(self) -> None:
        try:
            self.save()
        except Exception as error:  # noqa: BLE001 - a full disk must not take the node down
            self._node.get_logger().error(f"periodic checkpoint failed: {error}")

    def _on_save(self, _request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        try:
            response.message = self.save()
            response.success = self.path is not None
        except Exception as error:  # noqa: BLE001 - report, never crash the node
            response.success, response.message = False, f"save failed: {error}"
        return response

    def _on_load(self, _request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        if self.path is None:
            response.success, response.message = False, "no checkpoint_dir configured"
            return response
        try:
            used, problems = self._load()
            response.success, response.message = (
                True,
                f"loaded {used}" + (f" (skipped: {'; '.join(problems)})" if problems else ""),
            )
        except CheckpointError as error:
            response.success, response.message = False, f"load refused, state unchanged: {error}"
        return response

    def on_shutdown(self) -> None:
        """Save once more on a clean shutdown."""
        if self.path is not None:
            try:
                self.save()
            except Exception as error:  # noqa: BLE001 - log it; the previous checkpoint stays
                self._node.get_logger().error(f"checkpoint on shutdown failed: {error}")
