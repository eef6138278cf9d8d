#!/usr/bin/env bash
# Set up (idempotent) and run the benchmarks: bench/run.sh [--quick] [digits] [plasticity] [loop] [recognition] [camera] [view_search] [layer_whitening] [memory_whitening] [first_memories] [verdict_frames] [young_threshold] [second_look_cost] [demo_replay]
# Default: all (loop = bench/loop_latency.py, the closed loop over DDS; recognition = bench/recognition.py, issue 14; camera = bench/camera_decoding.py, issue 15; view_search = bench/view_search.py, what the recognition sources allow, layer_whitening = bench/layer_whitening.py, what layer1 loses and whitening would gain, memory_whitening = bench/memory_whitening.py, what whitened matching adds to the memory the loop builds, first_memories = bench/first_memories.py, why the first objects stop being recognised, and verdict_frames = bench/verdict_frames.py, memory's verdict frame by frame under its own feedback, young_threshold = bench/young_threshold.py, where a young memory's fixed threshold comes from, second_look_cost = bench/second_look_cost.py, what a second look costs, demo_replay = bench/demo_replay.py, the demo's exploration of generated objects without ROS, only when named). Results: bench/results/<name>.json (+ printed tables). See bench/RESULTS.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${HEBBIAN_VENV:-$here/.venv}"
brian_venv="${HEBBIAN_BRIAN2_VENV:-$venv/brian2}"
log() { printf '[bench] %s\n' "$*" >&2; }

quick=()
names=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=(--quick) ;;
    digits|plasticity|recognition|view_search|layer_whitening|memory_whitening|first_memories|verdict_frames|young_threshold|second_look_cost|demo_replay) names+=("$arg") ;;
    loop) names+=(loop_latency) ;;
    camera) names+=(camera_decoding) ;;
    *) echo "usage: bench/run.sh [--quick] [digits] [plasticity] [loop] [recognition] [camera] [view_search] [layer_whitening] [memory_whitening] [first_memories] [verdict_frames] [young_threshold] [second_look_cost] [demo_replay]" >&2; exit 2 ;;
  esac
done
((${#names[@]})) || names=(digits plasticity loop_latency recognition camera_decoding)

# 1. Python packages of the benchmarks into the project venv (re-run pip only when the list changes).
if [ ! -x "$venv/bin/python" ]; then
  log "no venv at $venv: run scripts/setup.sh first (or set HEBBIAN_VENV)"; exit 1
fi
stamps="$venv/.hebbian_stamps"; mkdir -p "$stamps"
hash=$(sha256sum "$here/bench/requirements.txt" | cut -c1-16)
if [ ! -f "$stamps/bench-$hash" ]; then
  log "pip install -r bench/requirements.txt"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/bench/requirements.txt" 2>&1 \
    | grep -v "is ignored: it is neither a file nor a directory" >&2 || true
  "$venv/bin/python" -c "import sklearn, numba, threadpoolctl, skimage, matplotlib"
  rm -f "$stamps"/bench-*; touch "$stamps/bench-$hash"
fi

# 2. Brian2 in its own venv (needs numpy < 2.4), only for the plasticity benchmark.
if [[ " ${names[*]} " == *" plasticity "* ]]; then
  bhash=$(sha256sum "$here/bench/requirements-brian2.txt" | cut -c1-16)
  if [ ! -f "$brian_venv/.stamp-$bhash" ]; then
    log "creating Brian2 venv at $brian_venv"
    [ -x "$brian_venv/bin/python" ] || "$venv/bin/python" -m venv "$brian_venv"
    "$brian_venv/bin/pip" install -q --disable-pip-version-check -r "$here/bench/requirements-brian2.txt" 2>&1 \
      | grep -v "is ignored: it is neither a file nor a directory" >&2 || true
    "$brian_venv/bin/python" -c "import brian2" && rm -f "$brian_venv"/.stamp-* && touch "$brian_venv/.stamp-$bhash"
  fi
  export HEBBIAN_BRIAN2_VENV="$brian_venv"
fi

# 3. Run. OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE (set on some machines for old OpenBLAS builds) slow
# a current numpy down: unset both for these commands only; the kernel OpenBLAS then picks is
# recorded in each JSON (machine.blas[].architecture) together with the original values.
export HEBBIAN_ORIG_OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-}" HEBBIAN_ORIG_OPENBLAS_L2_SIZE="${OPENBLAS_L2_SIZE:-}"
cd "$here"
for name in "${names[@]}"; do
  log "running bench/$name.py ${quick[*]:-}"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$venv/bin/python" "bench/$name.py" "${quick[@]}"
done
