from django.db import migrations

from artisanat.db_rules import rule_trigger



class Migration(migrations.Migration):
    dependencies = [("strategy", "0001_initial")]

    operations = [
        rule_trigger(
            "target_due_inside_strategy",
            "strategy_target",
            "NOT EXISTS (SELECT 1 FROM strategy_indicator i JOIN strategy_axis a ON a.id = i.axis_id "
            "JOIN strategy_strategy s ON s.id = a.strategy_id WHERE i.id = NEW.indicator_id "
            "AND NEW.due_date >= s.start_date AND NEW.due_date <= s.end_date)",
        ),
        rule_trigger(
            "measurement_period_inside_strategy",
            "strategy_measurement",
            "NOT EXISTS (SELECT 1 FROM strategy_indicator i JOIN strategy_axis a ON a.id = i.axis_id "
            "JOIN strategy_strategy s ON s.id = a.strategy_id WHERE i.id = NEW.indicator_id "
            "AND NEW.period_start >= s.start_date AND NEW.period_end <= s.end_date)",
        ),
        rule_trigger(
            "measurement_fills_indicator_dimensions",
            "strategy_measurement",
            "EXISTS (SELECT 1 FROM strategy_indicator i WHERE i.id = NEW.indicator_id AND ("
            "(i.by_region AND NEW.region_id IS NULL) OR (NOT i.by_region AND NEW.region_id IS NOT NULL) "
            "OR (i.by_filiere AND NEW.filiere_id IS NULL) OR (NOT i.by_filiere AND NEW.filiere_id IS NOT NULL) "
            "OR (i.by_sex AND NEW.sex = '') OR (NOT i.by_sex AND NEW.sex <> '') "
            "OR (i.by_actor_type AND NEW.actor_type = '') OR (NOT i.by_actor_type AND NEW.actor_type <> '')))",
        ),
        rule_trigger(
            "measurement_value_matches_aggregation",
            "strategy_measurement",
            "EXISTS (SELECT 1 FROM strategy_indicator i WHERE i.id = NEW.indicator_id AND ("
            "(i.aggregation = 'ratio' AND NEW.value IS NOT NULL) "
            "OR (i.aggregation <> 'ratio' AND NEW.value IS NULL)))",
        ),
    ]
