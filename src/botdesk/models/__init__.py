"""The database schema. Importing this package registers every table on `Base.metadata`."""

from botdesk.models.audit import ActorKind, AuditEntry
from botdesk.models.base import Base, Retention, utcnow
from botdesk.models.bot import BotContent, BotModel
from botdesk.models.conversations import (
    Conversation,
    ConversationStatus,
    IllegalTransition,
    Message,
    RetentionClass,
    SenderKind,
    check_transition,
)
from botdesk.models.tenants import SUPPORTED_LANGUAGES, Tenant
from botdesk.models.users import Membership, Role, StaffSession, User

__all__ = [
    "SUPPORTED_LANGUAGES",
    "ActorKind",
    "AuditEntry",
    "Base",
    "BotContent",
    "BotModel",
    "Conversation",
    "ConversationStatus",
    "IllegalTransition",
    "Membership",
    "Message",
    "Retention",
    "RetentionClass",
    "Role",
    "SenderKind",
    "StaffSession",
    "Tenant",
    "User",
    "check_transition",
    "utcnow",
]
