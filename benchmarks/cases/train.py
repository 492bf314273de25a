"""Fine-tuning benchmark: anglevec's native AnglE trainer vs angle_emb 0.6.1 (PyTorch CPU).

(1) speed: training examples/s and peak RSS, same model (all-MiniLM-L6-v2), batch of 32 triples (format C),
    max length 128, 2 threads, each side in its own process (peak RSS = the process's ru_maxrss, from wait4).
    The first step (torch.compile, buffer allocation) is excluded from the rate on both sides: examples/s
    over steps 2..N. By default the rows come from the quality stage's first fine-tunes (32 steps: the
    `anglevec train` process, its `examples_per_s_after_first_step`; the angle_emb `AnglE.fit` process,
    from the start of step 2 to the end of training), so nothing is trained twice. --quick (3 steps) and
    --skip-quality run a separate speed stage instead: `Bench train` and an `AnglE.fit` process.
(2) quality: fine-tune all-MiniLM-L6-v2 on debian-pkgdesc's training triples (format C) with angle_emb AND
    with `anglevec train` under the same settings (batch 32, lr 2e-5, max_length 128, loss weights cosine 0 /
    ibn 1 / cln 1 / angle 0.02, taus 20, warmup 0, seed 42, no prompts, duplicate filtering on), then nDCG@10 /
    Recall@100 / MRR@10 on the 1,000 held-out test queries for the start model and both fine-tunes, all
    measured by the same evaluator (`anglevec eval --beir`, exact search, title + " " + text documents).
    Then anglevec with ESE (`--apply-ese`) vs the plain fine-tune on the 2D-Matryoshka (layers × dims) grid,
    and Spearman on the gensim similarity sets (benchmarks/data/sts) before/after.

    python benchmarks/cases/train.py [--quick] [--full] [--skip-speed] [--skip-quality]

Default (what `run.sh all` runs, ~15 min): 32 steps on both sides; the 1,000 test queries searched over an
8,000-document slice of the corpus (their relevant documents + a fixed sample of the others); no ESE.
--full (~2 h): the whole 32,199-document corpus, anglevec at 32, 128 and 512 steps, angle_emb at 32 and 128,
    and the ESE fine-tune vs the plain one at 128 steps on the (layers x dims) grid.
--quick: 2 steps, a 2,000-document corpus slice with 100 queries, angle_emb in the speed stage only (a smoke
    test of the pipeline, part of `run.sh --quick`'s 5-minute budget).
Internal stages (run in a subprocess by the script itself): --stage angle-speed | angle-finetune.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import BENCH_BIN, CLI_BIN, MODEL_DIR, PKGDESC, ROOT, STS, Result, peak_rss_mib, read_jsonl  # noqa: E402

TRAIN = PKGDESC / "train_clicks.jsonl"
BATCH, MAX_LENGTH, LR, WARMUP, SEED = 32, 128, 2e-5, 0, 42
LOSS = {"cosine_w": 0.0, "ibn_w": 1.0, "cln_w": 1.0, "angle_w": 0.02, "cosine_tau": 20.0, "ibn_tau": 20.0, "angle_tau": 20.0}
GRID_LAYERS = [2, 3, 4, 6]
GRID_DIMS = [64, 128, 256, 384]
THREADS = int(os.environ.get("ANGLEVEC_BENCH_THREADS", "2"))


# ---------------------------------------------------------------- angle_emb side (runs in its own process)

def angle_fit(steps: int, out: Path, data: Path, ese: bool = False) -> dict:
    """AnglE.fit for `steps` optimizer steps; returns timing of the steps after the first."""
    import torch
    torch.set_num_threads(THREADS)
    import transformers
    from angle_emb import AnglE
    from datasets import Dataset

    stamps: list[float] = []
    original = transformers.Trainer.training_step

    def timed(self, *a, **k):  # one call per optimizer step (no accumulation)
        stamps.append(time.perf_counter())
        return original(self, *a, **k)

    transformers.Trainer.training_step = timed
    train_ended: list[float] = []
    original_train = transformers.Trainer.train

    def train_timed(self, *a, **k):  # AnglE.fit saves the model after this returns: not part of the rate
        try:
            return original_train(self, *a, **k)
        finally:
            train_ended.append(time.perf_counter())

    transformers.Trainer.train = train_timed
    rows = read_jsonl(data)
    angle = AnglE.from_pretrained(str(MODEL_DIR), max_length=MAX_LENGTH, pooling_strategy="avg", train_mode=True)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    angle.fit(train_ds=Dataset.from_list(rows), output_dir=str(out), batch_size=BATCH, epochs=1, learning_rate=LR,
              warmup_steps=WARMUP, logging_steps=10 ** 6, save_strategy="no", loss_kwargs=dict(LOSS), apply_ese=ese,
              filter_duplicate=True,
              argument_kwargs={"max_steps": steps, "seed": SEED, "use_cpu": True, "dataloader_num_workers": 0,
                               "report_to": "none"})
    ended = time.perf_counter()
    # angle_emb saves the bare HF model; the sentence-transformers files (pooling: mean, Normalize) come from
    # the start model so every evaluator reads the same pipeline.
    for name in ("modules.json", "sentence_bert_config.json", "config_sentence_transformers.json", "1_Pooling", "2_Normalize"):
        src, dst = MODEL_DIR / name, out / name
        if src.exists() and not dst.exists():
            (shutil.copytree if src.is_dir() else shutil.copy)(src, dst)
    legacy_layernorm_names(out / "model.safetensors")
    timed_steps = len(stamps) - 1
    # Steps 2..N: from the start of step 2 (step 1 and its optimizer update done) to the end of training.
    rate = timed_steps * BATCH / ((train_ended[0] if train_ended else ended) - stamps[1]) if timed_steps > 0 else None
    return {"steps": len(stamps), "seconds": ended - started, "examples_per_s": rate, "peak_rss_mib": peak_rss_mib()}


def legacy_layernorm_names(path: Path) -> None:
    """transformers 5's save_pretrained writes BERT LayerNorms as legacy `LayerNorm.gamma/beta`; anglevec's loader
    reads the `weight/bias` names of the original checkpoints, so the file is rewritten with those names."""
    from safetensors.numpy import load_file, save_file
    tensors = load_file(str(path))
    if any(k.endswith(("LayerNorm.gamma", "LayerNorm.beta")) for k in tensors):
        renamed = {k.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias"): v for k, v in tensors.items()}
        save_file(renamed, str(path), metadata={"format": "pt"})


# ---------------------------------------------------------------- anglevec side

def run(cmd: list[str], timeout: int = 4 * 3600) -> subprocess.CompletedProcess:
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def run_measured(cmd: list[str], timeout: int = 4 * 3600, env: dict | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    """run() that also measures the child: (completed process, {"peak_rss_mib": its ru_maxrss from wait4, "wall_s"})."""
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        killed = threading.Event()
        timer = threading.Timer(timeout, lambda: (killed.set(), p.kill()))
        timer.start()
        try:
            _, status, usage = os.wait4(p.pid, 0)  # reaps the child itself: Popen.wait would lose its rusage
        finally:
            timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        if killed.is_set():
            raise subprocess.TimeoutExpired(cmd, timeout)
        out.seek(0); err.seek(0)
        done = subprocess.CompletedProcess(cmd, p.returncode, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))
    return done, {"peak_rss_mib": usage.ru_maxrss / 1024, "wall_s": wall}  # ru_maxrss: KiB on Linux


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip().startswith("{")]


def anglevec_train(steps: int, out: Path, data: Path, extra: list[str] | None = None) -> dict:
    cmd = [str(CLI_BIN), "train", str(data), "--model", str(MODEL_DIR), "--output", str(out), "--max-steps", str(steps),
           "--batch-size", str(BATCH), "--lr", str(LR), "--warmup-steps", str(WARMUP), "--max-length", str(MAX_LENGTH),
           "--cosine-weight", "0", "--ibn-weight", "1", "--cln-weight", "1", "--angle-weight", "0.02",
           "--cosine-tau", "20", "--ibn-tau", "20", "--angle-tau", "20", "--seed", str(SEED), "--pooling", "avg",
           "--save-steps", "0", "--json"] + (extra or [])
    p, measured = run_measured(cmd, env={**os.environ, "OPENBLAS_NUM_THREADS": str(THREADS)})
    if p.returncode != 0:
        raise RuntimeError(f"`anglevec train` failed ({p.returncode}): {p.stderr.strip()[-400:]}")
    return {**json_lines(p.stdout)[-1], **measured}


def anglevec_eval(model: Path, args: list[str]) -> list[dict]:
    p = run([str(CLI_BIN), "eval", "--model", str(model), "--json"] + args)
    if p.returncode != 0:
        raise RuntimeError(f"`anglevec eval` failed ({p.returncode}): {p.stderr.strip()[-400:]}")
    return json_lines(p.stdout)


def beir_slice(folder: Path, n_queries: int, n_docs: int) -> Path:
    """A small BEIR folder: the first n_queries test queries, their relevant documents, then other documents."""
    tmp = Path(tempfile.mkdtemp(prefix="anglevec-train-beir-"))
    (tmp / "qrels").mkdir()
    lines = (folder / "qrels" / "test.tsv").read_text().splitlines()
    kept = lines[1:n_queries + 1]
    (tmp / "qrels" / "test.tsv").write_text("\n".join([lines[0]] + kept) + "\n")
    qids = {l.split("\t")[0] for l in kept}
    relevant = {l.split("\t")[1] for l in kept}
    docs = read_jsonl(folder / "corpus.jsonl")
    chosen = [d for d in docs if d["_id"] in relevant]
    chosen += [d for d in docs if d["_id"] not in relevant][:max(0, n_docs - len(chosen))]
    (tmp / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in chosen))
    (tmp / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in read_jsonl(folder / "queries.jsonl") if q["_id"] in qids))
    return tmp


def retrieval(model: Path, beir: Path, grid: bool = False) -> dict:
    args = [str(beir)]
    if grid:
        args += ["--layers", ",".join(map(str, GRID_LAYERS)), "--dims", ",".join(map(str, GRID_DIMS))]
    rows = anglevec_eval(model, args)
    return {(r["layers"], r["dims"]): r for r in rows}


def sts_sets() -> list[Path]:
    return sorted(STS.glob("*.jsonl")) if STS.exists() else []


def spearman(model: Path, sets: list[Path]) -> dict[str, float]:
    out = {}
    for path in sets:
        rows = anglevec_eval(model, [str(path)])
        out[path.stem] = rows[-1]["spearman"]
    return out


# ---------------------------------------------------------------- cases

def speed(res: Result, steps: int, data: Path) -> None:
    rows = []
    if not BENCH_BIN.exists():
        res.missing(f"anglevec speed: {BENCH_BIN.relative_to(ROOT)} not built (swift build -c release --product Bench)")
    else:
        p = run([str(BENCH_BIN), "train", "--model", str(MODEL_DIR), "--data", str(data), "--steps", str(steps),
                 "--batch-size", str(BATCH), "--max-length", str(MAX_LENGTH), "--threads", str(THREADS)])
        if p.returncode != 0:
            res.missing(f"anglevec speed: Bench train failed ({p.returncode}): {p.stderr.strip()[-300:]}")
        else:
            r = json.loads(p.stdout.strip().splitlines()[-1])
            rows.append(["anglevec", r["examples_per_s"], r["peak_rss_mib"], r["steps"], r["seconds"]])
    with tempfile.TemporaryDirectory(prefix="angle-speed-") as tmp:
        p = run([sys.executable, __file__, "--stage", "angle-speed", "--steps", str(steps), "--out", tmp, "--data", str(data)])
        if p.returncode != 0:
            res.missing(f"angle_emb speed: failed ({p.returncode}): {p.stderr.strip()[-300:]}")
        else:
            r = json.loads(p.stdout.strip().splitlines()[-1])
            rows.append([ANGLE_EMB, r["examples_per_s"], r["peak_rss_mib"], r["steps"], r["seconds"]])
    speed_table(res, rows)
    res.note(f"Training speed: a separate {steps}-step run per side (`Bench train`; an `AnglE.fit` process); wall s = the "
             "training loop (Bench train) / AnglE.fit (angle_emb).")


ANGLE_EMB = "angle_emb 0.6.1 (torch CPU)"


def speed_table(res: Result, rows: list[list]) -> None:
    """The speed table (first in the report) and its two ratios; rows: [system, examples/s, peak RSS MiB, steps, wall s]."""
    res.d["tables"].insert(0, {"name": f"Training speed: all-MiniLM-L6-v2, {BATCH} triples per step, max length {MAX_LENGTH}, {THREADS} threads",
                               "columns": ["system", "examples/s (steps 2..N)", "peak RSS MiB", "steps", "wall s (incl. load)"],
                               "rows": rows})
    if len(rows) == 2 and rows[0][1] and rows[1][1]:
        res.d["ratios"]["anglevec_vs_angle_emb_train_examples_per_s"] = round(rows[0][1] / rows[1][1], 3)
        res.d["ratios"]["anglevec_vs_angle_emb_train_peak_rss"] = round(rows[0][2] / rows[1][2], 3)


def speed_from_finetunes(res: Result, timings: dict, steps: int) -> None:
    """The speed rows from the quality stage's `steps`-step fine-tunes (no separate speed run)."""
    rows = []
    for key, name in (("anglevec", "anglevec"), ("angle_emb", ANGLE_EMB)):
        t = timings.get((key, steps))
        if t is None or not t.get("examples_per_s"):
            res.missing(f"{key} speed: no timing of its {steps}-step fine-tune (failed, reused without a timing file, or fewer than 2 steps)")
            continue
        rows.append([name, round(t["examples_per_s"], 2), round(t["peak_rss_mib"], 1), t["steps"], round(t["wall_s"], 1)])
    speed_table(res, rows)
    res.note(f"Training speed rows come from the {steps}-step fine-tunes of the retrieval-quality stage (no separate speed run): "
             "examples/s over steps 2..N (anglevec: `examples_per_s_after_first_step` of `anglevec train --json`, from the end of "
             "step 1 to the end of step N; angle_emb: from the start of step 2 to the end of Trainer.train, before the model is "
             "saved); peak RSS = each process's ru_maxrss (wait4); wall s = the whole process (load, train, save).")


def wait_for(folder: Path, seconds: int = 3 * 3600) -> None:
    """Waits for a fine-tune another process is writing (its last file is config_sentence_transformers.json)."""
    waited = 0
    while folder.exists() and not (folder / "config_sentence_transformers.json").exists() and waited < seconds:
        time.sleep(30)
        waited += 30


def save_timing(path: Path, timing: dict) -> None:
    path.write_text(json.dumps(timing) + "\n")


def load_timing(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def quality(res: Result, steps_list: list[int], data: Path, beir: Path, work: Path, angle_emb_model: Path | None = None,
            ese_steps: int | None = None, angle_steps: list[int] | None = None) -> dict:
    """Fine-tunes first (anglevec plain + ESE, angle_emb), then evaluates everything with the same evaluator.
    Fine-tunes already in `work` (from an interrupted run with --work) are reused, with their timings
    (work/<fine-tune>.timing.json). Returns {("anglevec" | "angle_emb", steps): timing} of the plain fine-tunes:
    {"examples_per_s" (steps 2..N), "peak_rss_mib" (the process's), "steps", "wall_s" (the process's)}."""
    timings: dict[tuple[str, int], dict] = {}
    sets = sts_sets()
    if not sets:
        res.missing("gensim similarity sets: benchmarks/data/sts missing (builders/graded_similarity.py)")
    full = (6, 384)
    models: list[tuple[str, int, Path]] = []
    ese_dir = None
    rows, sts_rows, grids = [], [], {}

    def evaluate(name: str, steps: int, folder: Path) -> None:
        try:
            grid_wanted = ese_steps is not None and (steps == 0 or "ESE" in name or name.startswith(f"anglevec fine-tune, {ese_steps} "))
            scores = retrieval(folder, beir, grid=grid_wanted)
            m = scores[full]
            if "ESE" not in name:
                rows.append([name, steps, m["ndcg@10"], m["recall@100"], m["mrr@10"]])
            if grid_wanted:
                grids[name] = scores
            if sets and "ESE" not in name:
                sts_rows.append([name, steps] + list(spearman(folder, sets).values()))
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            res.missing(f"evaluation of {name}: {e}")

    evaluate("all-MiniLM-L6-v2 (start)", 0, MODEL_DIR)
    for steps in steps_list:
        vec_dir = work / f"anglevec-{steps}"
        wait_for(vec_dir)
        try:
            if not (vec_dir / "config_sentence_transformers.json").exists():
                summary = anglevec_train(steps, vec_dir, data)
                res.note(f"anglevec train, {steps} steps: {summary['seconds']:.0f} s, {summary['examples_per_s']:.1f} examples/s, "
                         f"loss {summary['first_loss']:.4f} -> {summary['final_loss']:.4f}")
                save_timing(work / f"anglevec-{steps}.timing.json",
                            {"examples_per_s": summary.get("examples_per_s_after_first_step"), "peak_rss_mib": summary["peak_rss_mib"],
                             "steps": summary["steps"], "wall_s": summary["wall_s"]})
            if timing := load_timing(work / f"anglevec-{steps}.timing.json"):
                timings[("anglevec", steps)] = timing
            models.append((f"anglevec fine-tune, {steps} steps", steps, vec_dir))
            if steps == ese_steps:
                ese_dir = work / f"anglevec-ese-{steps}"
                wait_for(ese_dir)
                if not (ese_dir / "config_sentence_transformers.json").exists():
                    anglevec_train(steps, ese_dir, data, ["--apply-ese", "--ese-compression-size", "128", "--ese-kl-temperature", "1"])
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            res.missing(f"anglevec fine-tune ({steps} steps): {e}")
        if angle_steps is not None and steps not in angle_steps:
            continue
        angle_dir = work / f"angle_emb-{steps}"
        if angle_emb_model and steps == steps_list[0]:
            angle_dir = angle_emb_model
            res.note(f"angle_emb {steps}-step fine-tune reused from {angle_emb_model} (made by --stage angle-finetune)")
            waited = 0
            while not (angle_dir / "model.safetensors").exists() and waited < 3 * 3600:  # still training in another process
                time.sleep(30)
                waited += 30
        elif not (angle_dir / "model.safetensors").exists():
            try:
                p, measured = run_measured([sys.executable, __file__, "--stage", "angle-finetune", "--steps", str(steps), "--out", str(angle_dir),
                                            "--data", str(data)])
            except subprocess.TimeoutExpired as e:
                p, measured = subprocess.CompletedProcess(e.cmd, -9, "", f"timed out after {e.timeout} s"), {}
            if p.returncode != 0:
                res.missing(f"angle_emb fine-tune ({steps} steps): failed ({p.returncode}): {p.stderr.strip()[-300:]}")
            else:
                fit = json.loads(p.stdout.strip().splitlines()[-1])
                save_timing(work / f"angle_emb-{steps}.timing.json",
                            {"examples_per_s": fit["examples_per_s"], "steps": fit["steps"], **measured})
        if angle_dir == work / f"angle_emb-{steps}" and (timing := load_timing(work / f"angle_emb-{steps}.timing.json")):
            timings[("angle_emb", steps)] = timing
        if (angle_dir / "model.safetensors").exists():
            models.append((f"angle_emb 0.6.1 fine-tune, {steps} steps", steps, angle_dir))

    for name, steps, folder in models + ([(f"anglevec ESE fine-tune, {ese_steps} steps", ese_steps, ese_dir)] if ese_dir else []):
        evaluate(name, steps, folder)
    res.table("Retrieval on debian-pkgdesc test queries (exact search, no prompts, same evaluator for all)",
              ["system", "steps", "nDCG@10", "Recall@100", "MRR@10"], rows)
    by_name = {r[0]: r for r in rows}
    for steps in steps_list:
        mine, theirs = by_name.get(f"anglevec fine-tune, {steps} steps"), by_name.get(f"angle_emb 0.6.1 fine-tune, {steps} steps")
        if mine and theirs:
            res.d["ratios"][f"anglevec_minus_angle_emb_ndcg@10_{steps}_steps"] = round(mine[2] - theirs[2], 4)
    if sets:
        res.table("Spearman (cosine vs gold) on the gensim similarity sets", ["system", "steps"] + [s.stem for s in sets], sts_rows)
    for name, grid in grids.items():
        res.table(f"2D-Matryoshka grid nDCG@10, {name}: layers x dims", ["layers"] + [str(d) for d in GRID_DIMS],
                  [[l] + [grid[(l, d)]["ndcg@10"] for d in GRID_DIMS] for l in GRID_LAYERS])
    return timings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--stage", choices=["angle-speed", "angle-finetune"])
    ap.add_argument("--steps", type=int)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--data", type=Path, default=TRAIN)
    ap.add_argument("--ese", action="store_true")
    ap.add_argument("--skip-ese", action="store_true", help="--full without the ESE fine-tune / grid comparison")
    ap.add_argument("--slice-docs", type=int, default=8000, help="corpus slice of the default run (documents)")
    ap.add_argument("--steps-list", help="anglevec fine-tunes at these step counts (comma list), instead of the mode's")
    ap.add_argument("--angle-steps", help="angle_emb fine-tunes at these step counts (comma list, or 'none')")
    ap.add_argument("--ese-steps", type=int, help="ESE vs plain fine-tune at this step count (grids)")
    ap.add_argument("--name", default="train", help="result name: benchmarks/out/NAME.json (keeps the default run's train.json)")
    ap.add_argument("--work", type=Path, help="keep the fine-tuned models here (reused when present) instead of a temporary folder")
    ap.add_argument("--angle-emb-model", type=Path, help="reuse this angle_emb fine-tune (of the first step count) instead of training one")
    args = ap.parse_args()
    if args.stage:
        print(json.dumps(angle_fit(args.steps, args.out, args.data, ese=args.ese)))
        return

    speed_steps = 3 if args.quick else 8
    steps_list = [2] if args.quick else ([32, 128, 512] if args.full else [32])
    if args.steps_list:
        steps_list = [int(x) for x in args.steps_list.split(",")]
    # --quick is a pre-commit smoke test: angle_emb only in the speed stage, not fine-tuned a second time.
    angle_steps = [32, 128] if args.full else ([] if args.quick else None)
    if args.angle_steps:
        angle_steps = [] if args.angle_steps == "none" else [int(x) for x in args.angle_steps.split(",")]
    ese_steps = args.ese_steps if args.ese_steps else (128 if args.full and not args.skip_ese else None)
    if ese_steps and ese_steps not in steps_list:
        steps_list.append(ese_steps)
    res = Result(args.name, "Fine-tuning: anglevec vs angle_emb (speed, retrieval quality, ESE, similarity)",
                 f"debian-pkgdesc train_clicks.jsonl (10,000 format-C triples), test: 1,000 queries over "
                 f"{'a 2,000-document slice' if args.quick else ('32,199 documents' if args.full else f'a {args.slice_docs:,}-document slice (their relevant documents + others)')}; gensim similarity sets",
                 "python " + " ".join(["benchmarks/cases/train.py"] + sys.argv[1:]))
    res.note(f"Settings on both sides: batch {BATCH} triples, max length {MAX_LENGTH}, lr {LR}, warmup {WARMUP}, "
             f"seed {SEED}, loss weights cosine 0 / ibn 1 / cln 1 / angle 0.02, taus 20, mean pooling, no prompts, "
             "dropout 0.1, AdamW (weight decay 0), linear decay over max_steps, grad clip 1.0.")
    res.note("angle_emb's batch order comes from torch's sampler and anglevec's from its own seeded shuffle, so the two "
             "runs see different batches: equal quality is expected up to run-to-run noise, not bitwise.")
    if not TRAIN.exists():
        res.missing(f"debian-pkgdesc: {TRAIN.relative_to(ROOT)} missing (benchmarks/builders/debian_pkgdesc.py)")
        res.write()
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="anglevec-train-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        data = TRAIN
        if args.quick:
            data = work / "train-quick.jsonl"
            data.write_text("".join(l for i, l in enumerate(open(TRAIN, encoding="utf-8")) if i < BATCH * 4))
        # The speed rows come from the quality stage's first fine-tunes, except in --quick (2-step fine-tunes, no
        # angle_emb one) and when there is no quality stage: then a separate speed stage runs.
        separate_speed = not args.skip_speed and (args.quick or args.skip_quality)
        if separate_speed:
            speed(res, speed_steps, data)
        if not args.skip_quality:
            if not CLI_BIN.exists():
                res.missing(f"anglevec quality: {CLI_BIN.relative_to(ROOT)} not built (swift build -c release --product anglevec)")
                if not args.skip_speed and not separate_speed:
                    res.missing("training speed: no fine-tunes to time (anglevec not built)")
            else:
                beir = beir_slice(PKGDESC, 100, 2000) if args.quick else (PKGDESC if args.full else beir_slice(PKGDESC, 1000, args.slice_docs))
                timings = quality(res, steps_list, data, beir, work, args.angle_emb_model,
                                  ese_steps=ese_steps, angle_steps=angle_steps)
                if not args.skip_speed and not separate_speed:
                    both = [n for n in steps_list if ("anglevec", n) in timings and ("angle_emb", n) in timings]
                    speed_from_finetunes(res, timings, both[0] if both else steps_list[0])
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
        res.write()


if __name__ == "__main__":
    main()
