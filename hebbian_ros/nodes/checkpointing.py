"""Give a learning node periodic, on-demand and on-shutdown checkpoints, and resume from them on start.

Paths come only from parameters (``checkpoint_dir`` plus a name checked to stay inside it); nothing
from a message is ever opened. Services: ``~/save_checkpoint`` and ``~/load_checkpoint``
(std_srvs/Trigger).
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np
from rclpy.node import Node
from std_srvs.srv import Trigger

from hebbian_ros.core.checkpoint import CheckpointError, checkpoint_path, load_latest, previous_path, save_checkpoint
from hebbian_ros.nodes.parameters import declare

State = dict[str, np.ndarray]


class Checkpointing:
    """Checkpoint plumbing for ``node``, whose state goes through ``get_state`` / ``set_state``.

    ``set_state`` must validate everything before changing anything (it raises ``ValueError``).
    With a checkpoint configured, a start with only unusable checkpoints raises instead of
    starting blank.
    """

    def __init__(self, node: Node, get_state: Callable[[], State], set_state: Callable[[State], None]) -> None:
        self._node = node
        self._get_state = get_state
        self._set_state = set_state
        directory = declare(node, 'checkpoint_dir', '', 'Folder of this node\'s checkpoints; empty: none.',
                            read_only=True)
        name = declare(node, 'checkpoint_name', node.get_name(), 'File name (without .npz) inside '
                       'checkpoint_dir.', read_only=True)
        period = declare(node, 'checkpoint_period', 30.0, 'Seconds between periodic saves; 0: only on '
                         'demand and on shutdown.', 0.0, 86400.0, read_only=True)
        self.path = checkpoint_path(directory, name) if directory else None
        self.last_save_seconds = 0.0
        node.create_service(Trigger, '~/save_checkpoint', self._on_save)
        node.create_service(Trigger, '~/load_checkpoint', self._on_load)
        if self.path is not None:
            self._resume()
            if period > 0:
                node.create_timer(period, self.save)

    def save(self) -> str:
        """Write a checkpoint now; return what happened."""
        if self.path is None:
            return 'no checkpoint_dir configured'
        start = time.perf_counter()
        save_checkpoint(self.path, self._get_state())
        self.last_save_seconds = time.perf_counter() - start
        return f'saved {self.path} in {self.last_save_seconds * 1e3:.1f} ms'

    def _resume(self) -> None:
        if not self.path.exists() and not previous_path(self.path).exists():
            self._node.get_logger().info(f'no checkpoint at {self.path} yet: starting fresh')
            return
        state, used, problems = load_latest(self.path)  # raises when no checkpoint is usable
        for problem in problems:
            self._node.get_logger().error(f'bad checkpoint skipped: {problem}')
        self._set_state(state)
        self._node.get_logger().info(f'resumed from {used}')

    def _on_save(self, _request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        try:
            response.message = self.save()
            response.success = self.path is not None
        except OSError as error:
            response.success, response.message = False, f'save failed: {error}'
        return response

    def _on_load(self, _request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        if self.path is None:
            response.success, response.message = False, 'no checkpoint_dir configured'
            return response
        try:
            state, used, problems = load_latest(self.path)
            self._set_state(state)
            response.success, response.message = True, f'loaded {used}' + (
                f' (skipped: {"; ".join(problems)})' if problems else '')
        except (CheckpointError, ValueError, KeyError) as error:
            response.success, response.message = False, f'load refused, state unchanged: {error}'
        return response

    def on_shutdown(self) -> None:
        """Save once more on a clean shutdown."""
        if self.path is not None:
            try:
                self.save()
            except OSError as error:
                self._node.get_logger().error(f'checkpoint on shutdown failed: {error}')
