from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    """Extensions live in `public` so every campaign schema finds them on its search
    path. This app is shared, so these run once, in `public`, before any campaign."""

    dependencies = [("campaigns", "0001_initial")]

    operations = [TrigramExtension(), UnaccentExtension()]
