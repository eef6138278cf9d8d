"""Report of a run: PNG plots and the summary as JSON and Markdown (matplotlib, headless)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from hebbian_ros.evaluation.run_log import RunLog
from hebbian_ros.evaluation.summary import CAUSES, RunSummary

OBJECT_COLOURS = {"red": "#d62728", "green": "#2ca02c", "blue": "#1f77b4", "yellow": "#bcbd22"}


def _colour(label: str) -> str:
    return next((c for key, c in OBJECT_COLOURS.items() if key in label), "#7f7f7f")


def write_report(log: RunLog, summary: RunSummary, out: Path) -> list[Path]:
    """Write rates.png, habituation.png, summary.json and summary.md into ``out``; return the files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    files = [_rates_plot(plt, log, out / "rates.png"), _habituation_plot(plt, log, out / "habituation.png")]
    files += write_learning_plots(log, out)
    (out / "summary.json").write_text(json.dumps(summary.as_dict(), indent=2, default=_json_default))
    (out / "summary.md").write_text(summary_markdown(summary))
    return files + [out / "summary.json", out / "summary.md"]


def write_learning_plots(log: RunLog, out: Path) -> list[Path]:
    """Write weights.png (weight norms over time per layer) and receptive_fields.png (the learned
    receptive fields as images) into ``out`` when ``log`` has the data (a recording has; the live
    monitor only rates and events); return the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    files = []
    if log.weight_norms:
        files.append(_weights_plot(plt, log, out / "weights.png"))
    if log.receptive_fields:
        files.append(_receptive_fields_plot(plt, log, out / "receptive_fields.png"))
    return files


def _start(log: RunLog) -> float:
    if log.truth:
        return min(log.truth)
    stamps = [s[0][0] for s in (*log.rates.values(), *log.weight_norms.values()) if s]
    return min(stamps) if stamps else 0.0


def _weights_plot(plt, log: RunLog, path: Path) -> Path:
    layers = sorted(log.weight_norms)
    fig, axes = plt.subplots(len(layers), 1, figsize=(11, 2.2 * len(layers) + 0.6), sharex=True, squeeze=False)
    start = _start(log)
    for ax, layer in zip(axes[:, 0], layers):
        t, mean = np.array(sorted(log.weight_norms[layer])).T
        ax.plot(t - start, mean, color="k", lw=1.2, label="mean over units")
        ranges = sorted(log.weight_norm_ranges.get(layer, []))
        if ranges:
            rt, low, high = np.array(ranges).T
            ax.fill_between(rt - start, low, high, color="grey", alpha=0.3, lw=0, label="min - max")
        _mark_learning(ax, log, start)
        ax.set_ylabel(f"{layer}\nweight-row norm", fontsize=8)
        ax.legend(loc="upper right", fontsize=7)
    axes[-1, 0].set_xlabel("simulated time [s]")
    axes[0, 0].set_title("Weight norms per layer (L2 norm of each unit's weights; orange: learning mode)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _receptive_fields_plot(plt, log: RunLog, path: Path) -> Path:
    layers = sorted(log.receptive_fields)
    height = 10.0
    widths = [max(height * img.shape[1] / img.shape[0], 2.5) for img in (log.receptive_fields[k] for k in layers)]
    fig, axes = plt.subplots(
        1,
        len(layers),
        figsize=(min(sum(widths) + 0.5, 24.0), height + 1.0),
        squeeze=False,
        gridspec_kw={"width_ratios": widths},
    )
    for ax, layer in zip(axes[0], layers):
        ax.imshow(log.receptive_fields[layer], interpolation="nearest")
        ax.set_title(f"{layer}: one tile per unit over its input", fontsize=9)
        ax.set_axis_off()
    fig.suptitle(
        "Learned receptive fields (red: positive weight, blue: negative; each unit scaled to its largest weight)",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def summary_markdown(summary: RunSummary) -> str:
    """The summary as a Markdown table."""
    lines = ["| figure | value |", "|---|---|"]
    for key in (
        "objects_seen",
        "frames",
        "novelty_events",
        "aha_events",
        "replays",
        "learning_mode_broadcasts",
        "memories_stored",
        "recognition_accuracy",
        "distinct_memories",
        "mean_habituation_ratio",
    ):
        lines.append(f"| {key.replace('_', ' ')} | {_fmt(getattr(summary, key))} |")
    lines += [
        "",
        "| object | visits | habituation ratio (late/peak) | memory | revisit accuracy | "
        "learning episodes (first visit / revisits) | frames to learning mode |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, o in summary.objects.items():
        lines.append(
            f"| {name} | {o.visits} | {_fmt(o.habituation_ratio)} | {o.memory_id} | "
            f"{_fmt(o.revisit_accuracy)} | {o.novelty_events_first_visit} / {o.novelty_events_revisits} | "
            f"{o.frames_to_learning if o.frames_to_learning >= 0 else 'n/a'} |"
        )
    return "\n".join(lines) + "\n"


def _rates_plot(plt, log: RunLog, path: Path) -> Path:
    populations = [p for p in ("sensor", "layer1", "layer2", "memory") if p in log.rates] or list(log.rates)
    fig, axes = plt.subplots(len(populations) + 1, 1, figsize=(11, 2.0 * (len(populations) + 1)), sharex=True)
    axes = np.atleast_1d(axes)
    start = min(log.truth) if log.truth else 0.0
    spans = _label_spans(log)
    for ax, population in zip(axes, populations):
        series = [(t - start, r) for t, r, replay in log.rates[population] if not replay]
        if series:
            t, r = np.array(series).T
            ax.plot(t, r, lw=0.9, color="k")
        for a, b, label in spans:
            ax.axvspan(a - start, b - start, color=_colour(label), alpha=0.15, lw=0)
        _mark_learning(ax, log, start)
        ax.set_ylabel(f"{population}\nmean rate [Hz]", fontsize=8)
    ax = axes[-1]
    if log.inhibition:
        t, s = np.array(log.inhibition).T
        ax.plot(t - start, s, ".", ms=2, color="purple", label="inhibition strength")
    if log.recognition:
        rec = np.array([(r[0] - start, r[2]) for r in log.recognition])
        ax.plot(rec[:, 0], rec[:, 1], lw=0.6, color="teal", label="similarity")
    _mark_learning(ax, log, start)
    _mark_structure(ax, log, start)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("feedback", fontsize=8)
    ax.set_xlabel("simulated time [s]")
    ax.legend(loc="upper right", fontsize=7)
    axes[0].set_title("Firing rates (background: object in view; orange: learning mode; | a-ha)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _habituation_plot(plt, log: RunLog, path: Path) -> Path:
    sensor = {t: r for t, r, replay in log.rates.get("sensor", []) if not replay}
    visits: dict[tuple[str, int], list[tuple[float, int]]] = {}
    for stamp, (label, _obj, visit, repeat, phase) in sorted(log.truth.items()):
        if label and phase in ("view", "press") and stamp in sensor:
            visits.setdefault((label, visit), []).append((sensor[stamp], repeat))
    labels = sorted({k[0] for k in visits})
    fig, axes = plt.subplots(1, max(len(labels), 1), figsize=(3.2 * max(len(labels), 1), 3), sharey=True)
    for ax, label in zip(np.atleast_1d(axes), labels):
        for (name, _visit), series in sorted(visits.items()):
            if name != label:
                continue
            rates = [r for r, _ in series]
            repeat = series[0][1]
            ax.plot(
                rates,
                color=_colour(label),
                alpha=1.0 if repeat == 0 else 0.45,
                lw=2 if repeat == 0 else 1,
                label="first visit" if repeat == 0 else f"revisit {repeat}",
            )
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("frame in visit")
        ax.legend(fontsize=6)
    np.atleast_1d(axes)[0].set_ylabel("sensor mean rate [Hz]")
    fig.suptitle("Habituation per stimulus")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _label_spans(log: RunLog) -> list[tuple[float, float, str]]:
    spans: list[tuple[float, float, str]] = []
    for stamp, (label, *_rest) in sorted(log.truth.items()):
        if spans and spans[-1][2] == label:
            spans[-1] = (spans[-1][0], stamp, label)
        elif label:
            spans.append((stamp, stamp, label))
    return spans


def _mark_learning(ax, log: RunLog, start: float) -> None:
    on = None
    for event in log.events:
        if event.active and on is None:
            on = event.time
        elif not event.active and on is not None:
            ax.axvspan(on - start, event.time - start, color="orange", alpha=0.25, lw=0)
            on = None
        if event.cause == 2:
            ax.axvline(event.time - start, color="darkorange", lw=1)


#: StructuralEvent.KIND_* -> (marker, colour, label) in the rates plot
STRUCTURE_MARKERS = {
    0: ("^", "tab:green", "duplicates grown"),
    1: ("v", "tab:red", "pruned"),
    2: ("x", "tab:brown", "recycled"),
    3: ("*", "tab:blue", "neurogenesis"),
}


def _mark_structure(ax, log: RunLog, start: float) -> None:
    """Structural changes (hebbian/structure) as markers along the top of ``ax``."""
    for kind, (marker, colour, label) in STRUCTURE_MARKERS.items():
        times = [e[0] - start for e in getattr(log, "structure", []) if e[2] == kind]
        if times:
            ax.plot(times, np.full(len(times), 1.0), marker, color=colour, ms=6, ls="none", label=label)


def _fmt(value) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    raise TypeError(type(value))


__all__ = ["write_report", "write_learning_plots", "summary_markdown", "CAUSES"]
