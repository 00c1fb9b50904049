"""The GPU benchmark harness (`python -m bench.gpu`) on the CPU, so it cannot rot.

`--tiny` runs the whole pipeline: LocalTune's recipe on the built-in demo model (and, where
transformers, peft and accelerate are installed, a 2-layer Llama for both LocalTune and the
Trainer baseline), the estimator CLI when it is built, the CSV and the markdown. The figures are
CPU figures of toy models: the test checks that they exist and hang together, not their values.
"""

import importlib.util
import itertools
import json
import shutil
import subprocess
import sys

import pytest

from conftest import RUNTIME_ROOT, runtime_env
from bench.gpu import report
from bench.gpu.cases import BenchCase, BenchModel, TINY_LLAMA_CONFIG, build_matrix, row_key
from bench.gpu.synthetic import TokenIdTokenizer, make_rows, rows_as_text
from bench.gpu.trainer_side import NOT_APPLICABLE_DEMO, UNAVAILABLE
from localtune_runtime.data import Record, tokenize_records

REPO = RUNTIME_ROOT.parent
HF = all(importlib.util.find_spec(name) is not None for name in ("transformers", "peft", "accelerate"))
CLI_BUILT = shutil.which("node") is not None and (REPO / "out" / "main" / "cli.js").is_file()
TINY_MODELS = ["tiny-demo"] + (["tiny-llama"] if HF else [])


def bench(*args, timeout=240):
    return subprocess.run([sys.executable, "-m", "bench.gpu", *args], cwd=RUNTIME_ROOT,
                          env=runtime_env(), capture_output=True, text=True, timeout=timeout)


def only_csv(folder):
    files = sorted(folder.glob("cpu-*.csv"))
    assert len(files) == 1, files
    return files[0]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench-tiny")
    result = bench("--tiny", "--out", str(out))
    return out, result


def test_tiny_run_measures_every_configuration_of_the_matrix(tiny_run):
    out, result = tiny_run
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    path = only_csv(out)
    assert path.read_text(encoding="utf-8").splitlines()[0].split(",") == report.COLUMNS
    rows = report.read_csv(path)
    # the --tiny matrix: models x {lora, full} x {64} x {2} x {off, on}
    expected = set(itertools.product(TINY_MODELS, ("lora", "full"), ("off", "on")))
    assert len(rows) == len(expected) == len(TINY_MODELS) * 4
    assert {(r["model"], r["method"], r["checkpointing"]) for r in rows} == expected
    for row in rows:
        assert row["device"] == "cpu" and row["precision"] == "fp32"
        assert int(row["tokens_per_step"]) == 64 * 2 * 1
        tokens_per_s, seconds = float(row["localtune_tokens_per_s"]), float(row["localtune_s_per_step"])
        assert tokens_per_s > 0 and seconds > 0
        assert tokens_per_s == pytest.approx(int(row["tokens_per_step"]) / seconds, rel=1e-3)
        assert row["peak_allocated_bytes"] == report.CPU_ROW  # no CUDA memory on the CPU


def test_trainer_column_says_why_it_is_empty_or_holds_a_measurement(tiny_run):
    rows = report.read_csv(only_csv(tiny_run[0]))
    for row in rows:
        if not HF:
            assert row["trainer_tokens_per_s"] == UNAVAILABLE == "unavailable: transformers not installed"
            assert row["ratio"] == ""
        elif row["model"] == "tiny-demo":
            assert row["trainer_tokens_per_s"] == NOT_APPLICABLE_DEMO
        else:
            assert float(row["trainer_tokens_per_s"]) > 0
            assert float(row["ratio"]) == pytest.approx(
                float(row["localtune_tokens_per_s"]) / float(row["trainer_tokens_per_s"]), rel=1e-2)


def test_estimator_cells_come_from_the_cli_or_say_it_is_not_built(tiny_run):
    rows = report.read_csv(only_csv(tiny_run[0]))
    for row in rows:
        if CLI_BUILT:
            assert float(row["est_allocated_bytes"]) > 0 and float(row["est_reserved_bytes"]) >= float(row["est_allocated_bytes"])
            assert row["est_verdict"] in ("fits", "tight", "does-not-fit")
            if row["est_device_kind"] == "cpu":  # the CLI judged this machine: a CPU time range per step
                low, high = float(row["est_s_per_step_low"]), float(row["est_s_per_step_high"])
                assert 0 < low < high
                assert row["time_vs_estimate"] in ("inside the range", "faster than the estimate's range",
                                                   "slower than the estimate's range")
        else:
            assert row["est_allocated_bytes"].startswith(("estimator CLI not built", "estimator unavailable"))


def test_markdown_has_the_table_with_one_line_per_row(tiny_run):
    out, _ = tiny_run
    rows = report.read_csv(only_csv(out))
    text = (out / "cpu.md").read_text(encoding="utf-8")
    assert text.startswith("# CPU smoke run") and report.START_MARKER in text and report.END_MARKER in text
    lines = text.splitlines()
    header = lines.index(report.TABLE_HEADER)
    table = [line for line in lines[header + 2:] if line.startswith("| ")]
    assert len(table) == len(rows)
    columns = report.TABLE_HEADER.count("|") - 1
    assert all(line.count(" | ") == columns - 1 for line in table)
    if not HF:
        assert all("unavailable: transformers not installed" in line for line in table)


def test_table_writer_format_and_derived_cells():
    row = {"device": "cuda", "model": "meta-llama--Llama-3.2-1B", "method": "lora", "lora_r": "16",
           "max_length": "512", "micro_batch": "4", "grad_accum": "1", "checkpointing": "on", "attention": "sdpa",
           "localtune_tokens_per_s": "12345.6", "trainer_tokens_per_s": "10000", "localtune_s_per_step": "0.166",
           "peak_allocated_bytes": str(10 * 2 ** 30), "peak_reserved_bytes": str(12 * 2 ** 30),
           "outside_allocator_bytes": str(2 ** 29), "cuda_context_bytes": str(2 ** 28),
           "est_allocated_bytes": str(11 * 2 ** 30),
           "est_reserved_bytes": str(12 * 2 ** 30), "est_nvidia_smi_bytes": str(13 * 2 ** 30),
           "est_context_bytes": str(2 ** 29), "est_verdict": "fits", "est_device_kind": "gpu",
           "est_s_per_step_low": "0.1", "est_s_per_step_high": "0.4", "measured_fit": "fits"}
    report.complete(row)
    assert row["ratio"] == 1.235
    assert row["nvidia_smi_view_bytes"] == 12 * 2 ** 30 + 2 ** 29
    assert (row["allocated_error_pct"], row["reserved_error_pct"], row["nvidia_smi_error_pct"]) == (10.0, 0.0, 4.0)
    assert row["time_vs_estimate"] == "inside the range"
    table = report.markdown_table([row]).splitlines()
    assert table[0] == report.TABLE_HEADER
    assert table[2] == ("| meta-llama--Llama-3.2-1B | LoRA r=16 | 512 × 4 × 1 | on · sdpa | 12,346 | 10,000 | 1.24× "
                        "| 0.166 / 0.1–0.4 ✓ | 10.00 / 11.00 (+10.0 %) | 12.00 / 12.00 (+0.0 %) "
                        "| 12.50 / 13.00 (+4.0 %) | 0.50 (0.25) / 0.50 | fits / fits |")
    # a reason instead of a number shows as the reason; nothing is computed from it
    row.update(localtune_tokens_per_s="out of memory at step 1", localtune_s_per_step="",
               peak_allocated_bytes="out of memory at step 1", measured_fit="out of memory")
    report.complete(row)
    assert row["ratio"] == "" and row["allocated_error_pct"] == "" and row["time_vs_estimate"] == ""
    line = report.markdown_table([row]).splitlines()[2]
    assert "| out of memory at step 1 | 10,000 | — |" in line and "| out of memory at step 1 / 11.00 |" in line


def test_a_gpu_estimate_is_not_compared_with_a_cpu_run():
    row = {"device": "cpu", "localtune_s_per_step": "0.5", "est_s_per_step_low": "0.1", "est_s_per_step_high": "0.2",
           "est_device_kind": "gpu"}
    assert report.complete(row)["time_vs_estimate"] == "not comparable: the estimate is for another device"


def test_markdown_section_replaces_only_its_own_part(tmp_path):
    path = tmp_path / "gpu.md"
    report.update_markdown(path, report.results_section([], "gpu-x.csv"), "Title")
    first = path.read_text(encoding="utf-8")
    assert first.startswith("# Title\n") and first.count(report.START_MARKER) == 1
    path.write_text("# Title\n\nWritten by a person.\n\n" + first.split("\n", 2)[2] + "\nAfter the table.\n",
                    encoding="utf-8")
    report.update_markdown(path, report.START_MARKER + "\nnew results\n" + report.END_MARKER + "\n", "Title")
    text = path.read_text(encoding="utf-8")
    assert "Written by a person." in text and "After the table." in text and "new results" in text
    assert text.count(report.START_MARKER) == 1 and "Rows: 0" not in text
    plain = tmp_path / "plain.md"
    plain.write_text("# Plain\n\nNo markers.\n", encoding="utf-8")
    report.update_markdown(plain, report.START_MARKER + "\nx\n" + report.END_MARKER + "\n", "unused")
    assert plain.read_text(encoding="utf-8").startswith("# Plain\n\nNo markers.\n\n" + report.START_MARKER)


@pytest.mark.parametrize("model", [BenchModel("tiny-demo", None), "tiny-llama"])
def test_synthetic_rows_are_what_localtune_trains_on(model, tmp_path):
    """Written as text and tokenized by LocalTune's data loader, the rows come back exactly, EOS
    included, so both sides train on the same ids and every row is max_length long."""
    from localtune_runtime.backends.tiny_demo import ByteTokenizer

    if model == "tiny-llama":
        folder = tmp_path / "tiny-llama"
        folder.mkdir()
        (folder / "config.json").write_text(json.dumps(TINY_LLAMA_CONFIG), encoding="utf-8")
        model = BenchModel("tiny-llama", folder)
        tokenizer = TokenIdTokenizer(TINY_LLAMA_CONFIG["eos_token_id"])
    else:
        tokenizer = ByteTokenizer()
    rows = make_rows(model, 6, 48, seed=3)
    assert all(len(row) == 48 and row[-1] == tokenizer.eos_id and tokenizer.eos_id not in row[:-1] for row in rows)
    assert make_rows(model, 6, 48, seed=3) == rows and make_rows(model, 6, 48, seed=4) != rows
    records = [Record(text, "", True, i, i, generic=True) for i, text in enumerate(rows_as_text(model, rows))]
    examples, summary = tokenize_records(records, tokenizer, 48)
    assert [e.input_ids for e in examples] == rows
    assert summary.truncated == 0 and summary.skipped == 0 and summary.target_tokens == 6 * 47


def test_matrix_order_and_keys():
    demo = BenchModel("tiny-demo", None)
    cases = build_matrix([demo], ["lora", "full"], [64, 128], [1, 2], [False, True], grad_accum=2, lora_r=8)
    assert len(cases) == 16 and cases[0] == BenchCase(demo, "lora", 64, 1, 2, False, 8, "sdpa")
    assert cases[0].tokens_per_step == 64 * 1 * 2
    row = {"model": "tiny-demo", "method": "full", "max_length": "128", "micro_batch": "2", "grad_accum": "2",
           "checkpointing": "on", "lora_r": "", "attention": "sdpa"}
    assert row_key(row) == cases[-1].key


def test_estimator_missing_is_one_clear_cell_and_fill_estimates_completes_it(tmp_path):
    result = bench("--tiny", "--models", "tiny-demo", "--methods", "full", "--checkpointing", "off",
                   "--out", str(tmp_path), "--estimate-cmd", "/nonexistent/node")
    assert result.returncode == 0, result.stderr[-3000:]
    path = only_csv(tmp_path)
    [row] = report.read_csv(path)
    assert row["est_allocated_bytes"] == "estimator unavailable: /nonexistent/node (from --estimate-cmd) not found"
    assert float(row["localtune_tokens_per_s"]) > 0
    if not CLI_BUILT:
        return
    filled = bench("--fill-estimates", str(path))
    assert filled.returncode == 0, filled.stderr[-3000:]
    [row] = report.read_csv(path)
    assert float(row["est_allocated_bytes"]) > 0 and row["est_verdict"] == "fits"
    assert float(row["localtune_tokens_per_s"]) > 0  # the measurement is kept


def test_time_budget_leaves_a_continuation_and_append_finishes_the_matrix(tmp_path):
    common = ["--tiny", "--models", "tiny-demo", "--methods", "full", "--out", str(tmp_path),
              "--estimate-cmd", "/nonexistent/node"]
    first = bench(*common, "--budget-s", "0")
    assert first.returncode == 0, first.stderr[-3000:]
    path = only_csv(tmp_path)
    assert report.read_csv(path) == []
    assert "Not measured yet (2; the time budget ran out)" in (tmp_path / "cpu.md").read_text(encoding="utf-8")
    assert f"--append {path}" in first.stdout
    second = bench(*common, "--append", str(path))
    assert second.returncode == 0, second.stderr[-3000:]
    rows = report.read_csv(path)
    assert sorted(r["checkpointing"] for r in rows) == ["off", "on"]
    third = bench(*common, "--append", str(path))  # nothing left to measure
    assert third.returncode == 0 and len(report.read_csv(path)) == 2


def test_bad_options_exit_2():
    result = bench("--tiny", "--warmup", "0")
    assert result.returncode == 2 and "--warmup must be at least 1" in result.stderr
