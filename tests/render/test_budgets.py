"""Templates keep within their budgets: each costly template is one problem at its file and
line, found quickly and in bounded memory, by every command that renders."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scheduler.campaign import load_campaign
from scheduler.errors import CampaignError
from scheduler.render import render_campaign
from scheduler.render.budgets import Limits, measure
from tests.campaign.helpers import HEADER, write_campaign

POST = """\
posts:
  - id: hello
    day: 1
    time: "08:30"
    author: ada@example.org
    text: |-
      Hello.
      {text}
"""
TEXT_LINE = 32  # the line of {text} in the file: HEADER, then POST
SNIPPET_LINE = 25  # the line of the snippet 'again'
# Python's compiler, not the template, finds these: the problem is at the text's first line.
UNPLACED = {"nested-blocks", "nested-brackets", "long-template"}

LOOP = "{% for i in range(100000) %}"
# (name, text, snippets, budget named in the problem, where the problem is)
PAYLOADS: list[tuple[str, str, str, str]] = [
    (
        "recursive-snippet",
        "{{ snippet('again') }}",
        "again: \"{{ snippet('again') }}\"",
        "recursion",
    ),
    (
        "recursive-macro",
        "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
        "",
        "recursion",
    ),
    ("recursive-include", "{% include 'again' %}", "again: \"{% include 'again' %}\"", "recursion"),
    ("recursive-loop", "{% for x in [1] recursive %}{{ loop([x]) }}{% endfor %}", "", "recursion"),
    ("nested-blocks", "{% for a in [1] %}" * 25 + "x" + "{% endfor %}" * 25, "", "recursion"),
    ("nested-brackets", "{{ " + "(" * 400 + "1" + ")" * 400 + " }}", "", "recursion"),
    (
        "deep-list",
        "{% set ns = namespace(a=[1]) %}{% for i in range(50000) %}{% set ns.a = [ns.a] %}"
        "{% endfor %}{{ ns.a }}",
        "",
        "recursion",
    ),
    (
        "doubling",
        "{% set ns = namespace(a='x') %}{% for i in range(100) %}{% set ns.a = ns.a ~ ns.a %}"
        "{% endfor %}",
        "",
        "memory",
    ),
    ("long-template", "{{ 'x' }}" * 3000, "", "size"),
    ("repeat-text", "{{ 'x' * 10**9 }}", "", "memory"),
    ("repeat-list", "{{ ([1] * 100000000)|length }}", "", "memory"),
    ("nested-loops", LOOP + LOOP + "{% endfor %}{% endfor %}", "", "loop"),
    ("huge-range", "{{ range(10**12)|list|length }}", "", "loop"),
    ("ljust", "{{ 'x'.ljust(10**9) }}", "", "memory"),
    ("zfill", "{{ 'x'.zfill(10**9) }}", "", "memory"),
    ("expandtabs", "{{ '\\t'.expandtabs(10**9) }}", "", "memory"),
    ("replace", "{{ ('x' * 100000).replace('', 'y' * 100) }}", "", "memory"),
    ("replace-filter", "{{ 'x'|replace('x', ['y' * 100000] * 100000) }}", "", "memory"),
    ("translate", "{{ ('x' * 100000).translate({120: 'y' * 100}) }}", "", "memory"),
    ("to-bytes", "{{ (1).to_bytes(10**9, 'big') }}", "", "memory"),
    ("percent-width", "{{ '%0999999999d' % 1 }}", "", "memory"),
    ("percent-star", "{{ '%*d' % (999999999, 1) }}", "", "memory"),
    ("percent-precision", "{{ '%.999999999f' % 1.5 }}", "", "memory"),
    ("format-method", "{{ '{:>999999999}'.format(1) }}", "", "memory"),
    ("format-nested", "{{ '{:{}}'.format(1, 999999999) }}", "", "memory"),
    ("format-filter", "{{ '%999999999s'|format('x') }}", "", "memory"),
    ("center-filter", "{{ 'x'|center(999999999) }}", "", "memory"),
    ("indent-filter", "{{ ('a\\n' * 100000)|indent(100) }}", "", "memory"),
    ("join-method", "{{ ''.join(['x' * 100000] * 100000) }}", "", "memory"),
    ("join-filter", "{{ (['x' * 100000] * 100000)|join }}", "", "memory"),
    ("batch-fill", "{{ [1]|batch(999999999, 0)|list|length }}", "", "memory"),
    ("slice-filter", "{{ [1]|slice(999999999)|list|length }}", "", "memory"),
    ("map-upper", "{{ (['x' * 1000] * 100000)|map('upper')|list|length }}", "", "memory"),
    ("concat", "{% set a = 'x' * 500000 %}{{ (a ~ a ~ a)|length }}", "", "memory"),
    ("string-of-list", "{{ (['x' * 100000] * 100000)|string|length }}", "", "memory"),
    ("list-output", "{{ ['x' * 100000] * 100000 }}", "", "memory"),
    (
        "built-in-loop",
        "{% for i in range(100000) %}{% set y = 'x' * 1000 %}{% endfor %}",
        "",
        "memory",
    ),
    (
        "kept-slices",
        "{% set s = 'x' * 900000 %}" + "".join(f"{{% set a{n} = s[{n}:] %}}" for n in range(30)),
        "",
        "memory",
    ),
    (
        "slow-comparisons",
        "{% set s = 'x' * 900000 %}" + "{{ 'xy' in s }}" * 1000,
        "",
        "time",
    ),
    (
        "slow-tests",
        "{% set s = 'x' * 900000 %}" + "{{ 'xy' is in s }}" * 1000,
        "",
        "time",
    ),
    ("power", "{{ 2 ** (10 ** 10) }}", "", "number"),
    ("big-product", "{{ (10 ** 20000) * (10 ** 20000) }}", "", "number"),
    ("sum-of-lists", "{{ ([[1] * 100] * 1000)|sum(start=[]) }}", "", "time"),
    (
        "slow-search",
        "{% set s = 'x' * 900000 %}{% for i in range(100000) %}{% if 'xy' in s %}{% endif %}"
        "{% endfor %}",
        "",
        "time",
    ),
    ("long-output", "{% for i in range(50000) %}{{ 'abc' }}{% endfor %}", "", "output"),
]


def _campaign(folder: Path, text: str, snippet: str) -> None:
    header = HEADER + (f"  {snippet}\n" if snippet else "")
    write_campaign(folder, header, POST.format(text=text))


# Far below what any payload would take unchecked (the smallest needs 800 MB). The limit is
# set by the child itself: no preexec_fn in a test process that may have threads.
MEMORY_LIMIT = 400 * 2**20
_LIMITED = (
    "import resource, runpy, sys; "
    f"resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT}, {MEMORY_LIMIT})); "
    "sys.argv = ['scheduler', *sys.argv[1:]]; "
    "runpy.run_module('scheduler', run_name='__main__')"
)


def _scheduler(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``scheduler ARGS`` in a process that cannot take more than MEMORY_LIMIT."""
    return subprocess.run(
        [sys.executable, "-c", _LIMITED, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,  # a wait for a real process on a shared machine, not a measurement
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
        check=False,
    )


def test_every_costly_template_is_one_problem_at_its_line(tmp_path: Path) -> None:
    for name, text, snippet, _ in PAYLOADS:
        _campaign(tmp_path / name, text, snippet)
    names = [name for name, *_ in PAYLOADS]
    done = _scheduler(tmp_path, "check", *names)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if "campaign.yaml" in line]
    assert len(lines) == len(PAYLOADS), done.stderr
    for problem, (name, _, snippet, budget) in zip(lines, PAYLOADS, strict=True):
        if snippet:
            where = f"{name}/campaign.yaml:{SNIPPET_LINE}:3: snippets.again: "
        else:
            line = TEXT_LINE - 1 if name in UNPLACED else TEXT_LINE
            where = f"{name}/campaign.yaml:{line}:1: posts[0].text: "
        assert problem.startswith(where + "template too expensive: "), problem
        assert f"({budget} budget) (hint: " in problem, problem


@pytest.mark.parametrize("command", ["preview", "lint", "export-ics"])
def test_every_command_that_renders_reports_it(tmp_path: Path, command: str) -> None:
    _campaign(tmp_path / "c", "{{ 'x' * 10**9 }}", "")
    done = _scheduler(tmp_path, command, "c")
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith(
        f"c/campaign.yaml:{TEXT_LINE}:1: posts[0].text: template too expensive: "
    ), done.stderr


def _problems(folder: Path, limits: Limits | None = None, clock: object = None) -> list[str]:
    with pytest.raises(CampaignError) as info:
        render_campaign(load_campaign(folder), limits, clock)  # type: ignore[arg-type]
    return [str(p) for p in info.value.problems]


class _Ticking:
    """A clock whose monotonic time moves a millisecond each time it is read."""

    def __init__(self) -> None:
        self.ticks = itertools.count()

    def monotonic(self) -> float:
        return next(self.ticks) / 1000


def test_the_time_budget_runs_on_the_given_clock(tmp_path: Path) -> None:
    _campaign(tmp_path / "c", "{% for i in range(90000) %}{% endfor %}", "")
    [problem] = _problems(tmp_path / "c", clock=_Ticking())
    assert "template too expensive: rendering took more than 1 s (time budget)" in problem
    assert problem.startswith(f"{tmp_path / 'c' / 'campaign.yaml'}:{TEXT_LINE}:1: ")


def test_the_campaign_has_a_time_budget_for_all_its_texts(tmp_path: Path) -> None:
    text = "{% for i in range(20000) %}{% endfor %}"  # 0.625 s on the ticking clock
    posts = "posts:\n" + "".join(
        f"  - {{id: p{n}, day: 1, time: '08:30', author: ada@example.org, text: '{text}'}}\n"
        for n in range(4)
    )
    write_campaign(tmp_path / "c", HEADER, posts)
    limits = Limits(seconds=1, total_seconds=2)
    [problem] = _problems(tmp_path / "c", limits, _Ticking())
    assert (
        "posts[3].text: template too expensive: the campaign's texts took more than 2 s" in problem
    )


def test_what_fits_the_budgets_renders(tmp_path: Path) -> None:
    text = (
        "{% macro item(n) %}{{ n }}{% endmacro %}"
        "{% for i in range(1000) %}{% if i % 400 == 0 %}{{ item(i) }} {% endif %}{% endfor %}"
        "{{ ['a', 'b']|join(', ') }} {{ '%05.1f'|format(2.5) }} {{ '{:>4}'.format(7) }}"
        " {{ 'ab'.ljust(4, '.') }} {{ [1, 2, 3]|sum }} {{ 2 ** 10 }} {{ 'x' ~ 1 }}"
    )
    _campaign(tmp_path / "c", text, "")
    drafts = render_campaign(load_campaign(tmp_path / "c"))
    assert drafts[0].parts[0].text.startswith("Hello.\n0 400 800 a, b 002.5    7 ab.. 6 1024 x1")


def test_limits_can_be_tightened(tmp_path: Path) -> None:
    loops = "{% for i in range(5) %}{% for j in range(5) %}{{ j }}{% endfor %}{% endfor %}"
    _campaign(tmp_path / "c", loops, "")
    [problem] = _problems(tmp_path / "c", Limits(loops=10))
    assert "loops run more than 10 times (loop budget)" in problem


def test_a_long_snippet_is_refused_before_compiling(tmp_path: Path) -> None:
    long = "{{ 'x' }}" * 3000
    _campaign(tmp_path / "c", "{{ snippet('long') }}", f'long: "{long}"')
    [problem] = _problems(tmp_path / "c", Limits())
    assert "the template is 27,000 characters long, more than 20,000 (size budget)" in problem


def test_lists_cannot_grow_in_place(tmp_path: Path) -> None:
    # Without append and extend a value grows only through what the budget sees.
    _campaign(tmp_path / "c", "{% set l = [1] %}{{ l.extend(l) }}", "")
    [problem] = _problems(tmp_path / "c")
    assert "template: not allowed" in problem


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ("abc", 5),
        ([1, 2], 2 + 4 + 2 + 2),
        ({"a": 1}, 2 + 4 + 3 + 2),
        (range(10**9), 24),
        (10**30, 30 + 2),
    ],
)
def test_measure_estimates_the_text_of_a_value(value: object, size: int) -> None:
    assert measure(value, 1000) == size


def test_measure_sees_inside_a_namespace() -> None:
    from jinja2.utils import Namespace

    assert measure(Namespace(a="x" * 5000), 10_000) > 5000


def test_measure_stops_soon_after_its_limit() -> None:
    shared = ["x" * 1000] * 10**6  # a billion characters as text, eight megabytes as a list
    assert 1000 < measure(shared, 1000) < 10**7
