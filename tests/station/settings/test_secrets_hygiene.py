"""No secret ends up in the repository, the logs or the configuration after real use."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from cli_runner import run

REPO = Path(__file__).resolve().parents[3]
PASSWORD = "S3cret-Marker-42"
ADMIN_PIN = "13792468"
GRADER_PIN = "4826"
WRONG_PIN = "9081"




def every_file_text(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace")
                     for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".db")
                     and "-wal" not in p.name and "-shm" not in p.name)


def test_pins_and_the_central_password_never_reach_logs_or_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "station"
    base = ("--data-dir", str(folder))
    assert run(*base, "users", "add", "boss", "--name", "Bea Boss", "--role", "admin",
               stdin=f"{ADMIN_PIN}\n") == 0
    assert run(*base, "users", "add", "gus", "--name", "Gus", "--role", "grader", "--as",
               "boss", stdin=f"{ADMIN_PIN}\n{GRADER_PIN}\n") == 0
    assert run(*base, "users", "list", "--as", "gus", stdin=f"{WRONG_PIN}\n") == 1
    (folder / "config.toml").write_text(
        '[central]\nurl = "postgresql://station@127.0.0.1:9/returns"\n', encoding="utf-8")
    monkeypatch.setenv("RETURNS_STATION_CENTRAL_PASSWORD", PASSWORD)
    assert run(*base, "db", "upgrade") == 1
    printed = capsys.readouterr()
    written = every_file_text(folder)
    assert "returns-station.log" in {p.name for p in (folder / "logs").iterdir()}
    for secret in (PASSWORD, ADMIN_PIN, GRADER_PIN, WRONG_PIN):
        assert secret not in written, f"{secret!r} was written to the data folder"
        assert secret not in printed.out + printed.err


SECRET_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"(?i)postgres(ql)?(\+\w+)?://[^:/@\s'\"]+:[^@\s'\"]{3,}@"),
    re.compile(r"(?i)\b(password|passwd|secret)\s*=\s*['\"][^'\"]{4,}['\"]"),
]


def test_the_repository_holds_no_secrets() -> None:
    listed = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                            check=False)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    offenders = []
    for name in listed.stdout.splitlines():
        path = REPO / name
        if not path.is_file() or path.suffix in {".png", ".jpg", ".db"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{name}: {m.group(0)[:40]}" for pattern in SECRET_PATTERNS
                      for m in pattern.finditer(text)
                      if name != "tests/station/settings/test_secrets_hygiene.py"]
    assert offenders == []
