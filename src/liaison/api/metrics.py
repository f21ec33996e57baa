"""Prometheus metrics: decisions by result and deciding directive, ledger size, append
latency, the version of the directive pack in force, and witnessing: submissions to each
witness by outcome, and the newest witnessed (cosigned) checkpoint's size and age."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.decisions = Counter(
            "liaison_decisions_total",
            "Decisions made, by result, basis and deciding directive.",
            ["decision", "basis", "directive"],
            registry=self.registry,
        )
        self.events = Counter(
            "liaison_events_total",
            "Events recorded, by kind and flag.",
            ["kind", "flagged"],
            registry=self.registry,
        )
        self.ledger_size = Gauge(
            "liaison_ledger_size", "Entries in the ledger.", registry=self.registry
        )
        self.pack_version = Gauge(
            "liaison_pack_version",
            "Version (seq) of the directive pack in force (0: none recorded).",
            registry=self.registry,
        )
        self.append_latency = Histogram(
            "liaison_append_latency_seconds",
            "Time from request to durable ledger append.",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )
        self.witness_submissions = Counter(
            "liaison_witness_submissions_total",
            "Checkpoints submitted to witnesses, by witness and outcome "
            "(cosigned, unavailable, behind, or a refusal).",
            ["witness", "outcome"],
            registry=self.registry,
        )
        self.witnessed_age = Gauge(
            "liaison_witnessed_checkpoint_age_seconds",
            "Seconds since the newest cosigned checkpoint was signed (-1: none cosigned).",
            registry=self.registry,
        )
        self.witnessed_size = Gauge(
            "liaison_witnessed_checkpoint_size",
            "Size of the newest cosigned checkpoint (0: none cosigned).",
            registry=self.registry,
        )
        self.witnessed_age.set(-1)
