"""Each file in broken/ starts with ``# expect:`` lines: the exact problems ``check`` reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.campaign import load_campaign
from scheduler.errors import CampaignError
from scheduler.render import render_campaign

BROKEN = Path(__file__).parent / "broken"
CASES = sorted(BROKEN.glob("*.yaml"))


def expected(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.removeprefix("# expect: ") for line in lines if line.startswith("# expect: ")]


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_broken_file_gives_its_exact_message(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BROKEN)
    want = expected(path)
    assert want, f"{path.name}: add '# expect: ...' lines"
    with pytest.raises(CampaignError) as info:
        render_campaign(load_campaign(path.name))
    assert [str(p) for p in info.value.problems] == want
