"""Timeline lines of field reports written before they were told in the action's words:
"door : talked" becomes "Porte-à-porte de novembre : Ouvert / discuté — « note »", as
crm.field.reports.report_summary writes them now (the volunteer's note comes from the
report; the whole note goes into the line's data)."""

import re

from django.db import migrations

OLD_LINE = r"^[a-z_]+ : [a-z0-9_-]+$"
BATCH = 2000


def summary(action_name, label, notes):
    # reports.report_summary on the historical models (which have none of its methods).
    text = f"{action_name} : {label}"
    if notes:
        room = 300 - len(f"{text} — «  »")
        if len(notes) > room:
            notes = notes[: room - 1].rstrip() + "…"
        text = f"{text} — « {notes} »"
    return text[:300]


def rewrite_old_lines(apps, schema_editor=None):
    from crm.field.actions import result_labels

    Interaction = apps.get_model("crm", "Interaction")
    Action = apps.get_model("field", "Action")
    FieldReport = apps.get_model("field", "FieldReport")
    old = Interaction.objects.filter(kind="field_report", summary__regex=OLD_LINE).order_by("pk")
    actions = {}
    pending = []
    for line in old.iterator(chunk_size=BATCH):
        data = line.data if isinstance(line.data, dict) else {}
        action_id = data.get("action")
        if action_id not in actions:
            actions[action_id] = Action.objects.filter(pk=action_id).first() if isinstance(action_id, int) else None
        action = actions[action_id]
        if action is None:
            continue
        code = re.split(" : ", line.summary, maxsplit=1)[1]
        notes = data.get("notes")
        if notes is None:
            report_id = data.get("report")
            found = FieldReport.objects.filter(pk=report_id).values_list("notes", flat=True)
            notes = (found.first() if isinstance(report_id, int) else None) or ""
        label = result_labels(action.kind, action.result_codes).get(code, code)
        line.summary = summary(action.name, label, notes)
        line.data = {**data, "notes": notes}
        pending.append(line)
        if len(pending) >= BATCH:
            Interaction.objects.bulk_update(pending, ["summary", "data"])
            pending = []
    if pending:
        Interaction.objects.bulk_update(pending, ["summary", "data"])


class Migration(migrations.Migration):
    dependencies = [
        ("field", "0007_report_new_person"),
        ("crm", "0011_duplicate_scans"),
    ]

    operations = [migrations.RunPython(rewrite_old_lines, migrations.RunPython.noop)]
