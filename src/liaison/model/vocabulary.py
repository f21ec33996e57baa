"""The normative vocabulary of request-schema.md: actions, custody, purposes, ...

Enum values are the exact strings of the reference; do not rename them.
"""

from __future__ import annotations

from enum import StrEnum


# ``actor.role``: the actor's rank. Not an API key's role (``gateway.roles.KeyRole``), which
# shares some values. No docstring: it would become the schema's description.
class ActorRole(StrEnum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    DETECTIVE = "detective"
    ANALYST = "analyst"
    COMMANDER = "commander"


class Action(StrEnum):
    DATABASE_INQUIRY = "database_inquiry"
    VERBAL_INQUIRY = "verbal_inquiry"
    SHARE_INFORMATION = "share_information"
    TRANSPORT = "transport"
    CUSTODY_TRANSFER = "custody_transfer"
    HOLD = "hold"
    ARREST = "arrest"
    GRANT_ACCESS = "grant_access"
    JOINT_OPERATION = "joint_operation"


class Custody(StrEnum):
    FREE = "free"
    STOPPED = "stopped"
    MPD_CUSTODY = "mpd_custody"
    FEDERAL_CUSTODY = "federal_custody"


class RecipientType(StrEnum):
    FEDERAL_IMMIGRATION = "federal_immigration"
    FEDERAL_OTHER = "federal_other"
    STATE_LOCAL = "state_local"
    PRIVATE = "private"


class Purpose(StrEnum):
    CRIMINAL_INVESTIGATION = "criminal_investigation"
    TRAFFIC_ENFORCEMENT = "traffic_enforcement"
    IDENTITY_VERIFICATION = "identity_verification"
    WARRANT_CHECK = "warrant_check"
    OFFICER_SAFETY = "officer_safety"
    MISSING_PERSON = "missing_person"
    BOOKING = "booking"
    SMUGGLING_HARBORING_INVESTIGATION = "smuggling_harboring_investigation"
    IMMIGRATION_STATUS = "immigration_status"
    CIVIL_IMMIGRATION_ENFORCEMENT = "civil_immigration_enforcement"
    ASSIST_FEDERAL_AGENCY = "assist_federal_agency"


class DataClass(StrEnum):
    IMMIGRATION_STATUS = "immigration_status"
    CITIZENSHIP = "citizenship"
    IDENTITY = "identity"
    LOCATION = "location"
    HOME_ADDRESS = "home_address"
    RELEASE_DATETIME = "release_datetime"
    PHOTOGRAPH = "photograph"
    MEDICAL = "medical"
    CRIMINAL_CASE_INFO = "criminal_case_info"
    CRIMINAL_HISTORY = "criminal_history"
    VEHICLE = "vehicle"
    STOP_DETAILS = "stop_details"
    ALPR_READS = "alpr_reads"


class Database(StrEnum):
    NCIC = "NCIC"
    III = "III"
    NLETS_IAQ = "NLETS_IAQ"
    WALES = "WALES"
    ALPR = "ALPR"
    RMS = "RMS"
    DMV = "DMV"
    OTHER = "OTHER"


class Initiative(StrEnum):
    PROACTIVE = "proactive"
    ON_REQUEST = "on_request"


class LegalProcess(StrEnum):
    NONE = "none"
    ICE_DETAINER = "ice_detainer"
    ICE_ADMINISTRATIVE_WARRANT = "ice_administrative_warrant"
    JUDICIAL_WARRANT = "judicial_warrant"
    CRIMINAL_WARRANT = "criminal_warrant"


class ArrestBasis(StrEnum):
    CRIMINAL_WARRANT = "criminal_warrant"
    OFFENSE = "offense"
    IMMIGRATION_WARRANT_ONLY = "immigration_warrant_only"
    DETAINER_ONLY = "detainer_only"


class Passengers(StrEnum):
    FEDERAL_EMPLOYEES = "federal_employees"
    DETAINED_SUBJECT = "detained_subject"
    MPD_ARRESTEE = "mpd_arrestee"


# ``access.kind``; ``data``: access to search the department's data (request-schema.md,
# "Additions for state packs and imported logs").
class AccessKind(StrEnum):
    FACILITY = "facility"
    INTERVIEW = "interview"
    DATA = "data"


# ``recipient.jurisdiction``: whether a state or local agency is of the pack's own state;
# absent means unknown, which no rule reads as in-state (request-schema.md, "Additions").
class Jurisdiction(StrEnum):
    IN_STATE = "in_state"
    OUT_OF_STATE = "out_of_state"


class Counsel(StrEnum):
    PRESENT = "present"
    WAIVED = "waived"
    NONE = "none"


class OperationKind(StrEnum):
    CHECKPOINT = "checkpoint"
    TASK_FORCE = "task_force"
    PATROL = "patrol"


class EncounterKind(StrEnum):
    TRAFFIC_STOP = "traffic_stop"
    CHECKPOINT = "checkpoint"
    CALL_FOR_SERVICE = "call_for_service"
    ARREST = "arrest"
    OTHER = "other"


# Which optional top-level fields each action requires (request-schema.md, the field table).
REQUIRED_BY_ACTION: dict[Action, tuple[str, ...]] = {
    Action.DATABASE_INQUIRY: ("purposes", "subject", "database"),
    Action.VERBAL_INQUIRY: ("purposes", "subject"),
    Action.SHARE_INFORMATION: ("purposes", "subject", "recipient", "data_classes"),
    Action.TRANSPORT: ("purposes", "subject", "recipient", "transport"),
    Action.CUSTODY_TRANSFER: ("subject", "recipient"),
    Action.HOLD: ("subject", "recipient"),
    Action.ARREST: ("subject", "arrest_basis"),
    Action.GRANT_ACCESS: ("subject", "recipient", "access"),
    Action.JOINT_OPERATION: ("purposes", "operation"),
}
