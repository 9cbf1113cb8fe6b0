"""All rules of a run, loaded once from rules/ and validated.

Each stage owns the shape of its own rules (structure: numbering; roles:
role words; targets: units, comparators, non-targets; extract: containers
and boilerplate; units: the alias table). This module only finds the folder,
loads every part, and fingerprints the files so that incremental runs know
when the rules changed.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.extract import ExtractRules
    from pipeline.responsibilities import RoleRules
    from pipeline.structure import NumberingRules
    from pipeline.targets import TargetRules
    from pipeline.units import UnitRules

RULE_SUFFIXES = {".yaml", ".yml", ".csv", ".jsonl", ".txt"}


def default_rules_dir() -> Path:
    """rules/ beside the package, unless POLICY_PIPELINE_RULES points elsewhere."""
    env = os.environ.get("POLICY_PIPELINE_RULES")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "rules"


def fingerprint(directory: Path) -> str:
    """A hash of every rule file's name and bytes: changes when any rule changes."""
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.suffix in RULE_SUFFIXES:
            digest.update(str(path.relative_to(directory)).encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class Rules:
    directory: Path
    numbering: NumberingRules
    roles: RoleRules
    targets: TargetRules
    units: UnitRules
    extract: ExtractRules
    fingerprint: str


def load_rules(directory: Path | str | None = None) -> Rules:
    """Load and validate every rule file; raises RulesError naming file and line."""
    from pipeline.extract import load_extract_rules
    from pipeline.responsibilities import load_role_rules
    from pipeline.structure import load_numbering_rules
    from pipeline.targets import load_target_rules
    from pipeline.units import load_unit_rules

    path = Path(directory) if directory is not None else default_rules_dir()
    if not path.is_dir():
        from pipeline.rulesio import RulesError

        raise RulesError(path, None, "rules directory not found")
    return Rules(
        directory=path,
        numbering=load_numbering_rules(path),
        roles=load_role_rules(path),
        targets=load_target_rules(path),
        units=load_unit_rules(path),
        extract=load_extract_rules(path),
        fingerprint=fingerprint(path),
    )
