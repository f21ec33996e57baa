"""Auditing what already happened (issue 13): other systems' query logs imported, each row's
purpose classified, each row judged against the directives in force at its time.

``rows`` holds the shared types (an imported row, its provenance, a bad row, a
classification); the readers, the classifier, the organisation table, the judgement, the
import into the ledger and the reports each live in a module of their own.
"""
