from django.db import migrations

from artisanat.db_rules import rule_trigger


class Migration(migrations.Migration):
    dependencies = [("contracts", "0001_initial")]

    # ROUND(…, 2) on both sides: SQLite keeps decimals as binary floats, and a sum like
    # 0.1 + 0.2 must still equal a commitment of 0.3.
    operations = [
        rule_trigger(
            "disbursement_within_commitment",
            "contracts_disbursement",
            "(SELECT ROUND(SUM(d.amount), 2) FROM contracts_disbursement d WHERE d.commitment_id = NEW.commitment_id)"
            " > (SELECT ROUND(c.amount, 2) FROM contracts_commitment c WHERE c.id = NEW.commitment_id)",
        ),
        rule_trigger(
            "commitment_covers_disbursements",
            "contracts_commitment",
            "ROUND(NEW.amount, 2) < (SELECT ROUND(COALESCE(SUM(d.amount), 0), 2) FROM contracts_disbursement d "
            "WHERE d.commitment_id = NEW.id)",
        ),
    ]
