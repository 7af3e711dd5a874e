"""The database schema. Importing this package registers every table on `Base.metadata`."""

from botdesk.models.agents import AgentPresence, CannedReply, Presence
from botdesk.models.audit import OPERATOR_CHAIN, ActorKind, AuditChain, AuditEntry
from botdesk.models.base import Base, Retention, utcnow
from botdesk.models.bot import BotContent, BotModel, ExampleEmbedding
from botdesk.models.conversations import (
    Conversation,
    ConversationStatus,
    IllegalTransition,
    Message,
    Note,
    RetentionClass,
    SenderKind,
    check_transition,
)
from botdesk.models.jobs import JobLease
from botdesk.models.orders import DemoOrder, OrderConnector
from botdesk.models.samples import QuestionSample
from botdesk.models.subjects import SubjectKey
from botdesk.models.tenants import SUPPORTED_LANGUAGES, Tenant
from botdesk.models.users import Membership, Role, StaffSession, User

__all__ = [
    "OPERATOR_CHAIN",
    "SUPPORTED_LANGUAGES",
    "ActorKind",
    "AgentPresence",
    "AuditChain",
    "AuditEntry",
    "Base",
    "BotContent",
    "BotModel",
    "CannedReply",
    "Conversation",
    "ConversationStatus",
    "DemoOrder",
    "ExampleEmbedding",
    "IllegalTransition",
    "JobLease",
    "Membership",
    "Message",
    "Note",
    "OrderConnector",
    "Presence",
    "QuestionSample",
    "Retention",
    "RetentionClass",
    "Role",
    "SenderKind",
    "StaffSession",
    "SubjectKey",
    "Tenant",
    "User",
    "check_transition",
    "utcnow",
]
