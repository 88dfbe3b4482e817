"""Whether a failed HTTP request can have reached the platform.

Only a connection that was never opened (refused, the name not resolved, a connect timeout)
proves that nothing was sent. Anything later (a read timeout, a reset, a dropped connection)
may have come after the platform applied the request, so a create that failed that way has
an unknown outcome and is looked for before any new attempt.
"""

from __future__ import annotations

import requests
import urllib3.exceptions

_NOT_OPENED = (
    urllib3.exceptions.NewConnectionError,
    urllib3.exceptions.ConnectTimeoutError,
    urllib3.exceptions.NameResolutionError,
    ConnectionRefusedError,
    requests.exceptions.ConnectTimeout,
)


def never_sent(exc: BaseException) -> bool:
    """True when ``exc`` (or anything it wraps) shows the connection was never opened."""
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, _NOT_OPENED):
            return True
        # requests and urllib3 wrap the cause in args, ``reason`` and the exception chain.
        stack.extend(item.args)
        stack.extend([getattr(item, "reason", None), item.__cause__, item.__context__])
    return False
