"""Small HTTP helpers every app uses."""

from asgiref.sync import sync_to_async
from django.http import FileResponse as DjangoFileResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def redirect_back(request, default):
    """Redirect to the form's `next` when it is a page of this site, else to `default`.
    `next` comes from the browser: followed blindly it would send people to any site
    (an open redirect, handy for phishing with our host name in the link)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = default
    return redirect(target)


def parse_id(value):
    """An object id sent by a client (form field, query string, JSON), as an int; None
    when it is not one. `Model.objects.filter(pk="abc")` raises ValueError (a 500) and a
    number past 2**63 overflows the database's bigint: neither can name a row."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def posted_text(request, name):
    """A free-text field of a form handled without a Django form (a reason, a note),
    stripped, without NUL characters: nobody types them, and PostgreSQL refuses them in
    text (the request would end in a 500 instead of the page)."""
    return request.POST.get(name, "").replace("\x00", "").strip()


class NulRefusingJSONParser(JSONParser):
    """JSON bodies of the API, refused with a 400 naming where when a key or a text
    holds the NUL character ("\\u0000"): PostgreSQL takes it neither in text nor in
    jsonb, so it would end in a 500 at the first write (a contact's custom fields, a
    segment's filters)."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        where = _nul_in(data)
        if where is not None:
            raise ParseError(_("Caractère nul (\\u0000) refusé dans « %(where)s ».") % {"where": where or "/"})
        return data


def _nul_in(value, path=""):
    """The path of the first key or text holding NUL ("custom_fields.note"), or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        here = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and "\x00" in key:
            return here
        found = _nul_in(item, here)
        if found is not None:
            return found
    return None


class FileResponse(DjangoFileResponse):
    """Django's FileResponse, sent chunk by chunk under ASGI too. Django serves a file
    (a synchronous iterator) to uvicorn by reading it whole into a list first: 128 MB
    for the CSV export of a million contacts. (That export's own generation already
    takes the process to the same peak, 175 MB here; a file not just generated, such
    as a rejected-rows report, costs its whole size.)"""

    async def __aiter__(self):
        if self.file_to_stream is None:  # not a file: as Django does
            async for part in super().__aiter__():
                yield part
            return
        read = sync_to_async(self.file_to_stream.read, thread_sensitive=False)
        while chunk := await read(self.block_size):
            yield self.make_bytes(chunk)
