"""The benchmark's outputs: one CSV row per configuration and a markdown section with the table.

A cell holds a number, or, where there is no number, the reason in words ("unavailable:
transformers not installed", "out of memory at step 1", "estimator CLI not built: ..."). Derived
cells (ratio, errors, the nvidia-smi view, time against the estimate) are computed here from the
measured and estimated cells, so `--fill-estimates` can recompute them from a CSV alone.

The markdown section sits between two marker comments in gpu.md (or cpu.md); the rest of the file
is written by people and is kept as it is.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

ENVIRONMENT_COLUMNS = ["date", "device", "gpu", "gpu_memory_bytes", "driver", "torch", "cuda", "transformers",
                       "peft", "accelerate", "python", "commit"]
CASE_COLUMNS = ["model", "method", "precision", "attention", "max_length", "micro_batch", "grad_accum",
                "checkpointing", "lora_r", "steps", "warmup", "tokens_per_step"]
MEASURED_COLUMNS = ["localtune_tokens_per_s", "localtune_s_per_step", "measured_fit",
                    "trainer_tokens_per_s", "trainer_s_per_step", "ratio",
                    "peak_allocated_bytes", "peak_reserved_bytes", "cuda_context_bytes", "outside_allocator_bytes",
                    "nvidia_smi_view_bytes", "trainer_peak_allocated_bytes", "trainer_peak_reserved_bytes"]
ESTIMATE_COLUMNS = ["est_allocated_bytes", "est_reserved_bytes", "est_context_bytes", "est_nvidia_smi_bytes",
                    "est_verdict", "est_device_kind", "allocated_error_pct", "reserved_error_pct", "nvidia_smi_error_pct",
                    "est_s_per_step_low", "est_s_per_step_high", "time_vs_estimate", "est_time_basis"]
COLUMNS = ENVIRONMENT_COLUMNS + CASE_COLUMNS + MEASURED_COLUMNS + ESTIMATE_COLUMNS + ["command", "notes"]

START_MARKER = "<!-- bench-results:start (written by python -m bench.gpu; edits here are replaced) -->"
END_MARKER = "<!-- bench-results:end -->"
CPU_ROW = "n/a: CPU run"


def number(value) -> Optional[float]:
    """A cell as a number, or None when it holds a reason (or nothing)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _percent_error(estimated, measured) -> Optional[float]:
    est, meas = number(estimated), number(measured)
    if est is None or meas is None or meas <= 0:
        return None
    return round(100.0 * (est - meas) / meas, 1)


def complete(row: Dict[str, object]) -> Dict[str, object]:
    """Fills the derived cells of a row from its measured and estimated cells."""
    ours, theirs = number(row.get("localtune_tokens_per_s")), number(row.get("trainer_tokens_per_s"))
    row["ratio"] = round(ours / theirs, 3) if ours is not None and theirs else ""
    reserved, outside = number(row.get("peak_reserved_bytes")), number(row.get("outside_allocator_bytes"))
    if reserved is not None and outside is not None:
        row["nvidia_smi_view_bytes"] = int(reserved + outside)
    elif row.get("device") == "cpu":
        row["nvidia_smi_view_bytes"] = CPU_ROW
    comparable = _estimate_matches_device(row)
    for error, estimated, measured in (("allocated_error_pct", "est_allocated_bytes", "peak_allocated_bytes"),
                                       ("reserved_error_pct", "est_reserved_bytes", "peak_reserved_bytes"),
                                       ("nvidia_smi_error_pct", "est_nvidia_smi_bytes", "nvidia_smi_view_bytes")):
        value = _percent_error(row.get(estimated), row.get(measured)) if comparable else None
        row[error] = value if value is not None else ""
    row["time_vs_estimate"] = _time_verdict(row, comparable)
    return row


def _estimate_matches_device(row: Dict[str, object]) -> bool:
    """The estimator judges a GPU when given one and the local machine otherwise; a CPU run
    compared with a GPU estimate (or the reverse) is not a test of anything."""
    kind = str(row.get("est_device_kind") or "")
    return not kind or kind == ("gpu" if row.get("device") == "cuda" else "cpu")


def _time_verdict(row: Dict[str, object], comparable: bool) -> str:
    measured = number(row.get("localtune_s_per_step"))
    low, high = number(row.get("est_s_per_step_low")), number(row.get("est_s_per_step_high"))
    if measured is None or low is None or high is None:
        return ""
    if not comparable:
        return "not comparable: the estimate is for another device"
    if measured < low:
        return "faster than the estimate's range"
    if measured > high:
        return "slower than the estimate's range"
    return "inside the range"


def write_csv(path: Path, rows: Sequence[Dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".csv.partial")
    with open(temporary, "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({column: "" if row.get(column) is None else row.get(column) for column in COLUMNS})
    temporary.replace(path)


def read_csv(path: Path) -> List[Dict[str, object]]:
    with open(path, newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        missing = [column for column in ("model", "method", "max_length", "device") if column not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path} is not a benchmark CSV (no {', '.join(missing)} column)")
        return [dict(row) for row in reader]


# ---- markdown ---------------------------------------------------------------------------------


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _gib(value) -> Optional[str]:
    n = number(value)
    return f"{n / 1024 ** 3:.2f}" if n is not None else None


def _rate(value) -> str:
    n = number(value)
    if n is None:
        return _cell(value) if value not in (None, "") else "—"
    return f"{n:,.0f}" if n >= 100 else f"{n:.1f}"


def _seconds(value) -> Optional[str]:
    n = number(value)
    return f"{n:.3g}" if n is not None else None


def _memory(row: Dict[str, object], measured: str, estimated: str, error: str) -> str:
    got, want = _gib(row.get(measured)), _gib(row.get(estimated))
    left = got if got is not None else _cell(row.get(measured) or "—")
    right = want if want is not None else _cell(row.get(estimated) or "—")
    pct = number(row.get(error))
    return f"{left} / {right}" + (f" ({pct:+.1f} %)" if pct is not None else "")


def _time(row: Dict[str, object]) -> str:
    measured = _seconds(row.get("localtune_s_per_step"))
    low, high = _seconds(row.get("est_s_per_step_low")), _seconds(row.get("est_s_per_step_high"))
    left = measured if measured is not None else "—"
    if low is not None and high is not None:
        right = f"{low}–{high}"
    else:
        right = _cell(row.get("est_s_per_step_low") or row.get("est_time_basis") or "—")
    verdict = str(row.get("time_vs_estimate") or "")
    mark = {"inside the range": " ✓", "faster than the estimate's range": " (faster)",
            "slower than the estimate's range": " (slower)"}.get(verdict, "")
    return f"{left} / {right}{mark}"


def _ratio(row: Dict[str, object]) -> str:
    n = number(row.get("ratio"))
    return f"{n:.2f}×" if n is not None else "—"


TABLE_HEADER = ("| model | method | length × micro batch × accumulation | checkpointing · attention | LocalTune tokens/s "
                "| Trainer tokens/s | LocalTune ÷ Trainer | s/step measured / estimated "
                "| peak allocated GiB measured / estimated | peak reserved GiB measured / estimated "
                "| nvidia-smi view GiB measured / estimated | outside allocator (context at init) / context estimate GiB "
                "| fit measured / estimated |")


def markdown_table(rows: Iterable[Dict[str, object]]) -> str:
    lines = [TABLE_HEADER, "|" + " --- |" * (TABLE_HEADER.count("|") - 1)]
    for row in rows:
        method = row.get("method", "")
        if method == "lora":
            method = f"LoRA r={row.get('lora_r')}"
        shape = f"{row.get('max_length')} × {row.get('micro_batch')} × {row.get('grad_accum')}"
        outside = _gib(row.get("outside_allocator_bytes"))
        at_init = _gib(row.get("cuda_context_bytes"))
        context = _gib(row.get("est_context_bytes"))
        cells = [
            _cell(row.get("model", "")), _cell(method), shape,
            f"{'on' if str(row.get('checkpointing')) == 'on' else 'off'} · {_cell(row.get('attention') or '—')}",
            _rate(row.get("localtune_tokens_per_s")), _rate(row.get("trainer_tokens_per_s")), _ratio(row),
            _time(row),
            _memory(row, "peak_allocated_bytes", "est_allocated_bytes", "allocated_error_pct"),
            _memory(row, "peak_reserved_bytes", "est_reserved_bytes", "reserved_error_pct"),
            _memory(row, "nvidia_smi_view_bytes", "est_nvidia_smi_bytes", "nvidia_smi_error_pct"),
            f"{outside if outside is not None else _cell(row.get('outside_allocator_bytes') or '—')}"
            f"{f' ({at_init})' if at_init is not None else ''} / {context if context is not None else '—'}",
            f"{_cell(row.get('measured_fit') or '—')} / {_cell(row.get('est_verdict') or '—')}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _distinct(rows: Sequence[Dict[str, object]], column: str) -> str:
    values = []
    for row in rows:
        value = str(row.get(column) or "")
        if value and value not in values:
            values.append(value)
    return ", ".join(values) or "unknown"


def results_section(rows: Sequence[Dict[str, object]], csv_name: str, requested: Optional[int] = None,
                    not_run: Optional[List[str]] = None, continue_with: Optional[str] = None,
                    notes: Sequence[str] = ()) -> str:
    """The markdown between the markers: what ran where, how it was measured, and the table."""
    memory = number(rows[0].get("gpu_memory_bytes")) if rows else None
    gpu = _distinct(rows, "gpu") + (f", {memory / 1024 ** 3:.1f} GiB" if memory else "")
    lines = [START_MARKER, "",
             f"## Measured on {gpu} ({_distinct(rows, 'date')})", "",
             f"- Software: torch {_distinct(rows, 'torch')} (CUDA {_distinct(rows, 'cuda')}, driver "
             f"{_distinct(rows, 'driver')}), transformers {_distinct(rows, 'transformers')}, peft "
             f"{_distinct(rows, 'peft')}, accelerate {_distinct(rows, 'accelerate')}, Python "
             f"{_distinct(rows, 'python')}; LocalTune {_distinct(rows, 'commit')}.",
             f"- Each row: {_distinct(rows, 'steps')} timed optimizer steps after {_distinct(rows, 'warmup')} "
             f"warm-up step(s), precision {_distinct(rows, 'precision')}, "
             "synthetic rows of exactly max length (no padding), the same rows, model, seed, effective batch and "
             "LoRA settings for both sides, measured one after the other in one process.",
             f"- Rows: {len(rows)}" + (f" of {requested} requested" if requested is not None else "")
             + f"; data: `{csv_name}`.",
             ]
    for command in _distinct(rows, "command").split(", ") if rows else []:
        if command and command != "unknown":
            lines.append(f"- Command: `{command}`")
    if not_run:
        lines.append(f"- Not measured yet ({len(not_run)}; the time budget ran out): " + "; ".join(not_run) + ".")
        if continue_with:
            lines.append(f"  Continue with: `{continue_with}`")
    lines += [f"- Note: {note}" for note in notes]
    lines += ["", markdown_table(rows), "", END_MARKER]
    return "\n".join(lines) + "\n"


def update_markdown(path: Path, section: str, title: str) -> None:
    """Replace the section between the markers; append it when the file has none; create the file."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {title}\n\n{section}", encoding="utf-8")
        return
    text = path.read_text(encoding="utf-8")
    start, end = text.find(START_MARKER), text.find(END_MARKER)
    if start != -1 and end > start:
        text = text[:start] + section.rstrip("\n") + text[end + len(END_MARKER):]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
