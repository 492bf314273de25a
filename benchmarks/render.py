"""Renders every benchmarks/out/<mode>.json (common schema) into benchmarks/RESULTS.md, with plots.

Kept across renders: whatever lies between the markers `<!-- notes:begin -->` and `<!-- notes:end -->`
in the existing RESULTS.md (hand-written notes). Plots (matplotlib, PNG) under benchmarks/plots/:
  embed-docs-per-s.png        docs/s bars per system and text set (from embed.json)
  index-qps-recall.png        QPS vs recall curves (from index.json tables with "recall" and "QPS"
                              columns; rows grouped by the first column), unless index.json lists its own
  quality-2d-matryoshka.png   layers × dims nDCG@10 heat map (tables named "2D-Matryoshka grid ...: nDCG@10"
                              in quality.json / coarse.json)
Also lists the machine (out/machine.json), the status of every case (out/run-status.json) and the
sha256 of the data sets (each data folder's MANIFEST.json).

    python benchmarks/render.py
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BENCH, DATA, OUT, PLOTS, ROOT  # noqa: E402

RESULTS = BENCH / "RESULTS.md"
ORDER = ["embed", "index", "store", "coarse", "train", "quality"]
NOTES_BEGIN, NOTES_END = "<!-- notes:begin -->", "<!-- notes:end -->"
DEFAULT_NOTES = "(Hand-written notes go here; render.py keeps this block.)"


def fmt(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        if v != v:
            return "nan"
        if abs(v) >= 100:
            return f"{v:,.0f}"
        if abs(v) >= 10:
            return f"{v:.1f}"
        return f"{v:.4g}"
    return str(v).replace("|", "\\|").replace("\n", " ")


def md_table(columns, rows) -> str:
    lines = ["| " + " | ".join(fmt(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def load_results() -> dict[str, dict]:
    results = {}
    for path in sorted(OUT.glob("*.json")):
        if path.stem in ("machine", "run-status"):
            continue
        try:
            d = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            d = {"mode": path.stem, "title": path.stem, "missing": [f"{path.name} is not valid JSON: {e}"]}
        results[d.get("mode", path.stem)] = d
    return results


def plot_embed(d: dict) -> str | None:
    table = next((t for t in d.get("tables", []) if any("docs/s" in c for c in t["columns"])), None)
    if not table or not table["rows"]:
        return None
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cols = [i for i, c in enumerate(table["columns"]) if "docs/s" in c]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    width = 0.8 / len(table["rows"])
    for k, row in enumerate(table["rows"]):
        xs = [i + k * width for i in range(len(cols))]
        vals = [row[c] or 0 for c in cols]
        bars = ax.bar(xs, vals, width, label=row[0])
        ax.bar_label(bars, labels=[fmt(v) for v in vals], fontsize=8)
    ax.set_xticks([i + width * (len(table["rows"]) - 1) / 2 for i in range(len(cols))])
    ax.set_xticklabels([table["columns"][c].replace(" docs/s", "") for c in cols])
    ax.set_ylabel("documents / second (higher is better)")
    ax.set_title("Embedding throughput, all-MiniLM-L6-v2, CPU, 2 threads", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = PLOTS / "embed-docs-per-s.png"
    fig.savefig(path, dpi=110); plt.close(fig)
    return str(path.relative_to(ROOT))


def plot_index(d: dict) -> str | None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    curves: dict[str, list[tuple[float, float]]] = {}
    for t in d.get("tables", []):
        cols = [c.lower() for c in t["columns"]]
        r = next((i for i, c in enumerate(cols) if "recall" in c), None)
        q = next((i for i, c in enumerate(cols) if "qps" in c), None)
        if r is None or q is None:
            continue
        for row in t["rows"]:
            if isinstance(row[r], (int, float)) and isinstance(row[q], (int, float)):
                curves.setdefault(str(row[0]), []).append((row[r], row[q]))
    if not curves:
        return None
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for name, pts in sorted(curves.items()):
        pts.sort()
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", ms=3, label=name)
    ax.set_xlabel("recall"); ax.set_ylabel("queries / second (log)"); ax.set_yscale("log")
    ax.set_title("QPS vs recall (up and to the right is better)", fontsize=10)
    ax.grid(alpha=0.3); ax.legend(fontsize=8)
    fig.tight_layout()
    path = PLOTS / "index-qps-recall.png"
    fig.savefig(path, dpi=110); plt.close(fig)
    return str(path.relative_to(ROOT))


def plot_grid(results: dict[str, dict]) -> str | None:
    table = None
    for mode in ("coarse", "quality"):
        for t in results.get(mode, {}).get("tables", []):
            if t["name"].startswith("2D-Matryoshka grid") and "nDCG@10" in t["name"]:
                table = table or t
    if not table or not table["rows"]:
        return None
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    grid = np.array([[v if v is not None else np.nan for v in r[1:]] for r in table["rows"]], dtype=float)
    fig, ax = plt.subplots(figsize=(6, 3.8))
    im = ax.imshow(grid, cmap="viridis", aspect="auto", origin="lower")
    ax.set_xticks(range(len(table["columns"]) - 1)); ax.set_xticklabels(table["columns"][1:])
    ax.set_yticks(range(len(table["rows"]))); ax.set_yticklabels([str(r[0]) for r in table["rows"]])
    ax.set_xlabel("dimensions kept"); ax.set_ylabel("encoder layers kept")
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            ax.text(j, i, f"{grid[i, j]:.3f}", ha="center", va="center", fontsize=8,
                    color="white" if grid[i, j] < np.nanmean(grid) else "black")
    fig.colorbar(im, ax=ax, label="nDCG@10")
    ax.set_title(table["name"].split(":")[0] + ": nDCG@10 on debian-pkgdesc", fontsize=9)
    fig.tight_layout()
    path = PLOTS / "quality-2d-matryoshka.png"
    fig.savefig(path, dpi=110); plt.close(fig)
    return str(path.relative_to(ROOT))


def preserved_notes() -> str:
    if RESULTS.exists():
        m = re.search(re.escape(NOTES_BEGIN) + r"\n?(.*?)\n?" + re.escape(NOTES_END), RESULTS.read_text(), re.S)
        if m:
            return m.group(1)
    return DEFAULT_NOTES


def human_size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def data_section() -> list[str]:
    lines = ["## Data", "", "Built offline by scripts in this repository (`benchmarks/builders/`), never committed in bulk; "
             "`bash benchmarks/run.sh` builds what is missing. sha256 of every file:", ""]
    rows = []
    for manifest in sorted(DATA.glob("*/MANIFEST.json")):
        m = json.loads(manifest.read_text())
        for name, info in m.get("files", {}).items():
            size = info.get("bytes")
            extra = human_size(size) if size else f"{info.get('pairs', '')} pairs"
            rows.append([manifest.parent.name + "/" + name, extra, "`" + info["sha256"] + "`"])
        for name, info in m.get("sources", {}).items():
            rows.append([manifest.parent.name + " source: " + name, human_size(info["bytes"]), "`" + info["sha256"] + "`"])
    if rows:
        lines.append(md_table(["file", "size", "sha256"], rows))
    else:
        lines.append("(no data built yet)")
    pkg = DATA / "debian-pkgdesc" / "MANIFEST.json"
    if pkg.exists():
        c = json.loads(pkg.read_text())["counts"]
        lines += ["", f"debian-pkgdesc: {c['documents']:,} documents, {c['test_queries']:,} test queries, "
                  f"{c['train_triples']:,} training triples (disjoint from test queries and test-relevant documents); "
                  "query = a package's synopsis, relevant document = its long description "
                  "(Debian bookworm main, `benchmarks/builders/debian_pkgdesc.py`)."]
    return lines + [""]


def render() -> str:
    PLOTS.mkdir(parents=True, exist_ok=True)
    results = load_results()
    machine = json.loads((OUT / "machine.json").read_text()) if (OUT / "machine.json").exists() else {}
    status = json.loads((OUT / "run-status.json").read_text()) if (OUT / "run-status.json").exists() else {}
    plots = {}
    for name, fn in (("embed", lambda: plot_embed(results["embed"]) if "embed" in results else None),
                     ("index", lambda: plot_index(results["index"]) if "index" in results else None),
                     ("grid", lambda: plot_grid(results))):
        try:
            plots[name] = fn()
        except Exception as e:  # a plot must not stop the tables from being written
            print(f"render: plot {name} failed: {e}", file=sys.stderr)
    out = ["# anglevec benchmark results", "",
           "Generated by `python benchmarks/render.py` from `benchmarks/out/*.json`; do not edit by hand except the Notes block. "
           "Every number is a ratio against a peer measured in the same run on the same machine and data; "
           "re-run everything with `bash benchmarks/run.sh all` (or one case: `bash benchmarks/run.sh quality`; "
           "`--quick` for a smoke run of a few minutes whose numbers are not comparable).", ""]
    out += ["## Notes", "", NOTES_BEGIN, preserved_notes(), NOTES_END, ""]
    out += ["## Machine", ""]
    if machine:
        rows = [["CPU", machine.get("cpu")], ["cores (logical / physical)", f"{machine.get('logical_cpus')} / {machine.get('physical_cores')}"],
                ["SIMD flags of interest", " ".join(machine.get("flags", []))], ["memory", f"{machine.get('memory_gib')} GiB"],
                ["OS", machine.get("platform")], ["Swift", machine.get("swift")],
                ["Python packages", ", ".join(f"{k} {v}" for k, v in machine.get("versions", {}).items())],
                ["date", machine.get("date")], ["command", "`" + machine.get("command", "") + "`"]]
        if machine.get("missing_python"):
            rows.append(["missing Python peers", "; ".join(machine["missing_python"])])
        out.append(md_table(["", ""], rows))
    else:
        out.append("(not recorded: run `bash benchmarks/run.sh`)")
    out += ["", "## Cases", ""]
    rows = []
    for mode in ORDER + sorted(set(results) - set(ORDER)):
        s = status.get(mode, {})
        if mode in results:
            d = results[mode]
            state = "ok" if not d.get("missing") else f"ok, {len(d['missing'])} missing"
            if s.get("status") == "failed":
                state = "FAILED (older result shown)"
            rows.append([mode, state, d.get("date", ""), s.get("seconds", ""), s.get("reason", "")])
        else:
            rows.append([mode, (s.get("status") or "not run").upper() if s.get("status") != "ok" else "ok", s.get("date", ""), s.get("seconds", ""),
                         s.get("reason") or "no benchmarks/out/" + mode + ".json"])
    for key in sorted(k for k in status if k.startswith("build:")):
        if status[key]["status"] != "ok":
            rows.append([key, status[key]["status"].upper(), status[key].get("date", ""), "", status[key].get("reason", "")])
    out.append(md_table(["case", "status", "date", "seconds", "reason"], rows))
    out.append("")
    steps = sorted((k for k in status if k.startswith(("setup:", "run:"))), key=lambda k: (k.startswith("run:"), status[k].get("date", ""), k))
    if steps:
        out += ["Set-up steps and one-time data builds of the latest runs (a cached data set takes seconds), and the whole "
                "`run.sh` wall time:", ""]
        out.append(md_table(["step", "status", "date", "seconds", "command"],
                            [[k, status[k].get("status", ""), status[k].get("date", ""), status[k].get("seconds", ""),
                              "`" + status[k].get("command", "") + "`"] for k in steps]))
        out.append("")
    for mode in ORDER + sorted(set(results) - set(ORDER)):
        if mode not in results:
            continue
        d = results[mode]
        out += [f"## {mode}: {d.get('title', '')}", ""]
        if d.get("data"):
            out += [f"Data: {d['data']}", ""]
        if d.get("command"):
            out += [f"Command: `{d['command']}`" + (f" — {d['date']}" if d.get("date") else ""), ""]
        for t in d.get("tables", []):
            out += [f"**{t['name']}**", "", md_table(t["columns"], t["rows"]), ""]
        if d.get("ratios"):
            out += ["Ratios:", "", md_table(["ratio", "value"], [[k, v] for k, v in d["ratios"].items()]), ""]
        if d.get("missing"):
            out += ["Missing:", ""] + [f"- **missing**: {m}" for m in d["missing"]] + [""]
        for n in d.get("notes", []):
            out.append(f"- {n}")
        if d.get("notes"):
            out.append("")
        own = [p for p in d.get("plots", []) if (ROOT / p).exists()]
        extra = {"embed": plots.get("embed"), "index": plots.get("index"), "quality": plots.get("grid"), "coarse": plots.get("grid")}.get(mode)
        for p in dict.fromkeys(own + ([extra] if extra else [])):
            out += [f"![{Path(p).stem}]({Path(p).relative_to('benchmarks') if p.startswith('benchmarks/') else '../' + p})", ""]
    out += data_section()
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    RESULTS.write_text(render())
    print(f"render: wrote {RESULTS.relative_to(ROOT)}", file=sys.stderr)
