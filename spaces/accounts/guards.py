"""Who may open a page, as decorators for views (below @login_required)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user


def qm_admin_required(message: Callable[[], str]):
    """403 with `message()` (called per request, so it is translated) unless the user is a QM admin."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_qm_admin:
                abort(403, description=message())
            return view(*args, **kwargs)

        return wrapped

    return decorate
