"""Distributed canvassing: check a door out before knocking. One volunteer holds a
door at a time, until their lease ends (or they release it)."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import DoorLease

LEASE_MINUTES = 30


class DoorTaken(Exception):
    def __init__(self, until):
        self.until = until
        super().__init__(
            _("Cette porte est réservée par un autre militant jusqu'à %(time)s.")
            % {"time": timezone.localtime(until).strftime("%H:%M")}
        )


def checkout(*, address_id, household_id, volunteer, minutes=LEASE_MINUTES, now=None):
    """The volunteer's lease on the door (renewed if already theirs), or DoorTaken."""
    now = now or timezone.now()
    until = now + dt.timedelta(minutes=minutes)
    for _attempt in range(2):
        try:
            with transaction.atomic():
                lease = (
                    DoorLease.objects.select_for_update()
                    .filter(address_id=address_id, household_id=household_id)
                    .first()
                )
                if lease is None:
                    return DoorLease.objects.create(address_id=address_id, household_id=household_id,
                                                    volunteer=volunteer, until=until)  # fmt: skip
                if lease.volunteer_id != volunteer.pk and lease.until > now:
                    raise DoorTaken(lease.until)
                lease.volunteer, lease.until = volunteer, until
                lease.save(update_fields=["volunteer", "until"])
                return lease
        except IntegrityError:
            continue  # someone created it at the same moment: read theirs
    raise DoorTaken(DoorLease.objects.get(address_id=address_id, household_id=household_id).until)


def release(*, address_id, household_id, volunteer):
    return DoorLease.objects.filter(address_id=address_id, household_id=household_id, volunteer=volunteer).delete()[0]
