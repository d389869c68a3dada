"""The station's storage: the one SQLAlchemy schema of the local and the central database,
engines and sessions, Alembic migrations and the schema check, the outbox every fact is
queued in, named counters, the summary rows reports count, transaction retries, and the
pacing of long write jobs (an RMA import, a pull) so a bench's own writes get in between.
"""
