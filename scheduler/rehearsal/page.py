"""The rehearsal as a standalone HTML page: one file, no scripts, readable without colour.

Each outcome and problem is said in words (colour and a mark only repeat it), the timeline is
one table per day with headed columns, and headings give the page its outline, so a screen
reader can move from day to day and from problem to problem.
"""

from __future__ import annotations

from html import escape
from itertools import groupby

from scheduler.campaign.schedule import zone
from scheduler.rehearsal.base import Problem, Rehearsal, Slot
from scheduler.rehearsal.report import headline, verdict

MARKS = {"published": "✓", "late": "!", "not published": "✗"}

STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fff; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
table { border-collapse: collapse; width: 100%; margin: 0 0 1.5rem; }
table.timeline { table-layout: fixed; }
table.timeline th:nth-child(1) { width: 7rem; }
table.timeline th:nth-child(4) { width: 9rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #c8c8c8;
  vertical-align: top; }
.verdict { font-size: 1.15rem; padding: .5rem .75rem; border: 2px solid #1b1b1b; }
.published { color: #0b6b2b; }
.late { color: #8a4b00; }
.not-published { color: #a4161a; }
.problem { border-left: 4px solid #a4161a; padding: 0 .75rem; margin: 0 0 1rem; }
.problem h3 { margin: .25rem 0; font-size: 1.05rem; }
code { font-size: .95em; background: #f1f1f1; padding: 0 .2em; }
"""


def render_page(result: Rehearsal) -> str:
    problems = result.sorted_problems()
    parts = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Rehearsal of {escape(result.title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>Rehearsal of {escape(result.title)}</h1>",
        f"<p>{escape(headline(result))}.</p>",
        f'<p class="verdict"><strong>Result:</strong> {escape(verdict(result))}</p>',
        '<nav aria-label="Sections"><ul>',
        '<li><a href="#timeline">What would be published when</a></li>',
        f'<li><a href="#problems">Problems ({len(problems)})</a></li>',
        '<li><a href="#tokens">Account tokens</a></li>',
        "</ul></nav>",
        '<section aria-labelledby="timeline">',
        '<h2 id="timeline">What would be published when</h2>',
        f"<p>Times are local times in {escape(result.timezone)}.</p>",
    ]
    changes = {
        p.at.astimezone(zone(result.timezone)).date(): p
        for p in problems
        if p.kind == "dst" and p.post is None and p.at is not None
    }
    for day, slots in groupby(result.slots, key=lambda s: s.local.date()):
        parts.append(f"<h3>{day:%A %d %B %Y}</h3>")
        if day in changes:
            parts.append(f"<p><strong>Clocks change:</strong> {escape(changes[day].cause)}</p>")
        parts.append(_day_table(f"{day:%A %d %B}", list(slots)))
    parts.append("</section>")
    parts.append('<section aria-labelledby="problems">')
    parts.append(f'<h2 id="problems">Problems ({len(problems)})</h2>')
    if not problems:
        parts.append("<p>None: the week would go out as planned.</p>")
    else:
        parts.append('<ol class="problems">')
        parts.extend(_problem(p) for p in problems)
        parts.append("</ol>")
    parts.append("</section>")
    parts.append('<section aria-labelledby="tokens">')
    parts.append('<h2 id="tokens">Account tokens</h2>')
    parts.append("<table><caption>When each account's token expires</caption>")
    parts.append(
        '<thead><tr><th scope="col">Account</th><th scope="col">Platform</th>'
        '<th scope="col">Expires</th><th scope="col">Known from</th></tr></thead><tbody>'
    )
    for token in result.tokens:
        expires = f"{token.expires:%Y-%m-%d %H:%M} UTC" if token.expires else "unknown"
        parts.append(
            f"<tr><td>{escape(token.account)}</td><td>{escape(token.platform)}</td>"
            f"<td>{escape(expires)}</td><td>{escape(token.source)}</td></tr>"
        )
    parts.append("</tbody></table></section>")
    parts.append(
        f"<footer><p>The real daemon ran {result.simulated_seconds / 86400:.1f} simulated "
        "days against simulated platforms, on a throwaway ledger; nothing was sent or stored."
        "</p></footer>"
    )
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def _day_table(label: str, slots: list[Slot]) -> str:
    rows = [
        f'<table class="timeline"><caption>Posts on {escape(label)}</caption>',
        '<thead><tr><th scope="col">Time</th><th scope="col">Post</th>'
        '<th scope="col">Account</th><th scope="col">Outcome</th>'
        '<th scope="col">Why</th></tr></thead><tbody>',
    ]
    for slot in slots:
        css = slot.outcome.replace(" ", "-")
        mark = MARKS[slot.outcome]
        parts = f", {slot.parts} parts" if slot.parts > 1 else ""
        rows.append(
            f"<tr><td>{slot.local:%H:%M %Z}</td><td>{escape(slot.post)}{parts}</td>"
            f"<td>{escape(slot.account)} ({escape(slot.platform)})</td>"
            f'<td class="{css}"><span aria-hidden="true">{mark}</span> '
            f"{escape(slot.outcome)}</td><td>{escape(slot.why)}</td></tr>"
        )
    rows.append("</tbody></table>")
    return "\n".join(rows)


def _problem(problem: Problem) -> str:
    about = " ".join(
        bit
        for bit in (
            f"post {problem.post}" if problem.post else "",
            f"on {problem.account}" if problem.account else "",
        )
        if bit
    )
    heading = f"{problem.title}" + (f": {about}" if about else "")
    return (
        f'<li class="problem"><h3>{escape(heading)}</h3>'
        f"<p><strong>Cause:</strong> {escape(problem.cause)}</p>"
        f"<p><strong>Fix:</strong> {escape(problem.fix)}</p></li>"
    )
