"""Every calibration row the scenarios cite resolves to a row of ``docs/calibration.md``."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "sim" / "scenarios"
ROW = re.compile(r"^\| ([A-Z]\d+) \|", re.M)
ID = r"[CFOIPMW]\d{1,2}"


def _rows() -> set[str]:
    return set(ROW.findall((ROOT / "docs" / "calibration.md").read_text(encoding="utf-8")))


def test_calibration_table_has_its_rows() -> None:
    rows = _rows()
    assert {"C1", "C2", "F4", "F7", "O3", "W4", "I9", "P5", "M2"} <= rows
    assert len(rows) >= 45


def test_every_source_tag_in_shipped_scenarios_resolves() -> None:
    rows = _rows()
    cited: dict[str, set[str]] = {}
    for path in SCENARIOS.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(rf"S:\s*((?:{ID})(?:\s*[-,/]\s*{ID})*)", text):
            for row in re.findall(ID, tag):
                cited.setdefault(row, set()).add(path.name)
    assert cited, "no S:<row> tag found in the shipped scenarios"
    missing = {r: sorted(f) for r, f in cited.items() if r not in rows}
    assert not missing, f"S:<row> tags not in docs/calibration.md: {missing}"


def test_every_row_cited_in_the_scenarios_readme_resolves() -> None:
    text = (SCENARIOS / "README.md").read_text(encoding="utf-8")
    cited = set(re.findall(rf"\b{ID}\b", text))
    assert cited
    assert cited <= _rows(), sorted(cited - _rows())


def test_no_citation_points_outside_the_repository() -> None:
    paths = [*SCENARIOS.rglob("*.yaml"), SCENARIOS / "README.md", *(ROOT / "docs").glob("*.md"),
             *(ROOT / "sim").rglob("*.py"), ROOT / "README.md", ROOT / "DEVELOPERS.md"]
    bad = [p.relative_to(ROOT).as_posix() for p in paths
           if "shared/CALIBRATION.md" in p.read_text(encoding="utf-8")]
    assert not bad, bad
