"""The history database: briefs, picks, feedback, roster snapshots, digest subscriptions."""
