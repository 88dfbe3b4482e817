"""The review pages for collaborators: sign-in by invite, the week's calendar, per-platform
previews, and approve / reject / comment through the same policy as the command line.

Only ``scheduler serve`` and ``scheduler team invite`` load this package; Starlette and
SQLAlchemy are imported by its modules, never by the commands that must start fast.
"""
