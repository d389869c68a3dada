"""Hardware and file-format adapters that implement the core's ports (station.ports,
station.labels.printers, station.reports.document, station.supervision.evidence) with
third-party libraries the core may not import: `decoding` (barcodes from images),
`printers` (label printers), `scanners` (serial and camera scan sources), `documents`
(PDFs) and `photos` (the photo store on disk). Only the composition root in ui/ picks
them; the packages do not import each other.
"""
