"""Where a campaign's files may be: inside its folder, once every link is followed.

One rule for the YAML files of a folder campaign, the files a header includes and the media
of its posts: each resolves, symbolic links followed, to a path inside the campaign folder.
A link in the folder to a file elsewhere is refused like a path that says '../'; otherwise
editing one folder could pull in (and quote in its errors) any file the reader can open.

An include pattern is also checked as written, before anything is read, so that a glob
such as '../../../*/*.yaml' is refused without walking the file system outside the folder.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path, PurePath


class OutsideFolder(ValueError):
    """A name or file that is not inside the campaign folder."""


def check_pattern(name: str) -> None:
    """Refuse a name or glob pattern that leaves the folder as written: absolute, or with a
    '..' component. Touches nothing on disk."""
    parts = PurePath(name).parts
    if PurePath(name).anchor or ".." in parts:
        raise OutsideFolder(name)


def inside(root: Path, path: Path) -> Path:
    """The real path of ``path``, which must be inside the real path of ``root``.

    Raises OutsideFolder, or OSError when the path cannot be resolved (a link that points
    to itself, a name too long for the file system)."""
    try:
        base = root.resolve()
        target = path.resolve()
    except RuntimeError as exc:  # a loop of links, before Python 3.13
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path)) from exc
    if not target.is_relative_to(base):
        raise OutsideFolder(str(path))
    return target
