"""A witness (C2SP tlog-witness, https://c2sp.org/tlog-witness): an independent party that
cosigns a log's checkpoint (C2SP tlog-cosignature, ``liaison.ledger.cosignature``) only when
it is consistent with the last one it cosigned for that origin, so that no log can show two
histories. Run by the Council or the inspector general on their own host
(``liaison witness serve``; docs/ledger.md, "Witnesses").

``config``: the TOML file (name, key, state file, the logs followed and their keys);
``state``: the witness's own SQLite file (the latest cosigned checkpoint per origin, the
refused submissions); ``protocol``: the add-checkpoint request and its decisions;
``app``: the HTTP service.
"""
