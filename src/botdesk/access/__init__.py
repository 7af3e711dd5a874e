"""The only way routes load tenant-owned rows. Every function here scopes by tenant.

Routes never query models directly: a forgotten `tenant_id` filter is how one merchant ends up
reading another's chats, so the filter lives here, once, and tests try every path cross-tenant.

One module per noun; callers use the package (`access.conversation_for_staff(...)`), which
re-exports every public name below.
"""

from __future__ import annotations

from botdesk.access.canned import (
    CANNED_REPLY_ROLES,
    canned_replies_for,
    canned_reply_by_shortcut,
    canned_reply_for_admin,
    tenant_canned_replies,
)
from botdesk.access.conversations import (
    conversation_for_staff,
    conversation_for_visitor,
    conversation_notes,
    conversation_of_tenant,
    conversations_for_staff,
    message_by_client_id,
    messages_after,
    notes_for,
    replies_to,
    status_counts,
    token_hash,
)
from botdesk.access.orders import (
    config_of,
    connector_config,
    connector_row,
    demo_order,
    demo_orders,
)
from botdesk.access.recent import RecentFilter, recent_conversations
from botdesk.access.samples import question_samples
from botdesk.access.staff import (
    TOTP_REQUIRED,
    TRANSCRIPT_ROLES,
    StaffContext,
    require_agent,
    staff_context,
    staff_tenants,
    tenant_staff,
)
from botdesk.access.subjects import conversations_by_subject, subject_digests
from botdesk.access.tenants import (
    allowed_origins_by_conversation,
    allowed_origins_by_slug,
    handover_policy,
    tenant_by_id,
    tenant_by_slug,
    tenant_for_admin,
    tenants_not_wrapped_by,
)
from botdesk.access.visitors import (
    VisitorConversation,
    sealed_message_by_client_id,
    sealed_messages,
    visitor_conversation,
)

__all__ = [
    "CANNED_REPLY_ROLES",
    "TOTP_REQUIRED",
    "TRANSCRIPT_ROLES",
    "RecentFilter",
    "StaffContext",
    "VisitorConversation",
    "allowed_origins_by_conversation",
    "allowed_origins_by_slug",
    "canned_replies_for",
    "canned_reply_by_shortcut",
    "canned_reply_for_admin",
    "config_of",
    "connector_config",
    "connector_row",
    "conversation_for_staff",
    "conversation_for_visitor",
    "conversation_notes",
    "conversation_of_tenant",
    "conversations_by_subject",
    "conversations_for_staff",
    "demo_order",
    "demo_orders",
    "handover_policy",
    "message_by_client_id",
    "messages_after",
    "notes_for",
    "question_samples",
    "recent_conversations",
    "replies_to",
    "require_agent",
    "sealed_message_by_client_id",
    "sealed_messages",
    "staff_context",
    "staff_tenants",
    "status_counts",
    "subject_digests",
    "tenant_by_id",
    "tenant_by_slug",
    "tenant_canned_replies",
    "tenant_for_admin",
    "tenant_staff",
    "tenants_not_wrapped_by",
    "token_hash",
    "visitor_conversation",
]
