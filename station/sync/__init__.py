"""Sync between a station and the central database: push the outbox and pull what changed
(`exchange`), pull RMAs by watermark (`pull`), a deadline for one whole sync against
PostgreSQL (`deadline`), and the halt of a restored or cloned station (`halts`).
"""
