"""The daily disposition summary and what hangs off it: its figures (`daily_summary`), the
units behind a figure (`units`), the trend, the CSV and the print-ready document.
"""
