from django.urls import path

from artisanat.accounts import views

app_name = "accounts"

urlpatterns = [
    path("securite/", views.SecurityView.as_view(), name="security"),
    path("mot-de-passe/", views.PasswordChangeView.as_view(), name="password_change"),
    path("double-authentification/configurer/", views.OtpSetupView.as_view(), name="otp_setup"),
    path("double-authentification/verifier/", views.OtpVerifyView.as_view(), name="otp_verify"),
    path("double-authentification/codes-de-secours/", views.RecoveryCodesView.as_view(), name="recovery_codes"),
    path("double-authentification/desactiver/", views.OtpDisableView.as_view(), name="otp_disable"),
]

urlpatterns += [
    path("personnes/", views.PeopleListView.as_view(), name="people"),
    path("personnes/inviter/", views.InviteView.as_view(), name="people_invite"),
    path("personnes/<int:pk>/", views.PersonView.as_view(), name="person"),
    path("personnes/<int:pk>/appartenance/", views.PersonMembershipView.as_view(), name="person_membership"),
    path(
        "personnes/<int:pk>/double-authentification/",
        views.PersonResetTwoFactorView.as_view(),
        name="person_reset_two_factor",
    ),
    path("personnes/<int:pk>/desactiver/", views.PersonDeactivateView.as_view(), name="person_deactivate"),
    path("personnes/<int:pk>/reactiver/", views.PersonReactivateView.as_view(), name="person_reactivate"),
    path("personnes/<int:pk>/invitation/", views.PersonResendInvitationView.as_view(), name="person_resend_invitation"),
    path("invitation/<uidb64>/<token>/", views.InvitationView.as_view(), name="invitation"),
]
