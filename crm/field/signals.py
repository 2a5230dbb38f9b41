from django.dispatch import Signal

# Sent inside the transaction that stored new field reports, with `ids` (the new
# reports' primary keys). The live map keeps its counts with it.
reports_recorded = Signal()


def forget_erased_contact(sender, contact_ids, **kwargs):
    """An erased person's visits still count (result, building, day: the totals and the
    map keep them) but say nothing more about them: the notes typed about them, their
    answers, which dwelling of the building, what a rollback would write back onto them,
    their place in call lists still to make, and what a report waiting for review holds
    of them as a new person met at a door (same e-mail or phone)."""
    from .models import BatchChange, CallListEntry, FieldReport
    from .people import forget_erased_waiting

    FieldReport.objects.filter(contact_id__in=contact_ids).update(notes="", answers={}, household=None,
                                                                  new_person={})  # fmt: skip
    BatchChange.objects.filter(contact_id__in=contact_ids).delete()
    CallListEntry.objects.filter(contact_id__in=contact_ids, done=False).delete()
    forget_erased_waiting()
