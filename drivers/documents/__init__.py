"""Documents drawn with reportlab: the evidence sheet of a unit as an A4 PDF
(`evidence_pdf`, the core's `EvidenceRenderer`) and the daily disposition summary as a
print-ready A4 PDF (`report_pdf`, the core's `ReportRenderer`), which reuses the evidence
sheet's fonts and styles.
"""
