"""Sign-in security: lock-out after repeated failures (django-axes), session lifetime,
sessions and tokens ended on a password change or deactivation, and two-factor
authentication (django-otp: TOTP and recovery codes), required for administrators and
validators, optional for everyone else. README.md, "Sign-in security"."""
