"""The demo sheet shows a first-time user whom to sign in as and which RMA numbers to scan."""

from __future__ import annotations

from pathlib import Path

import zxingcpp
from PIL import Image
from pytestqt.qtbot import QtBot
from station_bench import make_station

from station.demo.station import DEMO_USERS
from ui.app import create_application
from ui.demo_sheet import DemoSheetDialog
from ui.tasks import TaskRunner


def test_the_demo_sheet_lists_users_with_pins_and_rmas_with_scannable_barcodes(
    tmp_path: Path, qtbot: QtBot
) -> None:
    station = make_station(tmp_path / "station", rma_count=30)
    create_application()
    tasks = TaskRunner()
    dialog = DemoSheetDialog(station.ctx, tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: dialog.table.rowCount() > 0)
    assert dialog.table.rowCount() == 30
    first = dialog.table.item(0, 0).text()
    assert first.startswith("RMA-")
    for user in DEMO_USERS:
        assert user.display_name in dialog.users_label.text()
        assert user.pin in dialog.users_label.text()
    dialog.table.selectRow(3)
    shot = tmp_path / "barcode.png"
    assert dialog.barcode.grab().save(str(shot))
    results = zxingcpp.read_barcodes(Image.open(shot))
    assert [r.text for r in results] == [dialog.table.item(3, 0).text()]
    station.opened.close()


def test_every_code_on_the_bench_card_scans_back_to_its_command(tmp_path: Path,
                                                                qtbot: QtBot) -> None:
    from station.codes.scans import COMMAND_CAPTIONS
    from ui.bench_card import BenchCardDialog

    create_application()
    dialog = BenchCardDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    for code, view in dialog.barcodes.items():
        path = tmp_path / "code.png"
        assert view.grab().save(str(path))
        assert [r.text for r in zxingcpp.read_barcodes(Image.open(path))] == [code]
    assert set(dialog.barcodes) == set(COMMAND_CAPTIONS)
