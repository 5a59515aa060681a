import pytest

from tileshop_pipelines import bootstrap
from tileshop_pipelines.store import db
from tileshop_pipelines.store.migrations import migrate, migration_files


def test_dagster_storage_url_uses_psycopg2_driver():
    assert bootstrap.dagster_storage_url("postgresql://u:p@h:5432/d") == "postgresql+psycopg2://u:p@h:5432/d"
    assert bootstrap.dagster_storage_url("postgres://u@/d?host=/tmp/x") == "postgresql+psycopg2://u@/d?host=/tmp/x"
    assert db.libpq_url("postgresql+psycopg2://u@h/d") == "postgresql://u@h/d"


def test_database_url_rejects_other_schemes(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://u@h/d")
    with pytest.raises(db.DatabaseConfigError, match="DATABASE_URL"):
        db.database_url()


def test_the_direct_url_is_the_pooled_one_unless_set(monkeypatch):
    """Migrations and dumps go to DIRECT_DATABASE_URL (Fly Managed Postgres: PgBouncer bypassed)."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://fly-user:pw@pgbouncer.abc.flympg.net/fly-db")
    monkeypatch.delenv("DIRECT_DATABASE_URL", raising=False)
    assert db.direct_database_url() == "postgresql://fly-user:pw@pgbouncer.abc.flympg.net/fly-db"
    monkeypatch.setenv("DIRECT_DATABASE_URL", "postgresql://fly-user:direct-pw@direct.abc.flympg.net/fly-db")
    assert db.direct_database_url() == "postgresql://fly-user:direct-pw@direct.abc.flympg.net/fly-db"
    assert db.database_url() == "postgresql://fly-user:pw@pgbouncer.abc.flympg.net/fly-db"
    assert {"pw", "direct-pw"} <= set(bootstrap.process_secrets())  # both masked in the logs
    monkeypatch.setenv("DIRECT_DATABASE_URL", "mysql://u@h/d")
    with pytest.raises(db.DatabaseConfigError, match="DIRECT_DATABASE_URL"):
        db.direct_database_url()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://user:s3cret@127.0.0.1:1/nodb",
        "postgresql://user@127.0.0.1:1/nodb?password=s3cret&connect_timeout=5",
        "postgresql://user@127.0.0.1:1/nodb?sslmode=require&sslpassword=s3cret",
    ],
)
def test_connect_error_names_the_server_without_password(url):
    with pytest.raises(db.DatabaseConfigError) as err:
        db.connect(url)
    assert "127.0.0.1:1" in str(err.value)
    assert "s3cret" not in str(err.value)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("postgresql://u:s3cret@h:5432/db", "postgresql://u:***@h:5432/db"),
        ("postgresql://u:p@s3cret@h/db?sslmode=require", "postgresql://u:***@h/db?sslmode=require"),  # "@" unescaped
        ("postgresql://u:s3cret@h1:5432,h2:5433/db", "postgresql://u:***@h1:5432,h2:5433/db"),
        ("postgresql://u@h/db?password=s3cret&sslmode=require", "postgresql://u@h/db?password=***&sslmode=require"),
        ("postgresql:///db?host=/run/pg&sslpassword=s3cret", "postgresql:///db?host=/run/pg&sslpassword=***"),
        ("host=h user=u password=s3cret dbname=d", "host=h user=u password=*** dbname=d"),
        ("host=h password = 's3 cr\\'et' dbname=d", "host=h password = *** dbname=d"),
        ("sslpassword=s3cret host=h", "sslpassword=*** host=h"),
        ("https://dagster.example/graphql?token=s3cret&run=1", "https://dagster.example/graphql?token=***&run=1"),
        (
            "https://h/p?design=1&api_key=s3cret#access_token=s3cret",
            "https://h/p?design=1&api_key=***#access_token=***",
        ),
        (
            'at postgresql://u:s3cret@h/db: FATAL: password authentication failed for user "u"',
            'at postgresql://u:***@h/db: FATAL: password authentication failed for user "u"',
        ),
        ("postgresql://postgres:@/postgres?host=/run/pg", "postgresql://postgres:@/postgres?host=/run/pg"),
        ("http://127.0.0.1:3000/graphql", "http://127.0.0.1:3000/graphql"),
    ],
)
def test_redacted_hides_every_form_of_secret(text, expected):
    assert db.redacted(text) == expected


def test_migrations_apply_once(conn):
    assert migrate(conn) == []  # the fixture already applied them
    applied = {r[0] for r in conn.execute("SELECT name FROM schema_migrations")}
    assert applied == {p.name for p in migration_files()}
    indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'product_vectors'")}
    assert "product_vectors_embedding_hnsw" in indexes


def test_embedded_server_has_pgvector(server_url):
    with db.connect(server_url) as conn:
        distance = conn.execute(
            "SELECT '[1,2,0]'::vector <=> '[2,4,0]'::vector, '[1,0]'::vector <=> '[0,1]'::vector"
        ).fetchone()
    assert distance == pytest.approx((0.0, 1.0))  # cosine distance: parallel 0, orthogonal 1


def test_concurrent_migrators_apply_each_migration_once(make_database):
    """Two processes starting at once (release step and a machine): the advisory lock serializes them."""
    from concurrent.futures import ThreadPoolExecutor

    url = make_database()

    def run(_):
        with db.connect(url) as conn:
            return migrate(conn)

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(run, range(2))
    assert sorted(first + second) == [p.name for p in migration_files()]
