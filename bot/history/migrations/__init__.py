"""Alembic migrations for the history database; ``bot.history`` runs them to head on open."""
