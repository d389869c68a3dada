"""`returns-station enrol TOKEN [--url URL]`: enrol this bench, once, with the token an
admin's `central enrol-station` printed.

Contract: the token must name this bench's configured station and the central database must
hold its enrolment with the same LPN prefix; then the bench's audit signing key is
registered, the token's one-time password is replaced by one only this bench knows (kept in
the OS keyring, else the data folder's secrets), and the token no longer works. Any refusal
exits 1 and changes nothing.
"""

from __future__ import annotations

import argparse
import sys

from station.audit import anchors as audit_anchors
from station.audit import signing as audit_signing
from station.cli.command import EXIT_FAILED, EXIT_OK, Bench, OnStation, Subcommands, runs
from station.cli.trust import central_refusals
from station.runtime.bootstrap import OpenStation, central_url
from station.store.central_password import (
    SecretStoreError,
    store_central_password,
    store_in_secrets_folder,
)
from station.store.database import make_engine, session_factory
from station.trust import enrolment


def register(commands: Subcommands) -> None:
    enrol = commands.add_parser(
        "enrol", help="enrol this bench with the token an admin's `central enrol-station` "
                      "printed (once: the token's password is replaced)")
    enrol.add_argument("token")
    enrol.add_argument("--url", help="the central database (default: [central] url)")
    runs(enrol, OnStation(_run))


def _run(args: argparse.Namespace, bench: Bench) -> int:
    return central_refusals(lambda: _enrol(args, bench))


def _enrol(args: argparse.Namespace, bench: Bench) -> int:
    opened: OpenStation = bench.opened
    token = enrolment.EnrolmentToken.decode(args.token)
    config = opened.ctx.config
    if token.station_code != config.station_code:
        print(f"This token enrols station {token.station_code}, but this bench is configured "
              f"as {config.station_code}: set [station] code = \"{token.station_code}\" (and "
              "its lpn_prefix) in its configuration first.", file=sys.stderr)
        return EXIT_FAILED
    if not (args.url or config.central.url):
        print("Give the central database's URL (--url, or [central] url in the "
              "configuration); an embedded central database needs no enrolment.",
              file=sys.stderr)
        return EXIT_FAILED
    url = central_url(config, opened.locations, override=args.url).set(
        username=token.db_role, password=token.password)
    engine = make_engine(url)
    try:
        with session_factory(engine).begin() as session:
            found = enrolment.standing(session, token.station_code)
            mine = enrolment.session_station(session)
            if found is None or mine != token.station_code or not found.enrolled \
                    or found.revoked:
                print(f"The central database does not hold an enrolment of station "
                      f"{token.station_code} for role {token.db_role}; ask the admin for a "
                      "new token.", file=sys.stderr)
                return EXIT_FAILED
            if found.lpn_prefix != config.effective_lpn_prefix:
                print(f"Station {found.code} is enrolled with LPN prefix {found.lpn_prefix}; "
                      f"set [station] lpn_prefix = \"{found.lpn_prefix}\" first.",
                      file=sys.stderr)
                return EXIT_FAILED
            key = audit_signing.key_of_factory(opened.ctx.sessions)
            if key is not None:  # the bench's audit signing key is registered now, once
                audit_anchors.register_station_key(session, token.station_code, key,
                                                   now=opened.ctx.clock())
            password = enrolment.rotate_own_password(session.connection())
    finally:
        engine.dispose()
    stored_url = url._replace(password=None)  # URL.set(password=None) keeps the password
    try:
        where = f"the OS keyring ({store_central_password(stored_url, password)})"
    except SecretStoreError:
        where = str(store_in_secrets_folder(stored_url, password, opened.locations.data_dir))
    print(f"Enrolled as station {token.station_code}. Its database password was replaced "
          f"(the token no longer works) and is kept in {where}. Set [central] url to "
          f"{stored_url.set(drivername='postgresql').render_as_string()} if it is not "
          "already.")
    return EXIT_OK
