"""The question bank: TOML files shipped in ``bank/`` plus the user's own."""
