"""Named permission rules, tested one by one in tests/campaigns/test_rules.py."""

import rules

from .models import STAFF_ROLES, Role


def _has_role(*roles):
    names = {r.value for r in roles}

    @rules.predicate(name=f"has_role({','.join(sorted(names))})")
    def predicate(user):
        return bool(user and user.is_authenticated and user.is_active and user.role in names)

    return predicate


is_campaign_admin = _has_role(Role.ADMIN)
is_organizer = _has_role(Role.ORGANIZER)
is_team_leader = _has_role(Role.TEAM_LEADER)
is_volunteer = _has_role(Role.VOLUNTEER)
is_citizen = _has_role(Role.CITIZEN)
is_campaign_team = _has_role(*STAFF_ROLES)

can_manage_campaign = is_campaign_admin
can_manage_team = is_campaign_admin | is_organizer
# Team leaders and volunteers see the people of their own turfs only (field
# operations); the whole base is for the people who run the campaign.
can_read_contacts = is_campaign_admin | is_organizer
can_write_contacts = is_campaign_admin | is_organizer
can_see_sensitive = is_campaign_admin | is_organizer
can_export_contacts = is_campaign_admin | is_organizer
can_erase_contacts = is_campaign_admin
can_follow_live_map = is_campaign_team
# Field work: everyone on the team logs what they did (within their assignments,
# crm/field/reports.py); team leaders follow their teams' figures.
can_report_field_work = is_campaign_team
can_plan_field_work = is_campaign_admin | is_organizer
can_track_field_work = is_campaign_admin | is_organizer | is_team_leader

rules.add_perm("campaign.manage", can_manage_campaign)
rules.add_perm("campaign.manage_team", can_manage_team)
rules.add_perm("crm.read_contacts", can_read_contacts)
rules.add_perm("crm.write_contacts", can_write_contacts)
rules.add_perm("crm.see_sensitive", can_see_sensitive)
rules.add_perm("crm.export_contacts", can_export_contacts)
rules.add_perm("crm.erase_contacts", can_erase_contacts)
rules.add_perm("live.follow", can_follow_live_map)
rules.add_perm("messaging.send", is_campaign_admin | is_organizer)
rules.add_perm("field.report", can_report_field_work)
rules.add_perm("field.plan", can_plan_field_work)
rules.add_perm("field.track", can_track_field_work)
# The public site: write news, pages and events, open projects; moderate contributions.
rules.add_perm("site.edit", is_campaign_admin | is_organizer)
rules.add_perm("site.moderate", is_campaign_admin | is_organizer)
