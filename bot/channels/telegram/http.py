"""PTB's networking backend on aiohttp, posting JSON: a cheaper request than PTB's default (httpx, form-encoded).

Why: sending the answer is most of the CPU a Telegram update costs. httpx spends several times aiohttp's time
per request, and form-encoding percent-escapes every byte of a 2–3 KB Chinese answer. The Bot API takes JSON
bodies; uploads still go as multipart. Errors map onto PTB's TimedOut and NetworkError as its own backend does.
"""

from __future__ import annotations

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

JSON_HEADERS = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """A `telegram.request.BaseRequest` with a bounded aiohttp connection pool."""

    def __init__(self, connections: int, *, read_timeout: float = 5.0, connect_timeout: float = 5.0) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds (PTB lengthens it by the long-polling timeout)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the connection pool."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        """Close the connection pool."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout=BaseRequest.DEFAULT_NONE,
        write_timeout=BaseRequest.DEFAULT_NONE,
        connect_timeout=BaseRequest.DEFAULT_NONE,
        pool_timeout=BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One HTTP request to the Bot API: (status, body)."""
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        uploads = request_data is not None and request_data.contains_files
        # aiohttp has no write timeout; `connect` covers waiting for a pooled connection and opening one
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=self._given(connect_timeout, self._connect_timeout),
            sock_read=self._given(read_timeout, self._read_timeout),
        )
        if request_data is None:
            body: aiohttp.FormData | bytes | None
            body, headers = None, None
        elif uploads:
            body, headers = self._form(request_data), None
        else:
            body, headers = request_data.json_payload, JSON_HEADERS
        try:
            async with self._session.request(method, url, data=body, headers=headers, timeout=timeout) as response:
                return response.status, await response.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error

    @staticmethod
    def _given(value, default: float) -> float | None:
        return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value

    @staticmethod
    def _form(request_data: RequestData) -> aiohttp.FormData:
        form = aiohttp.FormData()
        for name, value in request_data.json_parameters.items():
            form.add_field(name, value)
        for name, upload in request_data.multipart_data.items():
            filename, content, *rest = upload
            form.add_field(name, content, filename=filename, content_type=rest[0] if rest else None)
        return form
