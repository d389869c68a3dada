"""Labels from content to paper: what a label says (`content`), layouts as data
(`layouts`, `code128`), one 1-bit bitmap for preview and printer (`render`), the printer
port and job outcomes (`printers`), the print queue as facts (`print_queue`) and voiding
a label (`voids`).
"""
