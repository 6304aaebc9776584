"""Light commands never import torch or sentence_transformers (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import DEMO_CODEBOOK

HEAVY = ("torch", "sentence_transformers", "transformers", "sklearn", "spacy")

CHILD = f"""
import json, sys
from thematic.cli.app import main
code = main(sys.argv[1:])
print(json.dumps({{"code": code, "heavy": [m for m in {HEAVY!r} if m in sys.modules]}}), file=sys.stderr)
"""


def run_child(args, cwd):
    done = subprocess.run([sys.executable, "-c", CHILD, *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=120)
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [
    ["--help"],
    ["embed", "--help"],
    ["run", "--help"],
    ["--project", "p.db", "init"],
    ["--project", "p.db", "status"],
    ["--project", "p.db", "codebook", "validate", DEMO_CODEBOOK],
    ["--project", "p.db", "codebook", "use", DEMO_CODEBOOK],
    ["--project", "p.db", "codebook", "show"],
    ["--project", "p.db", "suggestions"],
])
def test_light_commands_import_no_heavy_library(tmp_path, args):
    if args[-1] != "init" and "p.db" in args:
        assert run_child(["--project", "p.db", "init"], tmp_path)["code"] == 0
    outcome = run_child(args, tmp_path)
    assert outcome["heavy"] == [], f"thematic {' '.join(map(str, args))} imported {outcome['heavy']}"

