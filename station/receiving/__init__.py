"""Receiving: parcels scanned at the dock (`parcels`), and the RMAs they are matched
against: plain RMA records, their import from CSV or Shopify returns into the central
database, and their storage and look-up at the station.
"""
