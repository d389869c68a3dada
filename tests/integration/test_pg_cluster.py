"""The throw-away PostgreSQL cluster of the integration tests starts and answers."""

import pytest
import sqlalchemy as sa


@pytest.mark.postgres
def test_cluster_answers(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.text("select version()")).scalar_one()
            database = conn.execute(sa.text("select current_database()")).scalar_one()
    finally:
        engine.dispose()
    assert version.startswith("PostgreSQL ")
    assert database == "returns_test"
