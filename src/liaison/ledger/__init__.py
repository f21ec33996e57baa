"""The ledger: an append-only, signed transparency log of decisions."""
