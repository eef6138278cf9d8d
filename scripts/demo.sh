#!/usr/bin/env bash
# Set up (idempotent) and run the main job: the whole learning graph on the embedded MuJoCo simulator,
# headless and CPU only, with a live status line; ends with a summary and a report folder.
# Extra arguments go to the demo (python -m hebbian_ros.demo --help).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/scripts/setup.sh"
venv="${HEBBIAN_VENV:-$here/.venv}"
export AMENT_PREFIX_PATH="$venv" MUJOCO_GL="${MUJOCO_GL:-egl}"
export ROS_AUTOMATIC_DISCOVERY_RANGE="${ROS_AUTOMATIC_DISCOVERY_RANGE:-LOCALHOST}"
export ROS_HOME="${ROS_HOME:-$here/out/ros_home}" ROS_LOG_DIR="${ROS_LOG_DIR:-$here/out/ros_log}"
cd "$here"
exec "$venv/bin/python" -m hebbian_ros.demo "$@"
