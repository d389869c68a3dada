"""The label printer a printer URI names: one entry point for the composition root.

Backend modules are imported only when their URI is used, so a station printing PDFs never
loads python-escpos, and a missing optional library (pyusb, pycups, pywin32) is reported
only to the station that needs it.
"""

from __future__ import annotations

from station.labels.printers import LabelPrinter
from station.settings.printer_uri import PrinterUri, parse_printer_uri


def open_label_printer(uri: PrinterUri | str, **timeouts: float) -> LabelPrinter:
    """The printer for `uri` (a PrinterUri or its text). `timeouts` (connect_s, write_s,
    status_s, confirm_s) override the network backends' defaults.

    Raises PrinterUriError for a URI that names no usable printer (including an ESC/POS
    profile python-escpos does not know, or of another width than the size), and
    PrinterUnavailable when the backend's library is missing. Connects to nothing.
    """
    parsed = parse_printer_uri(uri) if isinstance(uri, str) else uri
    if parsed.language == "zpl":
        from drivers.printers.zpl_printer import zpl_printer

        return zpl_printer(parsed, **timeouts)
    if parsed.language == "pdf":
        from drivers.printers.pdf_printer import pdf_printer

        return pdf_printer(parsed)
    from drivers.printers.escpos_printer import escpos_printer

    return escpos_printer(parsed, **timeouts)
