"""JSON Schemas of the commands' ``--json`` output (docs/json.md describes them)."""
