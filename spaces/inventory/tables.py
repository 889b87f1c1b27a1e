"""Tables of the inventory import (migration 0020): uploads that wait for "Import bestätigen", and what each
import did."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from spaces.db import db


class ImportBatch(db.Model):
    """An uploaded file's rows, read but not yet written (until confirmed or it expires), then what the import did.

    The random id is the batch's name in URLs; only its owner sees or confirms it. The command line's imports
    are kept too (owner None, no rows), so the audit entry has an object."""

    __tablename__ = "import_batches"
    __table_args__ = (Index("ix_import_batches_expires_at", "expires_at"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200), default="", server_default="")
    default_provider: Mapped[str | None] = mapped_column(String(200))
    # [{"ref", "values", "tags"}]: spaces.inventory.rows.RawRow as JSON; emptied once applied
    rows: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # {"created", "updated", "unchanged", "refused", "spaces": [[id, name, action], ...]} once applied
    result: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
