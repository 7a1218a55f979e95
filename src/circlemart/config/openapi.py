"""Writes or checks the committed OpenAPI schema (docs/openapi.json), so API drift shows in CI.

python -m circlemart.config.openapi --write docs/openapi.json
python -m circlemart.config.openapi --check docs/openapi.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def current_schema() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "circlemart.config.settings")
    import django

    django.setup()
    from circlemart.config.api import api

    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", type=Path)
    mode.add_argument("--check", type=Path)
    args = parser.parse_args(argv)
    schema = current_schema()
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(schema)
        print(f"wrote {args.write}")
        return 0
    committed = args.check.read_text() if args.check.exists() else ""
    if committed != schema:
        print(f"{args.check} is stale: run `make openapi` and commit it", file=sys.stderr)
        return 1
    print(f"{args.check} matches the API")
    return 0


if __name__ == "__main__":
    sys.exit(main())
