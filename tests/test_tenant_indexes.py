"""Every table with a `tenant_id` leads its indexes with it: in the models, and in the databases
the migrations build (SQLite, and PostgreSQL when configured), read back with `inspect`.

The tables are discovered (any table with a `tenant_id` column), never listed, so a new
tenant-owned table is checked the day it is added. An index led by anything else lets a query
that forgot its tenant filter run fast, and makes every tenant's query pay for every tenant's
rows; the few that must not lead with `tenant_id` say why below.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Index, Table, UniqueConstraint, inspect

from botdesk.models import Base
from botdesk.runtime import Runtime

# Indexes and unique constraints that deliberately do not lead with tenant_id.
NOT_LED_BY_TENANT = {
    "ix_messages_conversation_id": "serves the ON DELETE CASCADE from conversations (see model)",
    "ix_memberships_user_id": "finds a signed-in person's tenants, before any tenant is known",
}
# Tables whose tenant_id may be empty and points at no tenant row.
UNBOUND_TENANT = {
    "audit_log": "operator actions concern no tenant, and an erasure's record outlives the tenant",
}


@dataclass(frozen=True)
class Shape:
    """What the rule looks at in one table: its key, its indexes and unique constraints."""

    primary_key: tuple[str, ...]
    indexes: dict[str, tuple[str, ...]]  # name -> columns (unique or not)
    tenant_id_nullable: bool


def model_shape(table: Table) -> Shape:
    indexes = {
        str(index.name): tuple(c.name for c in index.columns)
        for index in table.indexes
        if isinstance(index, Index)
    } | {
        str(constraint.name): tuple(c.name for c in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    }
    return Shape(
        tuple(c.name for c in table.primary_key.columns), indexes, bool(table.c.tenant_id.nullable)
    )


def problems(name: str, shape: Shape) -> list[str]:
    found = []
    for index, columns in sorted(shape.indexes.items()):
        if columns[:1] != ("tenant_id",) and index not in NOT_LED_BY_TENANT:
            found.append(
                f"{name}: {index} {columns} does not lead with tenant_id; make it "
                f"(tenant_id, {', '.join(columns)}) or say why in NOT_LED_BY_TENANT"
            )
    access_paths = [shape.primary_key, *shape.indexes.values()]
    if not any(columns[:1] == ("tenant_id",) for columns in access_paths):
        found.append(
            f"{name}: nothing is led by tenant_id (primary key {shape.primary_key}); add "
            f"Index('ix_{name}_tenant_id', 'tenant_id', …) with the columns its queries filter on"
        )
    if shape.tenant_id_nullable and name not in UNBOUND_TENANT:
        found.append(f"{name}: tenant_id is nullable")
    return found


def tenant_tables() -> list[Table]:
    return [table for table in Base.metadata.sorted_tables if "tenant_id" in table.c]


def test_tenant_owned_tables_are_discovered_and_tenant_data_always_carries_tenant_id() -> None:
    owned = {table.name for table in tenant_tables()}
    assert {"conversations", "messages", "canned_replies", "memberships"} <= owned  # not vacuous
    for table in Base.metadata.sorted_tables:
        for key in table.foreign_keys:
            parent = key.column.table
            if parent.name == "tenants" or parent.name in owned:
                assert "tenant_id" in table.c, (
                    f"{table.name} refers to {parent.name}, so it holds a tenant's data, but "
                    "has no tenant_id"
                )
    for table in tenant_tables():
        targets = {key.target_fullname for key in table.c.tenant_id.foreign_keys}
        if table.name not in UNBOUND_TENANT:
            assert targets == {"tenants.id"}, f"{table.name}.tenant_id must refer to tenants.id"
    assert set(UNBOUND_TENANT) <= owned


def test_every_index_of_a_tenant_owned_table_leads_with_tenant_id_in_the_models() -> None:
    found = [p for table in tenant_tables() for p in problems(table.name, model_shape(table))]
    assert found == [], "\n".join(found)
    # The exceptions name real indexes, so the list cannot outlive what it excuses.
    names = {name for table in tenant_tables() for name in model_shape(table).indexes}
    assert set(NOT_LED_BY_TENANT) <= names, set(NOT_LED_BY_TENANT) - names


def test_every_index_of_a_tenant_owned_table_leads_with_tenant_id_in_the_database(
    runtime: Runtime,
) -> None:
    """The migrated database, as the database itself reports it (the migrations, not models)."""
    inspector = inspect(runtime.db.engine)
    found: list[str] = []
    for table in tenant_tables():
        assert inspector.has_table(table.name), f"{table.name} is not in the migrated database"
        columns = {c["name"]: c for c in inspector.get_columns(table.name)}
        indexes = {
            str(index["name"]): tuple(str(c) for c in index["column_names"])
            for index in inspector.get_indexes(table.name)
        } | {
            str(unique["name"]): tuple(unique["column_names"])
            for unique in inspector.get_unique_constraints(table.name)
        }
        primary_key = tuple(inspector.get_pk_constraint(table.name)["constrained_columns"])
        shape = Shape(primary_key, indexes, bool(columns["tenant_id"]["nullable"]))
        assert shape == model_shape(table), f"{table.name}: database and models differ"
        found += problems(table.name, shape)
    assert found == [], "\n".join(found)
