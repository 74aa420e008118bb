"""An email backend whose server cannot be reached (the reminders' failure path)."""

from django.core.mail.backends.base import BaseEmailBackend


class EmailBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError(111, "serveur SMTP injoignable")
