from django.dispatch import Signal

# Sent inside the transaction erasing people (crm.gdpr.erase_contacts), with
# `contact_ids`, a list: the apps holding something about them (field reports,
# messages, site accounts) forget it there, in a few statements whatever the number,
# so that the erasure and their part commit or fail together.
contact_erased = Signal()
