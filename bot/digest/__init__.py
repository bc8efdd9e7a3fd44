"""The periodic digest: composed from history, worded, charted, scheduled and delivered."""
