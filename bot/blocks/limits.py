"""Slack's published limits for messages, Block Kit and views, as named constants.

The builders in ``bot.blocks`` keep every one of them, so Slack never has to reject a payload.
"""

#: Blocks in one message (``chat.postMessage`` / ``chat.update``).
MAX_BLOCKS_PER_MESSAGE = 50
#: Blocks in one modal or App Home view.
MAX_BLOCKS_PER_VIEW = 100

#: Characters in a section's text, and in any text object not limited further below.
MAX_SECTION_TEXT = 3000
#: Fields in one section, and characters in each.
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
#: Characters in a header block's text.
MAX_HEADER_TEXT = 150
#: Elements in a context block.
MAX_CONTEXT_ELEMENTS = 10
#: Elements in an actions block.
MAX_ACTIONS_ELEMENTS = 25

#: Buttons: visible text, value, and the identifiers every interactive element carries.
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255
MAX_BLOCK_ID = 255

#: A message's top-level ``text`` (the notification fallback when blocks are given).
MAX_MESSAGE_TEXT = 4000

#: Modals: title, submit and close labels; input labels, hints and placeholders.
MAX_VIEW_TITLE = 24
MAX_VIEW_BUTTON_TEXT = 24
MAX_INPUT_LABEL = 2000
MAX_INPUT_HINT = 2000
MAX_PLACEHOLDER = 150
#: A plain-text input's ``max_length`` and ``initial_value``.
MAX_INPUT_VALUE = 3000
#: Options of a select menu: how many, and characters in each one's text and value.
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_CALLBACK_ID = 255
MAX_PRIVATE_METADATA = 3000
