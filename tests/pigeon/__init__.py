"""Pigeon Post: a platform that exists only in the tests.

It shows what adding a platform takes: one descriptor (``descriptor.py``), one publisher
(``publisher.py``), one fake server (``fake.py``) and a harness for the contract suite
(``tests/platforms/harness_pigeon.py``). Nothing in ``scheduler/`` names it; ``check``,
``preview``, the pages, the sandbox and the contract suite pick it up from its descriptor.
"""
