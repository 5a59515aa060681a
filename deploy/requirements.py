"""The pinned requirements of the project's core dependencies plus the named extras, one a line,
for an image's dependency layer: `python requirements.py app model > requirements.txt`, then
`pip install -c constraints.txt -r requirements.txt`. It reads ./pyproject.toml alone (the sources
are copied later, so a source change reuses the layer) and expands an extra that names the
project's own extras (pipeline = tileshop-pipelines[app,model] + ...), as pip would.

Standard library only: it runs in the bare base image before anything is installed.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PROJECT_EXTRA = re.compile(r"^tileshop-pipelines\[([a-z0-9_,\s-]+)\]$")


def requirements(pyproject: dict, extras: list[str]) -> list[str]:
    project = pyproject["project"]
    optional = project.get("optional-dependencies", {})
    out = list(project["dependencies"])
    pending, seen = list(extras), set()
    while pending:
        extra = pending.pop(0)
        if extra in seen:
            continue
        if extra not in optional:
            raise SystemExit(f"requirements.py: no extra {extra!r} in pyproject.toml (extras: {', '.join(optional)})")
        seen.add(extra)
        for requirement in optional[extra]:
            own = PROJECT_EXTRA.match(requirement)
            if own:
                pending += [name.strip() for name in own.group(1).split(",")]
            else:
                out.append(requirement)
    return list(dict.fromkeys(out))


def main(argv: list[str]) -> int:
    print("\n".join(requirements(tomllib.loads(Path("pyproject.toml").read_text()), argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
