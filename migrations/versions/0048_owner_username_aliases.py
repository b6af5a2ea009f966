"""Aliases: operator-approved mappings from a legacy username that no rule resolves to a user.

An alias is a step of the one resolution rule, after the rule's own matches:

1. trim the username;
2. exactly one user has it exactly: that user;
3. exactly one user has it case-insensitively: that user;
4. an alias names it exactly (trimmed, case as written): the alias's user;
5. otherwise unresolved, `user_not_found` or `ambiguous_username`.

An alias only ever fills a gap: it never re-points a username that the rule already resolves, so
no row that a backfill or a write has resolved means something else after an alias is added.
It also decides between the users an ambiguous username matches.

Aliases come in batches, one per approval (a review, an import, a CLI call), so that the console
can show what each batch bought. The alias's user is a foreign key: an unknown id is refused.

Also adds the helpers the suggestions use: a username's key (lower case, letters and digits
only), its initial-and-surname key, and trigram similarity as pg_trgm defines it, written in SQL
so that no extension is needed.

Downgrade restores 0038's rule and drops the helpers; the aliases and batches stay, as the
operators' decisions.

Revision ID: 0048_owner_username_aliases
Revises: 0047_long_username_index
"""

from alembic import op

from migrations.objects import object_sql

revision = "0048_owner_username_aliases"
down_revision = "0047_long_username_index"
branch_labels = None
depends_on = None

CREATE_BATCHES = """
CREATE TABLE IF NOT EXISTS migration_ops.alias_batches (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    source text NOT NULL,
    note text,
    CONSTRAINT alias_batches_source_check CHECK (source IN ('review', 'import', 'cli'))
)
"""

CREATE_ALIASES = """
CREATE TABLE IF NOT EXISTS migration_ops.owner_username_aliases (
    legacy_username text PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES app_users (id),
    batch_id bigint NOT NULL REFERENCES migration_ops.alias_batches (id),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    note text,
    -- The rule looks an alias up by the trimmed username, as written.
    CONSTRAINT owner_username_aliases_trimmed_check
        CHECK (legacy_username = btrim(legacy_username) AND legacy_username <> ''),
    -- Well under a btree entry's limit, as for 0047's index.
    CONSTRAINT owner_username_aliases_length_check CHECK (octet_length(legacy_username) <= 2000)
)
"""

CREATE_ALIAS_INDEXES = (
    # A user that aliases name cannot be deleted: the foreign key's check reads this index.
    "CREATE INDEX IF NOT EXISTS owner_username_aliases_user_idx"
    " ON migration_ops.owner_username_aliases (user_id)",
    "CREATE INDEX IF NOT EXISTS owner_username_aliases_batch_idx"
    " ON migration_ops.owner_username_aliases (batch_id)",
)

# The suggestions' helpers. Immutable, so that the planner computes each once per row.
CREATE_HELPERS = (
    """
    CREATE OR REPLACE FUNCTION migration_ops.username_key(p_name text)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN regexp_replace(lower(p_name), '[^[:alnum:]]+', '', 'g')
    """,
    # "John.Smith" -> "jsmith": the first letter, then every later word.
    """
    CREATE OR REPLACE FUNCTION migration_ops.initial_surname_key(p_name text)
    RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE
      WHEN p_name ~ '^[^[:alnum:]]*[[:alnum:]]+[^[:alnum:]]+[[:alnum:]]'
        THEN left(migration_ops.username_key(p_name), 1)
             || migration_ops.username_key(substring(p_name FROM '^[^[:alnum:]]*[[:alnum:]]+(.*)$'))
    END
    """,
    # pg_trgm's trigrams: each word of letters and digits, lower-cased, padded with two spaces
    # before and one after; each distinct run of three characters.
    """
    CREATE OR REPLACE FUNCTION migration_ops.username_trigrams(p_name text)
    RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
      SELECT coalesce(array_agg(DISTINCT substr(word.padded, position, 3)), '{}')
      FROM (
        SELECT '  ' || w || ' ' AS padded
        FROM regexp_split_to_table(lower(p_name), '[^[:alnum:]]+') AS w
        WHERE w <> ''
      ) AS word
      CROSS JOIN LATERAL generate_series(1, length(word.padded) - 2) AS position
    $$
    """,
    # pg_trgm's similarity(): shared trigrams over all distinct trigrams of the two; 0 when
    # either has none. PL/pgSQL, whose plan is kept: as a SQL function it is planned per call.
    """
    CREATE OR REPLACE FUNCTION migration_ops.username_similarity(p_left text, p_right text)
    RETURNS real
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
    DECLARE
      v_left text[] := migration_ops.username_trigrams(p_left);
      v_right text[] := migration_ops.username_trigrams(p_right);
      v_shared integer;
    BEGIN
      IF cardinality(v_left) = 0 OR cardinality(v_right) = 0 THEN
        RETURN 0;
      END IF;
      SELECT count(*) INTO v_shared FROM unnest(v_left) AS gram WHERE gram = ANY (v_right);
      RETURN v_shared::real / (cardinality(v_left) + cardinality(v_right) - v_shared);
    END
    $$
    """,
)
HELPERS = (
    "migration_ops.username_similarity(text, text)",
    "migration_ops.username_trigrams(text)",
    "migration_ops.initial_surname_key(text)",
    "migration_ops.username_key(text)",
)


def upgrade() -> None:
    op.execute(CREATE_BATCHES)
    op.execute(CREATE_ALIASES)
    for statement in CREATE_ALIAS_INDEXES:
        op.execute(statement)
    # The resolution rule, with the alias step.
    op.execute(object_sql("resolve_owner_username", 2))
    for statement in CREATE_HELPERS:
        op.execute(statement)


def downgrade() -> None:
    op.execute(object_sql("resolve_owner_username", 1))
    for helper in HELPERS:
        op.execute(f"DROP FUNCTION IF EXISTS {helper}")
