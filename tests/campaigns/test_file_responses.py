"""Files sent to the browser (exports, rejected-rows reports, uploaded images)."""

import asyncio
import os
import warnings

from campaigns.http import FileResponse


def test_a_file_goes_to_the_asgi_server_chunk_by_chunk_not_read_whole_first(tmp_path):
    """Django's FileResponse gives uvicorn a file by reading it whole into a list first
    (128 MB for the CSV export of a million contacts); it warns when it does so."""
    data = os.urandom(5 * FileResponse.block_size + 17)
    path = tmp_path / "segment-1.csv"
    path.write_bytes(data)
    read_sizes = []
    with open(path, "rb") as file:
        response = FileResponse(file, as_attachment=True, filename="segment-1.csv")
        read = file.read
        response.file_to_stream.read = lambda size=-1: read_sizes.append(size) or read(size)

        async def download():
            return [part async for part in response]

        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "StreamingHttpResponse must consume synchronous iterators..."
            parts = asyncio.run(download())
    assert b"".join(parts) == data and len(parts) == 6
    assert max(read_sizes) == FileResponse.block_size  # never the whole file at once
    assert response["Content-Length"] == str(len(data))
    assert response["Content-Disposition"] == 'attachment; filename="segment-1.csv"'
