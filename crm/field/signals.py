from django.dispatch import Signal

# Sent inside the transaction that stored new field reports, with `ids` (the new
# reports' primary keys). The live map keeps its counts with it.
reports_recorded = Signal()
