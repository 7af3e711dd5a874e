"""The bot: where replies to a visitor's message come from."""
