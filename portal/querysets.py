from django.db import models

from artisanat import permissions


class ReminderLogQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The ministry reads every reminder; anybody else only the ones sent to them."""
        if permissions.is_ministry(user):
            return self
        if permissions.can_read(user):
            return self.filter(recipient=user)
        return self.none()
