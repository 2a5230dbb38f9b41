from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo campaign seed. It sits above every other app and may import them all."""

    name = "demo"
