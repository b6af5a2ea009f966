"""Where the database is and how to reach it: settings, engines, the embedded server, the Alembic
revision, shared reads."""
