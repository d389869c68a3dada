"""Label printers as `LabelPrinter`s: the one entry point from a printer URI
(`label_printers.open_label_printer`), ESC/POS receipt printers through python-escpos
(`escpos_printer`), Zebra ZPL network printers (`zpl_printer`), PDF files of the label's
size (`pdf_printer`), and one job's raw-port (9100) TCP connection with short deadlines
that the network printers share (`raw_tcp`).
"""
