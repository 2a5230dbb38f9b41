from django.contrib import admin

from config.admin_sites import OneRowAdmin, campaign_admin

from .models import Message, MessagingSettings, Send, SmsOutbox


@admin.register(MessagingSettings, site=campaign_admin)
class MessagingSettingsAdmin(OneRowAdmin):
    list_display = ["sender_email", "sender_name", "sms_sender"]


@admin.register(Message, site=campaign_admin)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["name", "channel", "status", "segment", "scheduled_at", "created"]
    list_filter = ["channel", "status"]
    readonly_fields = ["status", "started_at", "finished_at"]


@admin.register(Send, site=campaign_admin)
class SendAdmin(admin.ModelAdmin):
    list_display = ["message", "to", "status", "sent_at", "attempts"]
    list_filter = ["status"]
    raw_id_fields = ["contact"]
    readonly_fields = ["message", "contact", "to", "status", "claimed_at", "attempts", "provider_id", "sent_at"]


@admin.register(SmsOutbox, site=campaign_admin)
class SmsOutboxAdmin(admin.ModelAdmin):
    list_display = ["created", "to", "body"]
