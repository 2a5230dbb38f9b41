from django.dispatch import Signal

# Sent inside the transaction erasing a person (crm.gdpr.erase_contact), with
# `contact_id`: the apps holding something about them (field reports, messages) forget
# it there, so that the erasure and their part commit or fail together.
contact_erased = Signal()
