"""The bench's orchestration, kept out of the widgets: which use case a scan goes to in
which state of the bench (`scan_router`, a pure table), and use cases that span packages
in one transaction (`confirm`: a unit's facts together with its label's print job).
"""
