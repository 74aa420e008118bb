"""One indicator's measurements newest first (the indicator page's keyset pages and the
API's ?indicator= list, both ordered by -id): without it PostgreSQL walks the primary key
backwards and filters, reading the whole history after the indicator's rows."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("strategy", "0003_stored_figures")]

    operations = [
        migrations.AddIndex(
            model_name="measurement",
            index=models.Index(fields=["indicator", "id"], name="measurement_indicator_id"),
        ),
    ]
