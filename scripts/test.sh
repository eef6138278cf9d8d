#!/usr/bin/env bash
# Set up (idempotent) and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/scripts/setup.sh"
venv="${HEBBIAN_VENV:-$here/.venv}"
export AMENT_PREFIX_PATH="$venv" MUJOCO_GL="${MUJOCO_GL:-egl}"
cd "$here"
exec "$venv/bin/python" -m pytest -p no:cacheprovider "${@:-test}"
