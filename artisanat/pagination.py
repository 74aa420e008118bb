"""A paginator that never counts: pages of a list that grows without end (the
measurements) read one row more than the page to know whether a next page exists,
instead of a COUNT(*) over the whole history on every page."""

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.utils.translation import gettext_lazy as _


class OpenEndedPage(Page):
    def __init__(self, object_list, number, paginator, *, more):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self):
        return self.more

    def end_index(self):
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0


class OpenEndedPaginator(Paginator):
    """``count`` and ``num_pages`` are unknown (None); ``page(n)`` is one query."""

    count = None
    num_pages = None

    def validate_number(self, number):
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(_("Ce numéro de page n'est pas un nombre entier.")) from None
        if number < 1:
            raise EmptyPage(_("Ce numéro de page est inférieur à 1.")) from None
        if (number - 1) * self.per_page > 2**62:
            # ?page=999…9 would overflow the database's OFFSET (a 500): no such page.
            raise EmptyPage(_("Cette page ne contient aucun résultat."))
        return number

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(_("Cette page ne contient aucun résultat."))
        return OpenEndedPage(rows[: self.per_page], number, self, more=len(rows) > self.per_page)
