"""Live events over Socket.IO (namespace ``/ws``) with python-socketio, which only this module imports.

The socket reconnects by itself after a drop; on every (re)connect the subscription asks for its channels
again with ``{channelId, after: <last seq seen>}``, so the server replays the ``message:created`` events
missed while it was away (docs/api.md, "Socket.IO").
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

from .errors import NodConnectionError, NodError, NotFound, Unauthorized
from .types import Message

log = logging.getLogger("nod_client")

EventHandler = Callable[[Any], None]

NAMESPACE = "/ws"
CHANNELS_PER_SUBSCRIBE = 1000
#: Events whose payload is a whole message, handed to handlers as a Message.
MESSAGE_EVENTS = frozenset({"message:created", "review:responded", "message:updated"})
EVENTS = (
    "message:created",
    "message:deleted",
    "review:responded",
    "review:expired",
    "message:delivery",
    "agent:status",
    "agent:commands",
    "message:updated",
    "message:delta",
    "message:progress",
)


class Subscription:
    """A live Socket.IO connection following some channels. Made by :meth:`NodClient.subscribe`.

    ``last_seq`` is the newest ``seq`` seen per channel; ``connects`` counts (re)connections.
    """

    def __init__(
        self,
        url: str,
        api_key: str,
        channels: Sequence[str],
        handlers: Mapping[str, EventHandler],
        *,
        on_error: Optional[Callable[[Exception], None]] = None,
        transports: Optional[Sequence[str]] = None,
        reconnection_delay: float = 1.0,
        reconnection_delay_max: float = 5.0,
    ) -> None:
        try:
            import socketio  # type: ignore[import]
        except ImportError as err:  # pragma: no cover - depends on the machine
            raise ImportError(
                "NodClient.subscribe needs python-socketio: pip install 'nod-client[socketio]' (Debian: apt install python3-socketio)"
            ) from err
        unknown = set(handlers) - set(EVENTS)
        if unknown:
            raise ValueError(f"unknown events: {', '.join(sorted(unknown))} (known: {', '.join(EVENTS)})")
        self.url = url
        self.channels: List[str] = list(channels)
        self.last_seq: Dict[str, int] = {}
        self.connects = 0
        self.error: Optional[Exception] = None
        self.ready = threading.Event()
        self._api_key = api_key
        self._transports = list(transports) if transports else None
        self._on_error = on_error
        self._handlers: Dict[str, List[EventHandler]] = {}
        self._lock = threading.Lock()
        self.sio: Any = socketio.Client(
            reconnection=True,
            reconnection_delay=reconnection_delay,
            reconnection_delay_max=reconnection_delay_max,
            handle_sigint=False,
        )
        self.sio.on("connect", self._on_connect, namespace=NAMESPACE)
        self.sio.on("connect_error", self._on_connect_error, namespace=NAMESPACE)
        self.sio.on("disconnect", self._on_disconnect, namespace=NAMESPACE)
        for name in EVENTS:
            self.sio.on(name, self._dispatcher(name), namespace=NAMESPACE)
        for name, handler in handlers.items():
            self.on(name, handler)

    # ---- public ---------------------------------------------------------------------------------------

    def on(self, event: str, handler: EventHandler) -> None:
        """Adds a handler for an event (``message:created``, ``review:responded``, …)."""
        if event not in EVENTS:
            raise ValueError(f"unknown event {event!r} (known: {', '.join(EVENTS)})")
        with self._lock:
            self._handlers.setdefault(event, []).append(handler)

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Blocks until every channel is subscribed the first time; raises the error if one was refused."""
        if not self.ready.wait(timeout):
            raise NodConnectionError(0, f"the subscription was not confirmed within {timeout:g} s")
        if self.error is not None:
            raise self.error

    def delta(self, channel_id: str, stream_id: str, delta: str, *, stream_end: bool = False) -> None:
        """Sends live tokens of a streamed reply to the channel's sockets (never stored: update the draft too)."""
        event: Dict[str, Union[str, bool]] = {"channelId": channel_id, "streamId": stream_id, "delta": delta}
        if stream_end:
            event["streamEnd"] = True
        self.sio.emit("message:delta", event, namespace=NAMESPACE)

    def progress(self, channel_id: str, content: str, *, tool_hint: Optional[str] = None, stream_id: Optional[str] = None) -> None:
        """Tells the channel's sockets what the agent is doing ("Searching the docs"); never stored."""
        event = {"channelId": channel_id, "content": content, "toolHint": tool_hint, "streamId": stream_id}
        self.sio.emit("message:progress", {k: v for k, v in event.items() if v is not None}, namespace=NAMESPACE)

    @property
    def connected(self) -> bool:
        return bool(self.sio.connected)

    def close(self) -> None:
        """Disconnects for good (no reconnect)."""
        self.sio.disconnect()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- internals ---------------------------------------------------------------------------------------

    def connect(self) -> None:
        """Opens the connection; the namespace's CONNECT and the subscribe are confirmed through ``ready``."""
        import socketio

        try:
            # wait=False: python-socketio would wait out its whole wait_timeout after a refused CONNECT;
            # wait_ready() returns at the refusal (connect_error) or at the subscribe's ack instead.
            self.sio.connect(self.url, namespaces=[NAMESPACE], auth={"apiKey": self._api_key}, transports=self._transports, wait=False)
        except socketio.exceptions.ConnectionError as err:
            raise NodConnectionError(0, f"Socket.IO connection to {self.url} failed: {err}") from err

    def _fail(self, error: Exception) -> None:
        if not self.ready.is_set():
            self.error = error
            self.ready.set()
        if self._on_error:
            self._on_error(error)
        else:
            log.warning("subscription: %s", error)

    def _on_connect(self) -> None:
        self.connects += 1
        with self._lock:
            args: List[Union[str, Dict[str, Any]]] = [
                {"channelId": c, "after": self.last_seq[c]} if c in self.last_seq else c for c in self.channels
            ]
        chunks = [args[i : i + CHANNELS_PER_SUBSCRIBE] for i in range(0, len(args), CHANNELS_PER_SUBSCRIBE)]
        left = [len(chunks)]

        def acked(chunk: List[Union[str, Dict[str, Any]]]) -> Callable[..., None]:
            def on_ack(ack: Any = None, *_: Any) -> None:
                ok = isinstance(ack, dict) and ack.get("ok")
                refused = (ack.get("refused") or []) if ok else [c if isinstance(c, str) else c["channelId"] for c in chunk]
                if refused:
                    self._fail(NotFound(404, f"channel {', '.join(refused)} was refused: it does not exist or the key may not use it"))
                    return
                left[0] -= 1
                if left[0] == 0:
                    self.ready.set()

            return on_ack

        for chunk in chunks:
            self.sio.emit("subscribe:channels", chunk, namespace=NAMESPACE, callback=acked(chunk))

    def _on_connect_error(self, data: Any = None) -> None:
        """The server refused the namespace's CONNECT (a wrong or revoked key), first time or on a reconnect."""
        reason = data.get("message") if isinstance(data, dict) else data
        if reason == "unauthorized":
            self._fail(Unauthorized(401, "unauthorized: the API key was refused"))
        else:
            self._fail(NodError(0, f"Socket.IO connection refused: {reason}"))

    def _on_disconnect(self) -> None:
        log.info("subscription: disconnected; reconnecting")

    def _dispatcher(self, name: str) -> Callable[..., None]:
        def dispatch(data: Any = None, *_: Any) -> None:
            payload: Any = data
            if name in MESSAGE_EVENTS and isinstance(data, dict) and "id" in data:
                payload = Message.from_json(data)
                if name == "message:created":
                    with self._lock:
                        self.last_seq[payload.channel_id] = max(payload.seq, self.last_seq.get(payload.channel_id, 0))
            with self._lock:
                handlers = list(self._handlers.get(name, ()))
            for handler in handlers:
                try:
                    handler(payload)
                except Exception as err:  # a handler's bug must not stop the socket's thread
                    log.exception("subscription: the %s handler raised", name)
                    if self._on_error:
                        self._on_error(err)

        return dispatch
