"""The Textual TUI. It calls the core; the core never imports from here."""
