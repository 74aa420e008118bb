"""Errors raised by service functions; every surface (pages, API, admin) translates them."""

from django.core.exceptions import BadRequest
from django.utils.translation import gettext_lazy as _


class TransitionNotAllowed(Exception):
    """A workflow move that the current state does not allow (API: 409)."""

    def __init__(self, action, current_status, label=None):
        """``current_status``: the state's value (what the API answers); ``label``: how
        the message names it (the value when not given)."""
        self.action = action
        self.current_status = str(current_status)
        super().__init__(
            _("Action « %(action)s » impossible : la mesure est à l'état « %(status)s ».")
            % {"action": action, "status": label or current_status}
        )


class StaleVersion(Exception):
    """Someone else changed the record since it was read (API: 412)."""

    def __init__(self, current_version):
        self.current_version = current_version
        super().__init__(
            _("Cet enregistrement a été modifié par quelqu'un d'autre entre-temps (version %(v)s). Rechargez-le.")
            % {"v": current_version}
        )


class InvalidParameter(BadRequest):
    """A query parameter a page cannot read (``?as_of=hier``): 400 with the same
    message the API gives, never a silent default."""

    def __init__(self, name, message):
        self.name = name
        self.message = message
        super().__init__(f"{name}: {message}")
