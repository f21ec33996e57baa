"""A realistic demo history, August to September 2025, loaded through the gateway
(``liaison demo``, ``make run``).

Traffic stops across the seven districts, with the inquiries, notifications and
transports officers ask for under them (federal immigration agents driven, after
EO-25-005); the 14th Street "traffic safety compliance checkpoint" of 13 August with
federal partners, which went ahead after its joint operation was denied, and a joint
patrol with ICE on 4 September for which none was decided (both flagged); denied
inquiries, some carried out anyway, and a few asked again naming a traffic purpose beside
``immigration_status`` (permitted: EO-25-005 § E3 forbids inquiring "solely" for status);
and some actions that no directive allowed, reported afterwards and flagged.

``timeline`` says what happens (deterministic, seeded); ``loader`` records it through
the gateway, as live traffic would be, resuming an interrupted load and skipping a
finished one.
"""
