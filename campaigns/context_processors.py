def campaign(request):
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.is_platform:
        return {"campaign": None}
    return {"campaign": tenant}
