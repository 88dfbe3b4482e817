"""The campaign as a calendar: the rows of ``scheduler plan`` and the ICS of ``export-ics``.

``plan`` flags two things people miss when planning a week by hand: a post whose UTC offset
differs from the campaign's first post (the clocks changed during the campaign), and two
posts on one account closer together than ``defaults.min_gap``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from scheduler.campaign.model import Campaign
from scheduler.campaign.schedule import dst_changes, zone


@dataclass
class PlanRow:
    post_id: str
    local: dt.datetime  # aware, campaign timezone
    utc: dt.datetime
    accounts: list[str]
    source: str
    flags: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "post": self.post_id,
            "local": self.local.isoformat(),
            "utc": self.utc.isoformat().replace("+00:00", "Z"),
            "weekday": self.local.strftime("%A"),
            "accounts": self.accounts,
            "source": self.source,
            "flags": self.flags,
        }


@dataclass
class Plan:
    timezone: str
    rows: list[PlanRow]
    dst_changes: list[dt.datetime]  # UTC instants within the campaign's span


def plan(campaign: Campaign) -> Plan:
    tz = zone(campaign.timezone)
    rows: list[PlanRow] = []
    for post in campaign.posts:
        assert post.local is not None and post.due is not None
        rows.append(PlanRow(post.id, post.local, post.due, campaign.accounts_of(post), post.source))
    rows.sort(key=lambda r: (r.utc, r.post_id))
    changes: list[dt.datetime] = []
    if rows:
        changes = dst_changes(tz, rows[0].utc, rows[-1].utc)
        first_offset = rows[0].local.utcoffset()
        for row in rows:
            if row.local.utcoffset() != first_offset:
                row.flags.append(
                    f"clocks changed: {row.local:%Z} (UTC{_offset(row.local)}) since the first post"
                )
    gap = campaign.defaults.min_gap
    last: dict[str, PlanRow] = {}
    for row in rows:
        for account in row.accounts:
            before = last.get(account)
            if before is not None and row.utc - before.utc < gap:
                minutes = int((row.utc - before.utc).total_seconds() // 60)
                row.flags.append(
                    f"{minutes} min after {before.post_id} on {account} "
                    f"(closer than {_minutes(gap)})"
                )
            last[account] = row
    return Plan(campaign.timezone, rows, changes)


def _offset(t: dt.datetime) -> str:
    off = t.utcoffset() or dt.timedelta(0)
    total = int(off.total_seconds() // 60)
    sign = "+" if total >= 0 else "-"
    return f"{sign}{abs(total) // 60:02d}:{abs(total) % 60:02d}"


def _minutes(delta: dt.timedelta) -> str:
    return f"{int(delta.total_seconds() // 60)} min"


# --- ICS ------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """RFC 5545 lines are at most 75 octets; continuation lines start with a space."""
    out: list[str] = []
    current = ""
    size = 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > (75 if not out else 74):
            out.append(current)
            current, size = "", 0
        current += ch
        size += n
    out.append(current)
    return [out[0], *(" " + rest for rest in out[1:])]


def _stamp(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def to_ics(campaign: Campaign, texts: dict[str, str]) -> str:
    """An ICS calendar with one 15-minute event per post; ``texts`` gives each post's text."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//campaign-scheduler//plan//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(campaign.title)}",
        f"X-WR-TIMEZONE:{campaign.timezone}",
    ]
    for row in plan(campaign).rows:
        text = texts.get(row.post_id, "")
        first = text.strip().splitlines()[0] if text.strip() else row.post_id
        summary = f"{row.post_id}: {first[:60]}"
        description = f"Accounts: {', '.join(row.accounts)}\n"
        if row.flags:
            description += "Note: " + "; ".join(row.flags) + "\n"
        description += f"\n{text}"
        event = [
            "BEGIN:VEVENT",
            f"UID:{row.post_id}@{campaign.id}",
            f"DTSTAMP:{_stamp(row.utc)}",
            f"DTSTART:{_stamp(row.utc)}",
            "DURATION:PT15M",
            f"SUMMARY:{_escape(summary)}",
            f"DESCRIPTION:{_escape(description)}",
            "CATEGORIES:" + ",".join(_escape(a) for a in row.accounts),
            "END:VEVENT",
        ]
        lines.extend(event)
    lines.append("END:VCALENDAR")
    folded: list[str] = []
    for line in lines:
        folded.extend(_fold(line))
    return "\r\n".join(folded) + "\r\n"
