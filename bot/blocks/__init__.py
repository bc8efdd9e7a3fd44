"""Pure Block Kit builders: data in, Slack JSON out, every Slack limit kept.

Nothing here calls Slack or the service. Text from rosters and users is escaped (so a bio can never
ping a channel) and truncated with an ellipsis; a result too large for one message is split into
several, each within ``MAX_BLOCKS_PER_MESSAGE``.
"""
