import Foundation

/// The PostgreSQL schema, versioned: each migration runs once, in order, in one transaction at
/// start, and is recorded in `schema_migrations`. The tables mean what SQLite's do
/// (`SQLiteStore.migrator`); the differences are PostgreSQL's types and `workshop.last_seq`.
enum PostgresSchema {
    struct Migration {
        var version: Int
        var name: String
        var sql: String
    }

    static let migrations: [Migration] = [
        Migration(version: 1, name: "workshops, journal, people", sql: """
            CREATE TABLE workshop (
                id text PRIMARY KEY,
                title text NOT NULL,
                plan text NOT NULL,
                join_code text NOT NULL UNIQUE,
                -- SHA-256 digest of the facilitator key (Secrets.digest), never the key.
                facilitator_key text NOT NULL,
                created_at bigint NOT NULL,
                closed boolean NOT NULL DEFAULT false,
                closed_at bigint,
                -- The journal's last seq: each commit moves it from the seq before its first event
                -- to its last, in the same transaction (a row lock), so seqs can have no gap.
                last_seq bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0)
            );
            CREATE INDEX workshop_open ON workshop (created_at, id) WHERE NOT closed;
            -- Append-only.
            CREATE TABLE event (
                workshop_id text NOT NULL REFERENCES workshop (id),
                seq bigint NOT NULL CHECK (seq >= 1),
                at bigint NOT NULL,
                actor text,
                -- The client message id that caused the event (for retries across restarts): bytea,
                -- its UTF-8 bytes as they came (the protocol lets no control character in, but a
                -- NUL would make a text column refuse the whole batch).
                message bytea,
                type text NOT NULL,
                -- The journal format (AtelierDomain/JournalFormat.swift): JSON, never a name.
                payload text NOT NULL,
                PRIMARY KEY (workshop_id, seq)
            );
            -- Personal data, apart from the journal: erasing a person is updating one row.
            CREATE TABLE person (
                workshop_id text NOT NULL REFERENCES workshop (id),
                participant_id text NOT NULL,
                name text,
                organisation text,
                -- SHA-256 digest of the resume token.
                token text UNIQUE,
                PRIMARY KEY (workshop_id, participant_id)
            );
            """),
        Migration(version: 2, name: "workshop leases, for several nodes", sql: """
            -- Several nodes on one database (atelier serve --node NAME): the node that serves the
            -- workshop, until when, and the owner epoch, moved by each takeover and checked by each
            -- commit (fencing: a node whose lease was taken writes nothing more).
            ALTER TABLE workshop ADD COLUMN owner_node text;
            ALTER TABLE workshop ADD COLUMN owner_epoch bigint NOT NULL DEFAULT 0;
            ALTER TABLE workshop ADD COLUMN lease_until timestamptz;
            """),
        Migration(version: 3, name: "series of workshops", sql: """
            CREATE TABLE series (
                id text PRIMARY KEY,
                title text NOT NULL,
                description text NOT NULL DEFAULT '',
                created_at bigint NOT NULL,
                archived boolean NOT NULL DEFAULT false
            );
            -- A workshop belongs to one series at most; position orders a series' workshops.
            CREATE TABLE series_workshop (
                series_id text NOT NULL REFERENCES series (id),
                position integer NOT NULL,
                workshop_id text NOT NULL UNIQUE REFERENCES workshop (id),
                PRIMARY KEY (series_id, position)
            );
            """),
        Migration(version: 4, name: "organiser sessions shared by nodes", sql: """
            -- The organiser's browser sessions, when several nodes serve (the digest of the
            -- cookie's id, never the id).
            CREATE TABLE admin_session (
                digest text PRIMARY KEY,
                csrf text NOT NULL,
                created_at bigint NOT NULL,
                last_used bigint NOT NULL
            );
            """),
        Migration(version: 5, name: "the node a workshop is wanted on", sql: """
            -- Several nodes: the last node asked for a workshop another node holds (the one the
            -- load balancer sends its clients to now), and when; the holder lets the workshop go
            -- to it at its next lease tick, so that routing and ownership agree again.
            ALTER TABLE workshop ADD COLUMN wanted_by text;
            ALTER TABLE workshop ADD COLUMN wanted_at timestamptz;
            """),
    ]

    /// The advisory lock keys (first half): one for migrations (held by a transaction), one for
    /// the single writer (held by the writer's session). The second half is the schema's hash, so
    /// several Atelier schemas can share a database.
    static let migrationLock: Int32 = 0x4154_4C4D  // "ATLM"
    static let writerLock: Int32 = 0x4154_4C57  // "ATLW"

    /// Applies what is missing. Refuses a database migrated by a newer Atelier.
    static func migrate(_ connection: PGConnection) throws {
        try connection.transaction {
            try connection.query("SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", [.int(Int64(migrationLock))])
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            let result = try connection.query("SELECT version FROM schema_migrations ORDER BY version")
            let applied = Set((0..<result.rowCount).compactMap { result.int($0, 0).map(Int.init) })
            let known = Set(migrations.map(\.version))
            if let newer = applied.subtracting(known).max() {
                throw PostgresStoreError.newerSchema(version: newer, known: known.max() ?? 0)
            }
            for m in migrations where !applied.contains(m.version) {
                try connection.execute(m.sql)
                try connection.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [.int(Int64(m.version)), .text(m.name)])
            }
        }
    }
}
