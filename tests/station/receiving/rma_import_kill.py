"""Run an RMA import as `returns-station import-rmas` does and kill -9 this process at one
of its steps (argv: data folder, CSV file, step), as a power cut would."""

from __future__ import annotations

import os
import signal
import sys
from datetime import date
from pathlib import Path

from station.receiving import rma_import
from station.receiving.rma_csv import parse_rma_csv
from station.runtime.bootstrap import open_station
from station.settings.config import load_config, resolve_locations


def main(folder: str, csv_file: str, step: str) -> None:
    locations = resolve_locations(data_dir=folder)
    opened = open_station(load_config(locations.config_file, required=False), locations)
    records = parse_rma_csv(Path(csv_file).read_bytes(), rma_pattern=opened.ctx.config.rma_regex,
                            today=date.today())

    def checkpoint(done: str) -> None:
        if done == step:
            os.kill(os.getpid(), signal.SIGKILL)

    rma_import.import_rmas(opened.central_sessions(), opened.ctx.sessions, records,
                           station_code=opened.ctx.station_code, actor=None,
                           actor_name="setup (no users yet)", source=Path(csv_file).name,
                           now=opened.ctx.clock(), checkpoint=checkpoint)
    raise SystemExit(f"the import finished without reaching step {step!r}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
