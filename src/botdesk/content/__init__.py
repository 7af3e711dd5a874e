"""Bot content as data: per-tenant intents, answers, flows and test dialogues (docs/content.md)."""
