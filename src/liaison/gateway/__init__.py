"""The service layer: decide and record, record what was done; no web framework inside."""
