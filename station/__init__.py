"""Returns Station core, in packages by concern (docs/architecture.md has the map).

Pure Python: nothing here imports Qt, OpenCV, a printer library or a barcode decoder,
so every use case runs headless (tests, CLI, load generator) exactly as the app runs it.
"""

__version__ = "0.1.0"
