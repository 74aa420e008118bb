from artisanat.permissions import membership_of, role_of


def membership(request):
    """The signed-in user's organisation and role, for the layout's header."""
    user = getattr(request, "user", None)
    return {"current_membership": membership_of(user), "current_role": role_of(user)}
