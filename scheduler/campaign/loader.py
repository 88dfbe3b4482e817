"""Campaign files to a validated Campaign, reporting every problem at once.

A campaign is one YAML file (the header: id, title, timezone, accounts, ... and usually
posts), optionally with ``include:`` of further files that hold more ``posts``; or a folder,
whose ``*.yaml`` files are read in name order, exactly one of them being the header.

Problems are collected rather than raised one by one: the YAML of every file, the header,
each post, and the cross-references between them (accounts, team, snippets, times), so a
single ``check`` shows everything that needs fixing.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from scheduler.campaign.checks import cross_check
from scheduler.campaign.model import (
    RESERVED_POST_KEYS,
    Campaign,
    CampaignHeader,
    Post,
)
from scheduler.campaign.paths import OutsideFolder, check_pattern, inside
from scheduler.campaign.problems import (
    PostSource,
    Problem,
    SourceMap,
    did_you_mean,
    from_validation,
)
from scheduler.campaign.yamlread import MAX_BYTES, Positions, YamlProblem, read_yaml
from scheduler.errors import CampaignError

HEADER_KEYS = frozenset(CampaignHeader.model_fields)
PART_KEYS = frozenset({"posts"})


@dataclass
class _File:
    path: Path
    shown: str  # as the user would recognise it (relative to what they typed)
    data: Any
    positions: Positions


def load_campaign(path: str | Path) -> Campaign:
    """Load and validate a campaign file or folder. Raises CampaignError listing every problem."""
    return _Loader(path).load()


class _Loader:
    def __init__(self, path: str | Path) -> None:
        self.arg = str(path)
        self.path = Path(path)
        self.problems: list[Problem] = []

    def problem(self, shown: str, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(shown, 0, 0, "", message, hint))

    # --- reading files ---------------------------------------------------------------------

    def read(self, path: Path, shown: str) -> _File | None:
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                self.problem(
                    shown,
                    f"file is too large ({size:,} bytes; the limit is {MAX_BYTES:,})",
                    "split the campaign over several files",
                )
                return None
            raw = path.read_bytes()
        except OSError as exc:
            self.problem(shown, f"cannot read: {exc.strerror or exc}")
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            self.problems.append(
                Problem(shown, line, 1, "", "not valid UTF-8 text", "save the file as UTF-8")
            )
            return None
        if text.startswith("\ufeff"):
            text = text[1:]
        try:
            data, positions = read_yaml(text, shown)
        except YamlProblem as exc:
            self.problems.append(Problem(shown, exc.line, exc.col, "", exc.message, exc.hint))
            return None
        if data is None:
            self.problem(shown, "the file is empty", "a campaign file holds a mapping of keys")
            return None
        if not isinstance(data, dict):
            line, col = positions.find(())
            self.problems.append(
                Problem(
                    shown,
                    line,
                    col,
                    "",
                    "a campaign file must be a mapping of keys (id, title, ... or posts)",
                    None,
                )
            )
            return None
        return _File(path, shown, data, positions)

    def files(self) -> tuple[_File | None, list[_File], Path]:
        """(header, other files, campaign root)."""
        if not self.path.exists():
            self.problem(self.arg, "no such file or folder")
            return None, [], self.path
        if self.path.is_dir():
            root = self.path
            names = sorted(
                p.name
                for p in self.path.iterdir()
                if p.suffix in (".yaml", ".yml") and p.is_file() and not p.name.startswith(".")
            )
            if not names:
                self.problem(self.arg, "no .yaml files in this folder")
                return None, [], root
            names = [n for n in names if self.in_folder(root, n)]
            read = [self.read(root / n, os.path.join(self.arg, n)) for n in names]
            loaded = [f for f in read if f is not None]
            headers = [f for f in loaded if "id" in f.data]
            if len(headers) > 1:
                for extra in headers[1:]:
                    line, col = extra.positions.find(("id",))
                    self.problems.append(
                        Problem(
                            extra.shown,
                            line,
                            col,
                            "id",
                            f"a second campaign header (the first is {headers[0].shown})",
                            "keep one header file; other files hold only posts",
                        )
                    )
            if not headers:
                if len(loaded) == len(read):
                    self.problem(
                        self.arg,
                        "no file in this folder is the campaign header",
                        "one file needs id, title, timezone and accounts",
                    )
                return None, loaded, root
            header = headers[0]
            others = [f for f in loaded if f is not header and f not in headers]
        else:
            root = self.path.resolve().parent
            header_or_none = self.read(self.path, self.arg)
            if header_or_none is None:
                return None, [], root
            header = header_or_none
            others = []
        others.extend(self.includes(header, root, {f.path.resolve() for f in [header, *others]}))
        return header, others, root

    def in_folder(self, root: Path, name: str) -> bool:
        shown = os.path.join(self.arg, name)
        try:
            inside(root, root / name)
        except OutsideFolder:
            self.problem(
                shown,
                "a link to a file outside the campaign folder",
                "every file of a campaign must be inside its folder; copy the file in",
            )
            return False
        except OSError as exc:
            self.problem(shown, f"cannot read: {exc.strerror or exc}")
            return False
        return True

    def includes(self, header: _File, root: Path, seen: set[Path]) -> list[_File]:
        items = header.data.get("include")
        if items is None:
            return []
        if not isinstance(items, list):
            return []  # the header model reports the wrong type
        out: list[_File] = []
        base_shown = os.path.dirname(header.shown)
        for i, item in enumerate(items):
            if not isinstance(item, str):
                continue
            line, col = header.positions.find(("include", i))
            where = f"include[{i}]"

            def refuse(
                message: str, hint: str | None = None, at: tuple[int, int, str] = (line, col, where)
            ) -> None:
                self.problems.append(Problem(header.shown, *at, message, hint))

            outside = (
                f"{item!r} is outside the campaign folder",
                "included files must be inside the header file's folder",
            )
            try:
                check_pattern(item)
            except OutsideFolder:
                refuse(*outside)
                continue
            magic = glob.has_magic(item)
            # root_dir: the folder's own name may hold [ ] or *, which are no pattern.
            matches = sorted(glob.glob(item, root_dir=root)) if magic else None
            targets = [root / m for m in matches] if matches is not None else [root / item]
            if matches == []:
                refuse(f"{item!r} matches no file")
            for target in targets:
                try:
                    resolved = inside(root, target)
                    is_file = resolved.is_file()
                except OSError as exc:
                    # e.g. a name longer than the file system allows
                    refuse(f"cannot open {item[:60]!r}: {exc.strerror or exc}")
                    continue
                except OutsideFolder:
                    refuse(*outside)
                    continue
                if not is_file:
                    refuse(f"no such file {item!r}")
                    continue
                if resolved.suffix.lower() not in (".yaml", ".yml"):
                    refuse(
                        f"{resolved.name!r} is not a YAML file",
                        "include names .yaml files of posts; media belong to posts",
                    )
                    continue
                if resolved in seen:
                    continue
                seen.add(resolved)
                rel = os.path.relpath(resolved, root.resolve())
                shown = os.path.normpath(os.path.join(base_shown, rel))
                f = self.read(resolved, shown)
                if f is not None:
                    if "id" in f.data:
                        refuse(f"{item!r} is a campaign header, not a file of posts")
                        continue
                    out.append(f)
        return out

    # --- validating ------------------------------------------------------------------------

    def load(self) -> Campaign:
        header_file, others, root = self.files()
        header: CampaignHeader | None = None
        sources = SourceMap(header_file.positions if header_file else Positions(self.arg))
        if header_file is not None:
            raw = {k: v for k, v in header_file.data.items() if k != "posts"}
            try:
                header = CampaignHeader.model_validate(raw)
            except ValidationError as exc:
                self.problems.extend(
                    from_validation(exc, CampaignHeader, header_file.positions, ())
                )
        for f in others:
            for key in f.data:
                if key in PART_KEYS:
                    continue
                line, col = f.positions.find((key,))
                if key in HEADER_KEYS:
                    message = f"{key!r} belongs in the campaign header file"
                    hint: str | None = "files other than the header hold only 'posts'"
                else:
                    message = f"unknown key {key!r}"
                    hint = did_you_mean(key, ["posts"]) or "files of posts hold only 'posts'"
                self.problems.append(Problem(f.shown, line, col, key, message, hint))

        posts: list[Post] = []
        for f in ([header_file] if header_file else []) + others:
            raw_posts = f.data.get("posts")
            if raw_posts is None:
                continue
            if not isinstance(raw_posts, list):
                line, col = f.positions.find(("posts",))
                self.problems.append(
                    Problem(
                        f.shown,
                        line,
                        col,
                        "posts",
                        "'posts' must be a list",
                        "start each post with '- id: ...'",
                    )
                )
                continue
            for i, item in enumerate(raw_posts):
                post = self.post(f, i, item)
                if post is not None:
                    posts.append(post)
                    sources.posts.append(PostSource(f.positions, ("posts", i)))

        if header is not None and header_file is not None:
            self.problems.extend(cross_check(header, posts, sources))
        if self.problems:
            raise CampaignError([*self.ordered(header_file, others)])
        assert header is not None and header_file is not None
        campaign = Campaign.model_construct(
            **{name: getattr(header, name) for name in CampaignHeader.model_fields},
            posts=posts,
            root=root.resolve(),
            files=[header_file.path.resolve(), *(f.path.resolve() for f in others)],
        )
        campaign._sources = sources
        return campaign

    def post(self, f: _File, i: int, item: Any) -> Post | None:
        if isinstance(item, dict):
            bad = RESERVED_POST_KEYS.intersection(item)
            for key in sorted(bad):
                line, col = f.positions.find(("posts", i, key))
                self.problems.append(
                    Problem(
                        f.shown,
                        line,
                        col,
                        f"posts[{i}].{key}",
                        f"unknown key {key!r}",
                        "the scheduler works this out itself; remove it",
                    )
                )
            if bad:
                item = {k: v for k, v in item.items() if k not in bad}
        try:
            post = Post.model_validate(item)
        except ValidationError as exc:
            self.problems.extend(from_validation(exc, Post, f.positions, ("posts", i)))
            return None
        line, _ = f.positions.find(("posts", i))
        post.source = f"{f.shown}:{line}"
        return post

    def ordered(self, header: _File | None, others: list[_File]) -> list[Problem]:
        order = {f.shown: n for n, f in enumerate(([header] if header else []) + others)}
        return sorted(self.problems, key=lambda p: (order.get(p.path, -1), p.path, p.line, p.col))
