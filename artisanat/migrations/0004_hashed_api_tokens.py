"""API tokens move from rest_framework.authtoken (the key stored as is) to
django-rest-knox (only a digest stored, an expiry). The tokens in use keep working: each
old key is stored as a knox digest, valid ``ARTISANAT_API_TOKEN_TTL_DAYS`` days from the
upgrade, and the old table is emptied (the authtoken app is no longer installed, its
table is only read here if it is there)."""

from django.db import migrations
from django.utils import timezone

LEGACY_TABLE = "authtoken_token"


def import_legacy_tokens(apps, schema_editor):
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS, knox_settings

    connection = schema_editor.connection
    if LEGACY_TABLE not in connection.introspection.table_names():
        return
    table = schema_editor.quote_name(LEGACY_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {schema_editor.quote_name('key')}, user_id FROM {table}")
        rows = cursor.fetchall()
    AuthToken = apps.get_model("knox", "AuthToken")
    now = timezone.now()
    AuthToken.objects.bulk_create(
        [
            AuthToken(
                digest=hash_token(key),
                token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH],
                user_id=user_id,
                created=now,
                expiry=now + knox_settings.TOKEN_TTL,
            )
            for key, user_id in rows
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")


class Migration(migrations.Migration):
    dependencies = [
        ("artisanat", "0003_data_version"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [
        migrations.RunPython(import_legacy_tokens, migrations.RunPython.noop, elidable=True),
    ]
