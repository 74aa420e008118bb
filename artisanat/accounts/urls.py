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
