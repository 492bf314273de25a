"""render.py on synthetic results: tables, missing peers, failed cases, kept notes, the three plots.
Run: python benchmarks/tests/test_render.py (a few seconds)."""
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import render  # noqa: E402


def test_render():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        out, plots = tmp / "out", tmp / "plots"
        out.mkdir()
        render.OUT, render.PLOTS, render.RESULTS, render.ROOT = out, plots, tmp / "RESULTS.md", tmp
        render.DATA = tmp / "data"
        render.RESULTS.write_text(f"old\n{render.NOTES_BEGIN}\nkeep me\n{render.NOTES_END}\n")
        (out / "index.json").write_text(json.dumps({"mode": "index", "title": "t", "tables": [
            {"name": "curve", "columns": ["system", "ef", "recall@10", "QPS"],
             "rows": [["anglevec", 16, 0.9, 5000.0], ["anglevec", 64, 0.99, 2000.0], ["hnswlib", 16, 0.88, 4000.0]]}],
            "ratios": {"anglevec_vs_hnswlib": 1.25}, "missing": ["usearch: import failed"]}))
        (out / "embed.json").write_text(json.dumps({"mode": "embed", "title": "e", "tables": [
            {"name": "x", "columns": ["system", "short docs/s", "long docs/s"], "rows": [["st", 100.0, 20.0], ["anglevec", 150.0, None]]}]}))
        (out / "quality.json").write_text(json.dumps({"mode": "quality", "title": "q", "tables": [
            {"name": "2D-Matryoshka grid (m): nDCG@10, layers × dims", "columns": ["layers", "32", "64"], "rows": [[2, 0.1, 0.2], [6, 0.5, 0.7]]}]}))
        (out / "run-status.json").write_text(json.dumps({"store": {"status": "failed", "reason": "exit 2: boom", "seconds": "3"},
                                                         "train": {"status": "missing", "reason": "benchmarks/cases/train.py not written yet"}}))
        text = render.render()
        assert "keep me" in text and "old" not in text.split(render.NOTES_BEGIN)[0]
        assert "**missing**: usearch: import failed" in text
        assert "| store | FAILED |" in text and "exit 2: boom" in text and "| train | MISSING |" in text
        assert "| anglevec_vs_hnswlib | 1.25 |" in text
        for name in ("index-qps-recall.png", "embed-docs-per-s.png", "quality-2d-matryoshka.png"):
            assert (plots / name).stat().st_size > 1000, name


if __name__ == "__main__":
    test_render(); print("ok")
