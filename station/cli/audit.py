"""`returns-station audit verify [--central [URL]]`: the audit trail checked and reported.

Without --central: every chain in this station's database by itself; this station's own
also by its signatures (with its key, when this computer has it) and against the central
database's copy and anchors. With --central: every station's chain as the central database
holds it, against its anchors (and its signatures, when the role may read the keys).
Exit 0 when nothing was found, 1 at any finding (station.audit.verification says which).
"""

from __future__ import annotations

import argparse
import sys
from typing import Final

from sqlalchemy.exc import SQLAlchemyError

from station.audit import chain as audit
from station.audit import signing as audit_signing
from station.audit import verification as audit_verification
from station.cli.command import Bench, OnStation, Subcommands, runs
from station.runtime.bootstrap import OpenStation, central_url
from station.store.database import make_engine, session_factory

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1


def register(commands: Subcommands) -> None:
    audit_command = commands.add_parser("audit", help="check the tamper-evident audit trail")
    actions = audit_command.add_subparsers(dest="audit_command", metavar="ACTION",
                                           required=True)
    verify = actions.add_parser(
        "verify", help="check every hash chain, this station's signatures and its chain "
                       "against the central copy and anchors; exit 1 at any finding")
    verify.add_argument("--central", metavar="URL", nargs="?", const="",
                        help="check the central database (its configured URL, or this one) "
                             "instead of this station's")
    runs(verify, OnStation(_verify))


def _print(code: str, entries: int, verdict: audit_verification.Verdict) -> None:
    findings = sorted(verdict.findings, key=lambda finding: finding.seq)
    state = "chain intact" if not findings else findings[0].text
    print(f"  {code}: {entries} entries, {state}")
    for finding in findings[1:]:
        print(f"    {finding.text}")
    for note in verdict.notes:
        print(f"    ({note})")


def _local(opened: OpenStation) -> int:
    local = opened.ctx.sessions
    own = opened.ctx.station_code
    reports = audit.verify_all(local)
    print("Audit trail in this station's database:")
    if not reports:
        print("  no audit entries")
    found = False
    for report in reports:
        if report.station_code == own:
            verdict = audit_verification.verify_station(
                local, opened.central_sessions(), own, audit_signing.key_of_factory(local))
        else:
            verdict = audit_verification.Verdict(report.station_code)
            if report.broken is not None:
                verdict.findings.append(audit_verification.Finding(
                    "broken", report.broken.seq, report.broken.problem))
        found = found or bool(verdict.findings)
        _print(report.station_code, report.entries, verdict)
    return EXIT_FAILED if found else EXIT_OK


def _central(opened: OpenStation, override: str) -> int:
    url = central_url(opened.ctx.config, opened.locations, override=override or None)
    engine = make_engine(url)
    sessions = session_factory(engine)
    try:
        reports = audit.verify_all(sessions)
        keys = audit_verification.central_keys(sessions)
        verdicts = [(report, audit_verification.verify_central(sessions, report.station_code,
                                                                keys)) for report in reports]
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:300]
        print(f"Cannot read the central database {url.render_as_string()}: {reason}",
              file=sys.stderr)
        return EXIT_FAILED
    finally:
        engine.dispose()
    print(f"Audit trail in central database {url.render_as_string()}:")
    if not reports:
        print("  no audit entries")
    for report, verdict in verdicts:
        _print(report.station_code, report.entries, verdict)
    return EXIT_FAILED if any(verdict.findings for _report, verdict in verdicts) else EXIT_OK


def _verify(args: argparse.Namespace, bench: Bench) -> int:
    if args.central is None:
        return _local(bench.opened)
    return _central(bench.opened, args.central)
