"""A fake Telegram Bot API served over real loopback HTTP, for end-to-end bot tests.

The real python-telegram-bot stack (``Bot``, ``Application``, ``Updater``, httpx) talks to it
unchanged: point ``base_url`` at :attr:`FakeBotAPI.base_url`. It is a plain stdlib
``ThreadingHTTPServer`` in a daemon thread, so it also serves a bot running in another process
(pass ``base_url`` and :data:`BOT_TOKEN` through the environment).

Test code plays the people (:meth:`FakeBotAPI.private_message`, :meth:`~FakeBotAPI.press_button`,
:meth:`~FakeBotAPI.block_bot`, ...), each of which queues an ``Update`` for ``getUpdates``, and
then inspects what the bot did (:meth:`~FakeBotAPI.sent`, :attr:`~FakeBotAPI.calls`, ...).

How python-telegram-bot 22.8 talks to the Bot API (what the decoder below relies on):

* every call is ``POST {base_url}{token}/{method}``; parameters travel as
  ``application/x-www-form-urlencoded``, or as ``multipart/form-data`` when a file is uploaded
  (the file is a part named after the parameter, e.g. ``photo``, or ``attach://<name>``);
* string values are sent raw and every other value JSON-encoded, so ``text="123"`` and
  ``chat_id=123`` look identical on the wire. The fake keeps the parameters that are strings in
  the Bot API (:data:`STRING_PARAMS`) raw and JSON-decodes the rest where it can;
* errors are judged by the HTTP status (400 ``BadRequest``, 403 ``Forbidden``, 401/404
  ``InvalidToken`` (404 is ``EndPointNotFound`` from ``do_api_request``), 409 ``Conflict``,
  others ``NetworkError``), except that ``parameters.retry_after`` /
  ``parameters.migrate_to_chat_id`` in the body become ``RetryAfter`` / ``ChatMigrated``
  whatever the status;
* the exception message is the description minus a ``"Bad Request: "`` prefix and then
  ``str.capitalize()``-d: "Bad Request: can't parse entities: Unsupported start tag" arrives as
  "Can't parse entities: unsupported start tag". Match error texts case-insensitively.

Where the fake is deliberately stricter than Telegram: in ``parse_mode=HTML`` a ``&`` that does
not start ``&lt;``, ``&gt;``, ``&amp;``, ``&quot;`` or a numeric entity is rejected (Telegram
would keep it literally), so an unescaped user string fails loudly in tests. Where it is
simpler: ``deleteMessage`` in groups succeeds only after :meth:`FakeBotAPI.set_can_delete`, and
MarkdownV2 is not validated.

Connection faults (:meth:`FakeBotAPI.drop_connection_next`): the fake closes the socket without
answering, which python-telegram-bot reports as ``telegram.error.NetworkError``. With
``delivered=False`` (default) the request is dropped *before* it is processed: nothing was sent.
With ``delivered=True`` it is processed first and only the answer is lost: the message *was*
sent (it is in :meth:`FakeBotAPI.sent`), which is the case that makes a naive retry double-send.
Such calls are recorded in :attr:`FakeBotAPI.calls` with ``status == 0``.

Flood control (:meth:`FakeBotAPI.flood`): for a window of time, every message sent to or edited in
one chat is refused with 429 and ``parameters.retry_after`` set to the seconds left (rounded up),
as Telegram does for a chat the bot wrote to too often. The window is measured on a clock the test
chooses (the bot's ``ManualClock``), so a 30-second flood ends when the test moves that clock, not
after 30 real seconds. Refused calls are recorded in :attr:`FakeBotAPI.calls` with
``status == 429``.

A person can delete a message the bot sent (:meth:`FakeBotAPI.delete_by_user`); the bot is not
told, and editing it afterwards fails with "message to edit not found", as on Telegram.

Forum topics: a supergroup made with ``FakeChat(..., is_forum=True)`` (or turned into one by
:meth:`FakeBotAPI.make_forum`) has topics the test creates, closes, reopens and deletes
(:meth:`~FakeBotAPI.create_topic`, ...). A message in a topic carries ``message_thread_id``,
``is_topic_message`` and, as Telegram does, the topic's creation message as ``reply_to_message``.
A send with ``message_thread_id`` lands in that topic; a topic that does not exist (deleted, or
the chat is no forum) answers 400 "Bad Request: message thread not found", a closed one 400
"Bad Request: TOPIC_CLOSED". Methods the Bot API gives no ``message_thread_id`` (edits, pins)
refuse it: Telegram would ignore it, the fake fails loudly instead.

Pinning (``pinChatMessage``/``unpinChatMessage``): in a private chat always allowed; in a group
only after :meth:`FakeBotAPI.set_can_pin`, else 400 "Bad Request: not enough rights to manage
pinned messages in the chat", as Telegram answers a bot without the "Pin messages" right.

Webhooks: ``setWebhook``, ``deleteWebhook`` and ``getWebhookInfo`` take exactly the parameters
Telegram documents (any other is refused with 400: stricter than Telegram, which ignores them),
``setWebhook`` only an https URL on port 443, 80, 88 or 8443 and a ``secret_token`` of 1-256
of ``A-Z a-z 0-9 _ -``. While a webhook is set, ``getUpdates`` answers 409 Conflict, as on
Telegram, and :meth:`FakeBotAPI.deliver_webhook` POSTs the waiting updates the way Telegram
does (JSON, with the ``X-Telegram-Bot-Api-Secret-Token`` header) to the address a reverse proxy
would forward the webhook URL to.

Every connection carries one request (HTTP/1.0), so after :meth:`FakeBotAPI.stop` the API is
really gone: new requests get "connection refused".
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import html
import json
import logging
import math
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

import httpx

__all__ = [
    "BOT_TOKEN",
    "STRING_PARAMS",
    "ApiCall",
    "FakeBotAPI",
    "FakeChat",
    "FakeUser",
    "SentMessage",
    "UploadedFile",
]

_LOGGER = logging.getLogger(__name__)

BOT_TOKEN = "123456789:AAF-fake-token-for-tests-only-xxxxx"
"""A realistic-looking token (``<bot id>:<35 characters>``); the id matches the default bot."""

#: Seconds between two checks of `await_for` while the bot makes no call.
RECHECK = 0.05

JSONDict = dict[str, Any]

STRING_PARAMS = frozenset(
    {
        "action",
        "animation",
        "audio",
        "business_connection_id",
        "button_text",
        "callback_query_id",
        "caption",
        "custom_title",
        "data",
        "description",
        "document",
        "emoji",
        "file_id",
        "inline_message_id",
        "ip_address",
        "language_code",
        "message_effect_id",
        "name",
        "next_offset",
        "parse_mode",
        "photo",
        "query",
        "secret_token",
        "short_description",
        "sticker",
        "text",
        "title",
        "url",
        "video",
        "voice",
    }
)
"""Bot API parameters that are strings: kept raw, never JSON-decoded (``text="42"`` stays str)."""

# Every Bot API method python-telegram-bot 22.8 knows; anything else answers 404 like Telegram.
_BOT_API_METHOD_NAMES = """
addStickerToSet answerCallbackQuery answerGuestQuery answerInlineQuery answerPreCheckoutQuery
answerShippingQuery answerWebAppQuery approveChatJoinRequest approveSuggestedPost banChatMember
banChatSenderChat close closeForumTopic closeGeneralForumTopic convertGiftToStars copyMessage
copyMessages createChatInviteLink createChatSubscriptionInviteLink createForumTopic
createInvoiceLink createNewStickerSet declineChatJoinRequest declineSuggestedPost
deleteAllMessageReactions deleteBusinessMessages deleteChatPhoto deleteChatStickerSet
deleteForumTopic deleteMessage deleteMessageReaction deleteMessages deleteMyCommands
deleteStickerFromSet deleteStickerSet deleteStory deleteWebhook editChatInviteLink
editChatSubscriptionInviteLink editForumTopic editGeneralForumTopic editMessageCaption
editMessageChecklist editMessageLiveLocation editMessageMedia editMessageReplyMarkup
editMessageText editStory editUserStarSubscription exportChatInviteLink forwardMessage
forwardMessages getAvailableGifts getBusinessAccountGifts getBusinessAccountStarBalance
getBusinessConnection getChat getChatAdministrators getChatGifts getChatMember
getChatMemberCount getChatMenuButton getCustomEmojiStickers getFile getForumTopicIconStickers
getGameHighScores getManagedBotAccessSettings getManagedBotToken getMe getMyCommands
getMyDefaultAdministratorRights getMyDescription getMyName getMyShortDescription
getMyStarBalance getStarTransactions getStickerSet getUpdates getUserChatBoosts getUserGifts
getUserPersonalChatMessages getUserProfileAudios getUserProfilePhotos getWebhookInfo
giftPremiumSubscription hideGeneralForumTopic leaveChat logOut pinChatMessage postStory
promoteChatMember readBusinessMessage refundStarPayment removeBusinessAccountProfilePhoto
removeChatVerification removeMyProfilePhoto removeUserVerification reopenForumTopic
reopenGeneralForumTopic replaceManagedBotToken replaceStickerInSet repostStory
restrictChatMember revokeChatInviteLink savePreparedInlineMessage savePreparedKeyboardButton
sendAnimation sendAudio sendChatAction sendChecklist sendContact sendDice sendDocument sendGame
sendGift sendInvoice sendLivePhoto sendLocation sendMediaGroup sendMessage sendMessageDraft
sendPaidMedia sendPhoto sendPoll sendSticker sendVenue sendVideo sendVideoNote sendVoice
setBusinessAccountBio setBusinessAccountGiftSettings setBusinessAccountName
setBusinessAccountProfilePhoto setBusinessAccountUsername setChatAdministratorCustomTitle
setChatDescription setChatMemberTag setChatMenuButton setChatPermissions setChatPhoto
setChatStickerSet setChatTitle setCustomEmojiStickerSetThumbnail setGameScore
setManagedBotAccessSettings setMessageReaction setMyCommands setMyDefaultAdministratorRights
setMyDescription setMyName setMyProfilePhoto setMyShortDescription setPassportDataErrors
setStickerEmojiList setStickerKeywords setStickerMaskPosition setStickerPositionInSet
setStickerSetThumbnail setStickerSetTitle setUserEmojiStatus setWebhook
stopMessageLiveLocation stopPoll transferBusinessAccountStars transferGift unbanChatMember
unbanChatSenderChat unhideGeneralForumTopic unpinAllChatMessages unpinAllForumTopicMessages
unpinAllGeneralForumTopicMessages unpinChatMessage upgradeGift uploadStickerFile verifyChat
verifyUser
"""
# Bot API method names are case-insensitive.
_CANONICAL_METHODS = {name.lower(): name for name in _BOT_API_METHOD_NAMES.split()}

# Media senders: method -> the parameter holding the media.
_MEDIA_METHODS = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendAnimation": "animation",
    "sendVideo": "video",
    "sendAudio": "audio",
    "sendVoice": "voice",
}
# Methods that put a message in a chat.
_SENDING_METHODS = frozenset({"sendMessage", *_MEDIA_METHODS})
# Methods with no message_thread_id parameter in the Bot API that the bot might be tempted to
# pass one to: a message stays in its topic when edited, and a pin is per chat.
_NO_THREAD_METHODS = frozenset(
    {
        "editMessageText",
        "editMessageCaption",
        "editMessageMedia",
        "editMessageReplyMarkup",
        "pinChatMessage",
        "unpinChatMessage",
        "deleteMessage",
        "answerCallbackQuery",
    }
)
THREAD_NOT_FOUND = "Bad Request: message thread not found"
TOPIC_CLOSED = "Bad Request: TOPIC_CLOSED"
NO_PIN_RIGHTS = "Bad Request: not enough rights to manage pinned messages in the chat"
CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
# What Telegram's per-chat flood control refuses: sending, and editing a sent message.
_FLOODED_METHODS = _SENDING_METHODS | {
    "editMessageText",
    "editMessageCaption",
    "editMessageMedia",
    "editMessageReplyMarkup",
}

# Updates getUpdates delivers when allowed_updates was never set (or set to []).
_DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)

# What each webhook method takes, per Telegram's docs.
_WEBHOOK_PARAMS = {
    "setWebhook": frozenset(
        {
            "url",
            "certificate",
            "ip_address",
            "max_connections",
            "allowed_updates",
            "drop_pending_updates",
            "secret_token",
        }
    ),
    "deleteWebhook": frozenset({"drop_pending_updates"}),
    "getWebhookInfo": frozenset(),
}
_WEBHOOK_PORTS = frozenset({80, 88, 443, 8443})
_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
#: A deep link's start parameter (``?start=`` / ``?startgroup=``): up to 64 of these characters.
_START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: An inline keyboard button has exactly one of these.
_INLINE_BUTTON_KINDS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
_BOT_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
_CHAT_SCOPES = frozenset({"chat", "chat_administrators", "chat_member"})

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


# --------------------------------------------------------------------------------------------
# Public value types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user who talks to the bot; their private chat has ``id == user.id``."""

    id: int
    first_name: str
    language_code: str | None = "en"
    username: str | None = None


@dataclass(frozen=True)
class FakeChat:
    """A group chat (negative id, e.g. ``-100123`` for a supergroup)."""

    id: int
    title: str
    type: str = "group"  # or "supergroup"
    #: A supergroup with topics (see :meth:`FakeBotAPI.make_forum` for one that becomes so).
    is_forum: bool = False


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request, as decoded into :attr:`ApiCall.params`."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ApiCall:
    """One request the bot made; ``status`` is the HTTP status answered, 0 if dropped."""

    method: str
    params: JSONDict
    status: int


@dataclass(frozen=True)
class SentMessage:
    """A message the bot created (``send*``) or changed (``editMessage*``) successfully.

    ``text`` is exactly what the bot sent (HTML tags and entities included; the caption for
    media), ``plain_text`` is what a person would read (tags stripped, entities decoded).
    """

    method: str
    chat_id: int | str
    message_id: int
    text: str
    parse_mode: str | None
    reply_markup: JSONDict | None
    plain_text: str = ""
    media_bytes: int | None = None
    params: JSONDict = field(default_factory=dict)
    #: The forum topic it went to; None: the chat itself (a forum's "General").
    thread_id: int | None = None


# --------------------------------------------------------------------------------------------
# Errors and Telegram's HTML parse mode
# --------------------------------------------------------------------------------------------


class _ApiError(Exception):
    """An ``{"ok": false}`` answer; the HTTP status equals ``error_code`` like Telegram's."""

    def __init__(
        self, error_code: int, description: str, parameters: JSONDict | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSONDict:
        body: JSONDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(description: str, parameters: JSONDict | None = None) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}", parameters)


class HtmlParseError(ValueError):
    """The text is not valid in Telegram's HTML parse mode; ``str()`` is Telegram's wording."""


_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "blockquote",
        "code",
        "del",
        "em",
        "i",
        "ins",
        "pre",
        "s",
        "span",
        "strike",
        "strong",
        "tg-emoji",
        "tg-spoiler",
        "u",
    }
)
_HTML_ENTITY_RE = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entities(text: str, start: int, end: int) -> str:
    """Decode ``text[start:end]``, rejecting a ``&`` that does not start a supported entity."""
    out: list[str] = []
    i = start
    while i < end:
        amp = text.find("&", i, end)
        if amp == -1:
            out.append(text[i:end])
            break
        out.append(text[i:amp])
        match = _HTML_ENTITY_RE.match(text, amp, end)
        if match is None:
            raise HtmlParseError(
                f"Unsupported HTML entity at byte offset {_byte_offset(text, amp)} "
                "(a literal '&' must be written as &amp;)"
            )
        out.append(html.unescape(match.group()))
        i = match.end()
    return "".join(out)


def parse_html(text: str) -> str:
    """Validate ``text`` like Telegram's ``parse_mode=HTML`` and return the plain text.

    Raises :class:`HtmlParseError` with Telegram's wording (byte offsets are UTF-8 offsets).
    """
    out: list[str] = []
    stack: list[str] = []
    i, n = 0, len(text)
    while i < n:
        lt = text.find("<", i)
        if lt == -1:
            out.append(_decode_entities(text, i, n))
            break
        out.append(_decode_entities(text, i, lt))
        offset = _byte_offset(text, lt)
        if text.startswith("</", lt):
            gt = text.find(">", lt)
            if gt == -1:
                raise HtmlParseError(f"Unclosed end tag at byte offset {offset}")
            if not stack:
                raise HtmlParseError(f"Unexpected end tag at byte offset {offset}")
            name = text[lt + 2 : gt].strip().lower()
            if name and name != stack[-1]:
                raise HtmlParseError(
                    f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1]}>", '
                    f'found "</{name}>"'
                )
            stack.pop()
            i = gt + 1
            continue
        j = lt + 1
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        name = text[lt + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
        attrs, i = _parse_attributes(text, j, name, offset)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        if name == "tg-emoji" and "emoji-id" not in attrs:
            raise HtmlParseError(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {offset}'
            )
        stack.append(name)
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def _parse_attributes(text: str, i: int, tag: str, offset: int) -> tuple[dict[str, str], int]:
    """Parse a start tag's attributes from ``text[i]``; return them and the index after ``>``."""
    attrs: dict[str, str] = {}
    n = len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {offset}")
        if text[i] == ">":
            return attrs, i + 1
        start = i
        while i < n and not text[i].isspace() and text[i] not in "=>":
            i += 1
        attr = text[start:i].lower()
        if not attr:
            raise HtmlParseError(f'Empty attribute name in the tag "{tag}" at byte offset {offset}')
        while i < n and text[i].isspace():
            i += 1
        if i >= n or text[i] != "=":
            attrs[attr] = ""  # a bare attribute, like <blockquote expandable>
            continue
        i += 1
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {offset}")
        if text[i] in "\"'":
            quote = text[i]
            end = text.find(quote, i + 1)
            if end == -1:
                raise HtmlParseError(f"Unclosed start tag at byte offset {offset}")
            attrs[attr] = _decode_entities(text, i + 1, end)
            i = end + 1
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] != ">":
                i += 1
            attrs[attr] = _decode_entities(text, start, i)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------------------------
# Request decoding
# --------------------------------------------------------------------------------------------


def _decode_value(name: str, value: Any) -> Any:
    """Undo python-telegram-bot's encoding: non-string values arrive JSON-encoded."""
    if not isinstance(value, str) or name in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _header_param(header: str, name: str) -> str | None:
    match = re.search(rf'(?:^|;)\s*{name}="((?:[^"\\]|\\.)*)"', header, re.IGNORECASE)
    if match:
        return match.group(1).replace('\\"', '"').replace("\\\\", "\\")
    match = re.search(rf"(?:^|;)\s*{name}=([^;\s]+)", header, re.IGNORECASE)
    return match.group(1) if match else None


def _parse_multipart(body: bytes, content_type: str) -> JSONDict:
    boundary = _header_param(content_type, "boundary")
    if not boundary:
        raise _bad_request("multipart boundary is missing")
    params: JSONDict = {}
    for chunk in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = _header_param(disposition, "name")
        if name is None:
            continue
        filename = _header_param(disposition, "filename")
        if filename is None:
            params[name] = data.decode("utf-8")
        else:
            ctype = headers.get("content-type", "application/octet-stream")
            params[name] = UploadedFile(filename=filename, content_type=ctype, data=data)
    return params


def _decode_params(query: str, content_type: str, body: bytes) -> JSONDict:
    """Decode query string and body (form, multipart or JSON) into typed parameters."""
    raw: JSONDict = dict(parse_qsl(query, keep_blank_values=True))
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime == "application/x-www-form-urlencoded":
        raw.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    elif mime == "multipart/form-data":
        raw.update(_parse_multipart(body, content_type))
    elif mime == "application/json" and body.strip():
        loaded = json.loads(body)
        if not isinstance(loaded, dict):
            raise _bad_request("JSON body must be an object")
        raw.update(loaded)
    params = {name: _decode_value(name, value) for name, value in raw.items()}
    # Resolve attach://<name> references to the uploaded part.
    for name, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            params[name] = params.pop(value.removeprefix("attach://"), value)
    return params


# --------------------------------------------------------------------------------------------
# The HTTP layer
# --------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake: FakeBotAPI, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.fake = fake
        self.closing = False  # set by hang_up(): no connection serves another request
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def opened(self, connection: socket.socket) -> None:
        with self._open_lock:
            self._open.add(connection)
            closing = self.closing
        if closing:
            self._stop_reading(connection)

    def closed(self, connection: socket.socket) -> None:
        with self._open_lock:
            self._open.discard(connection)

    def hang_up(self) -> None:
        """End every kept-alive connection: one waiting for its next request sees the end of
        the stream now; one serving a request (a long poll) answers it and then hangs up; a
        request read after this is not answered (`_Handler._serve`)."""
        with self._open_lock:
            self.closing = True
            connections = list(self._open)
        for connection in connections:
            self._stop_reading(connection)

    @staticmethod
    def _stop_reading(connection: socket.socket) -> None:
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RD)  # wakes a blocked read; writing still works

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (e.g. a SIGKILLed bot) is not an error of the fake.
        _LOGGER.debug("connection from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # Keep-alive, as Telegram's servers do: python-telegram-bot (httpx) sends call after call
    # on one connection, without a new connection and a new server thread for each. stop()
    # hangs every connection up (`_Server.hang_up`), so after it nothing answers.
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # an answer's headers and body go out without waiting

    def setup(self) -> None:
        super().setup()
        self.server.opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.closed(self.connection)

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        _LOGGER.debug("%s %s", self.address_string(), format % args)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        body = self._read_body()
        if self.server.closing:  # it came on a kept-alive connection after stop(): as if down
            self.close_connection = True
            return
        url = urlsplit(self.path)
        status, payload = self.server.fake._handle_http(
            url.path, url.query, self.headers.get("Content-Type", ""), body
        )
        if payload is None:  # simulate a network failure: hang up without answering
            self.close_connection = True
            return
        data = json.dumps(payload).encode("utf-8")
        if self.server.closing:
            self.close_connection = True
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            _LOGGER.debug("client went away before the answer to %s", url.path)


class _InProcess(httpx.AsyncBaseTransport):
    """An httpx transport to a `FakeBotAPI` in this process (see `FakeBotAPI.transport`)."""

    def __init__(self, fake: FakeBotAPI) -> None:
        self._fake = fake

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fake = self._fake
        if fake._server is None:
            raise httpx.ConnectError(
                "connection refused: the fake Bot API is stopped", request=request
            )
        body = await request.aread()
        path, query = request.url.path, request.url.query.decode("ascii")
        content_type = request.headers.get("Content-Type", "")
        if path.lower().endswith("/getupdates"):
            abandoned = threading.Event()
            try:
                status, payload = await asyncio.to_thread(
                    fake._answer_in_process, path, query, content_type, body, abandoned
                )
            except asyncio.CancelledError:
                abandoned.set()
                with fake._cond:
                    fake._cond.notify_all()
                raise
        else:
            status, payload = fake._handle_http(path, query, content_type, body)
        if payload is None:  # a network failure: the connection ends without an answer
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return httpx.Response(
            status,
            headers={"Content-Type": "application/json"},
            content=json.dumps(payload).encode("utf-8"),
            request=request,
        )


# --------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------


@dataclass
class _Fault:
    method: str
    remaining: int
    chat_id: int | str | None = None
    error: _ApiError | None = None  # None: drop the connection instead
    delivered: bool = False


@dataclass
class _Topic:
    name: str
    created: JSONDict  # the forum_topic_created service message
    closed: bool = False


@dataclass
class _Flood:
    until: float
    now: Callable[[], float]


def _norm_chat_id(value: Any) -> int | str:
    if isinstance(value, bool):
        raise _bad_request("chat_id is empty")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return int(value)
        except ValueError:
            return value
    raise _bad_request("chat_id is empty")


class FakeBotAPI:
    """An in-process Telegram Bot API server for one bot; see the module docstring.

    All state is guarded by one re-entrant lock whose condition is notified after every
    request and every simulated update, so :meth:`wait_for` wakes promptly.
    """

    def __init__(
        self,
        token: str = BOT_TOKEN,
        *,
        bot_username: str = "joulo_test_bot",
        bot_id: int = 123456789,
        bot_first_name: str = "Joulo Test Bot",
        max_poll_wait: float = 1.0,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.bot_first_name = bot_first_name
        self.max_poll_wait = max_poll_wait

        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        # Events of tests waiting in `await_for`, set (on their loops) after each request.
        self._async_waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        # In a thread answering an in-process long poll: set when its caller gave up on it.
        self._local = threading.local()
        self._server: _Server | None = None
        self._port = 0  # 0 until the first start(); a restart reuses the port
        self._thread: threading.Thread | None = None
        self._stopping = False

        # updates
        self._updates: list[JSONDict] = []  # queued, not yet confirmed through `offset`
        self._last_update_id = 0
        self._delivered_upto = 0  # highest update_id ever returned by getUpdates
        self._allowed_updates: frozenset[str] = _DEFAULT_UPDATE_TYPES
        self._poll_generation = 0
        self._callback_seq = 0
        self._webhook: JSONDict | None = None  # setWebhook's parameters while one is set

        # world state
        self._chats: dict[int | str, JSONDict] = {}
        self._users: dict[int, FakeUser] = {}
        self._messages: dict[tuple[int | str, int], JSONDict] = {}
        self._raw_texts: dict[tuple[int | str, int], str] = {}  # as the bot sent them
        self._next_message_id: dict[int | str, int] = {}
        self._gone: dict[int | str, str] = {}  # chat -> 403 description
        self._joined: set[int | str] = set()  # groups add_bot_to_group added the bot to
        self._migrated: dict[int | str, int] = {}  # old group id -> supergroup id
        self._admins: dict[int | str, dict[int, str]] = {}  # chat -> user -> status
        self._can_delete: dict[int | str, bool] = {}
        self._can_pin: dict[int | str, bool] = {}
        self._callback_queries: dict[str, JSONDict] = {}
        self._forums: set[int | str] = set()
        self._topics: dict[tuple[int | str, int], _Topic] = {}  # (chat, thread id) -> topic
        self._pinned: dict[int | str, list[int]] = {}  # chat -> message ids, oldest first

        # records
        self._calls: list[ApiCall] = []
        self._sent: list[SentMessage] = []
        self._edits: list[SentMessage] = []
        self._deleted: list[tuple[int | str, int]] = []
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._callback_answers: list[JSONDict] = []
        self._faults: list[_Fault] = []
        self._floods: dict[int | str, _Flood] = {}
        self._internal_errors: list[str] = []

        self._handlers: dict[str, Callable[[JSONDict], Any]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageCaption": self._edit_message_caption,
            "editMessageMedia": self._edit_message_media,
            "answerCallbackQuery": self._answer_callback_query,
            "deleteMessage": self._delete_message,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "leaveChat": self._leave_chat,
            "pinChatMessage": self._pin_chat_message,
            "unpinChatMessage": self._unpin_chat_message,
            **{method: functools.partial(self._send_media, method) for method in _MEDIA_METHODS},
        }

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Serve on 127.0.0.1 in a daemon thread: a free port, or the same port again after
        :meth:`stop` (so ``stop(); start()`` simulates an outage, state intact)."""
        with self._lock:
            if self._server is not None:
                raise RuntimeError("FakeBotAPI already started")
            self._stopping = False
            self._server = _Server(self, self._port)
            self._port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.002},  # also how long stop() waits (at most)
            name="fake-telegram",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving; waiting long polls return at once. Idempotent."""
        with self._cond:
            server, self._server = self._server, None
            self._stopping = True
            self._cond.notify_all()
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.hang_up()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The TCP port the fake listens on (only while started)."""
        server = self._server
        if server is None:
            raise RuntimeError("FakeBotAPI is not started")
        return int(server.server_address[1])

    @property
    def base_url(self) -> str:
        """The ``base_url`` for python-telegram-bot, which appends the token to it."""
        return f"http://127.0.0.1:{self.port}/bot"

    def transport(self) -> httpx.AsyncBaseTransport:
        """This Bot API in the caller's process, for an httpx client (python-telegram-bot's):
        the same requests decoded and answered by the same code as over loopback, without a
        socket, an HTTP parser or a server thread in between. Between :meth:`stop` and
        :meth:`start` a request is refused as a connection would be; a long poll waits in a
        worker thread, so the event loop runs on."""
        return _InProcess(self)

    def _answer_in_process(
        self, path: str, query: str, content_type: str, body: bytes, abandoned: threading.Event
    ) -> tuple[int, JSONDict | None]:
        """`_handle_http` in a worker thread whose caller may give up (see `_get_updates`)."""
        self._local.abandoned = abandoned
        try:
            return self._handle_http(path, query, content_type, body)
        finally:
            self._local.abandoned = None

    # ---------------------------------------------------------------- people: updates

    def private_message(self, user: FakeUser, text: str) -> int:
        """``user`` writes ``text`` to the bot in private; returns the message_id.

        A user who had blocked the bot unblocks it first (a ``my_chat_member`` update), as
        pressing "Restart" in a Telegram client does.
        """
        with self._cond:
            chat = self._private_chat(user)
            if self._gone.get(user.id) == "Forbidden: bot was blocked by the user":
                self.unblock_bot(user)
            if self._gone.get(user.id) == CANT_INITIATE:  # writing first starts the chat
                del self._gone[user.id]
            message = self._new_message(chat, self._user_json(user), text=text)
            self._enqueue("message", message)
            return int(message["message_id"])

    def group_message(
        self, chat: FakeChat, user: FakeUser, text: str, *, topic: int | None = None
    ) -> int:
        """``user`` writes ``text`` in group ``chat`` (in forum topic ``topic``); the message_id.

        Raises ValueError if the bot was removed from ``chat``: it could not see the message;
        or if ``topic`` is gone, or closed and ``user`` no admin: they could not write there.
        """
        with self._cond:
            chat_json = self._group_chat(chat)
            self._users[user.id] = user
            if chat.id in self._gone:
                raise ValueError(f"the bot is not in chat {chat.id}, it would not see this")
            found = None if topic is None else self._topics.get((chat.id, topic))
            admin = user.id in self._admins.get(chat.id, {})
            if topic is not None and (found is None or (found.closed and not admin)):
                raise ValueError(f"chat {chat.id} has no open topic {topic}")
            message = self._new_message(chat_json, self._user_json(user), text=text, topic=topic)
            if found is not None:  # Telegram: a message in a topic "replies" to its creation
                message["reply_to_message"] = json.loads(json.dumps(found.created))
            self._enqueue("message", message)
            return int(message["message_id"])

    # ---------------------------------------------------------------- people: forum topics

    def make_forum(self, chat: FakeChat) -> FakeChat:
        """An admin switches topics on in supergroup ``chat``; returns it as a forum."""
        if chat.type != "supergroup":
            raise ValueError("only a supergroup can have topics")
        with self._cond:
            forum = dataclasses.replace(chat, is_forum=True)
            self._group_chat(forum)
            return forum

    def create_topic(self, chat: FakeChat, name: str, by: FakeUser | None = None) -> int:
        """Someone creates topic ``name`` in forum ``chat``; returns its message_thread_id.

        As on Telegram the thread id is the id of the ``forum_topic_created`` service message,
        which arrives as an update.
        """
        with self._cond:
            chat_json = self._group_chat(chat)
            if chat.id not in self._forums:
                raise ValueError(f"chat {chat.id} is not a forum")
            sender = self._user_json(by) if by is not None else None
            if by is not None:
                self._users[by.id] = by
            message = self._new_message(chat_json, sender)
            thread_id = int(message["message_id"])
            message.update(
                message_thread_id=thread_id,
                is_topic_message=True,
                forum_topic_created={"name": name, "icon_color": 7322096},
            )
            self._topics[(chat.id, thread_id)] = _Topic(
                name=name, created=json.loads(json.dumps(message))
            )
            self._enqueue("message", message)
            return thread_id

    def close_topic(self, chat: FakeChat, thread_id: int, *, closed: bool = True) -> None:
        """Someone closes (``closed=False``: reopens) a topic; a ``forum_topic_closed`` update."""
        with self._cond:
            topic = self._topics.get((chat.id, thread_id))
            if topic is None:
                raise ValueError(f"chat {chat.id} has no topic {thread_id}")
            topic.closed = closed
            message = self._new_message(self._group_chat(chat), None, topic=thread_id)
            message["forum_topic_closed" if closed else "forum_topic_reopened"] = {}
            self._enqueue("message", message)

    def delete_topic(self, chat: FakeChat, thread_id: int) -> None:
        """Someone deletes a topic with all its messages; the bot is not told (no update)."""
        with self._cond:
            if self._topics.pop((chat.id, thread_id), None) is None:
                raise ValueError(f"chat {chat.id} has no topic {thread_id}")
            for key, message in list(self._messages.items()):
                if key[0] == chat.id and message.get("message_thread_id") == thread_id:
                    del self._messages[key]
                    self._raw_texts.pop(key, None)
            pins = self._pinned.get(chat.id, [])
            pins[:] = [m for m in pins if (chat.id, m) in self._messages]

    def add_bot_to_group(self, chat: FakeChat, by: FakeUser) -> None:
        """``by`` adds the bot to ``chat``: a ``my_chat_member`` and a ``new_chat_members`` update.

        Telegram sends both; handlers for either see the bot arrive.
        """
        with self._cond:
            chat_json = self._group_chat(chat)
            self._users[by.id] = by
            old = "kicked" if "kicked" in self._gone.pop(chat.id, "") else "left"
            self._joined.add(chat.id)
            self._enqueue("my_chat_member", self._member_change(chat_json, by, old, "member"))
            message = self._new_message(chat_json, self._user_json(by))
            message["new_chat_members"] = [self._bot_json()]
            self._enqueue("message", message)

    def add_bot_by_link(self, link: str, chat: FakeChat, by: FakeUser) -> None:
        """``by`` opens ``link`` (``https://t.me/<bot>?startgroup=<parameter>``) and picks ``chat``.

        As Telegram does: the bot is added (see :meth:`add_bot_to_group`; unless it already is
        a member), then ``by`` "sends" ``/start@<bot> <parameter>`` in the chat. Raises
        ValueError for a link Telegram's clients would not open as this bot's startgroup link:
        another bot, or a parameter that is not 1-64 of ``A-Z a-z 0-9 _ -``.
        """
        parts = urlsplit(link)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if (parts.scheme, parts.netloc, parts.path) != ("https", "t.me", f"/{self.bot_username}"):
            raise ValueError(f"not a link to @{self.bot_username}: {link}")
        parameter = query.get("startgroup")
        if parameter is None or not _START_PARAMETER.fullmatch(parameter):
            raise ValueError(f"no valid startgroup parameter in {link}")
        with self._cond:
            if chat.id in self._gone or chat.id not in self._joined:  # not in it yet
                self.add_bot_to_group(chat, by)
            message = self._new_message(
                self._group_chat(chat),
                self._user_json(by),
                text=f"/start@{self.bot_username} {parameter}",
            )
            self._enqueue("message", message)

    def remove_bot_from_group(self, chat: FakeChat, by: FakeUser) -> None:
        """``by`` removes the bot; later sends to ``chat`` answer 403."""
        with self._cond:
            chat_json = self._group_chat(chat)
            self._users[by.id] = by
            old = self._bot_status(chat.id)
            self._gone[chat.id] = f"Forbidden: bot was kicked from the {chat.type} chat"
            self._enqueue("my_chat_member", self._member_change(chat_json, by, old, "kicked"))

    def never_started(self, user: FakeUser) -> None:
        """``user`` never wrote to the bot in private: sends to them answer 403 (the bot
        can't initiate a conversation) until they do."""
        with self._lock:
            self._users[user.id] = user
            self._gone[user.id] = CANT_INITIATE

    def block_bot(self, user: FakeUser) -> None:
        """``user`` blocks the bot; later sends to them answer 403."""
        with self._cond:
            chat = self._private_chat(user)
            self._gone[user.id] = "Forbidden: bot was blocked by the user"
            self._enqueue("my_chat_member", self._member_change(chat, user, "member", "kicked"))

    def unblock_bot(self, user: FakeUser) -> None:
        """``user`` unblocks the bot (``my_chat_member`` kicked -> member)."""
        with self._cond:
            chat = self._private_chat(user)
            self._gone.pop(user.id, None)
            self._enqueue("my_chat_member", self._member_change(chat, user, "kicked", "member"))

    def migrate_group(self, chat: FakeChat, new_id: int | None = None) -> FakeChat:
        """Upgrade a basic group to a supergroup; sends to the old id then answer 400 with
        ``migrate_to_chat_id`` (``telegram.error.ChatMigrated``). Returns the supergroup."""
        with self._cond:
            old_json = self._group_chat(chat)
            new_chat = FakeChat(
                id=new_id if new_id is not None else int(f"-100{abs(chat.id)}"),
                title=chat.title,
                type="supergroup",
            )
            new_json = self._group_chat(new_chat)
            self._migrated[chat.id] = new_chat.id
            self._admins[new_chat.id] = dict(self._admins.get(chat.id, {}))
            self._can_delete[new_chat.id] = self._can_delete.get(chat.id, False)
            self._can_pin[new_chat.id] = self._can_pin.get(chat.id, False)
            creator = next(iter(self._admins.get(chat.id, {})), None)
            sender = self._user_json(self._users[creator]) if creator in self._users else None
            old_msg = self._new_message(old_json, sender)
            old_msg["migrate_to_chat_id"] = new_chat.id
            self._enqueue("message", old_msg)
            new_msg = self._new_message(new_json, sender)
            new_msg["migrate_from_chat_id"] = chat.id
            self._enqueue("message", new_msg)
            return new_chat

    def press_button(
        self, chat: FakeChat | FakeUser, user: FakeUser, message_id: int, data: str
    ) -> str:
        """``user`` presses an inline button with callback ``data``; returns the query id."""
        with self._cond:
            chat_json = (
                self._private_chat(chat) if isinstance(chat, FakeUser) else self._group_chat(chat)
            )
            self._users[user.id] = user
            message = self._messages.get((chat_json["id"], message_id))
            if message is None:  # an InaccessibleMessage, as Telegram sends for old messages
                message = {"chat": chat_json, "message_id": message_id, "date": 0}
            self._callback_seq += 1
            query_id = f"{self.bot_id}{self._callback_seq:06d}"
            query = {
                "id": query_id,
                "from": self._user_json(user),
                "chat_instance": str(abs(hash((self.bot_id, chat_json["id"])))),
                "message": json.loads(json.dumps(message)),
                "data": data,
            }
            self._callback_queries[query_id] = query
            self._enqueue("callback_query", query)
            return query_id

    # ---------------------------------------------------------------- people: settings

    def set_admin(
        self, chat: FakeChat, user: FakeUser, admin: bool = True, *, creator: bool = False
    ) -> None:
        """Make ``user`` an administrator (or the creator) of ``chat``, or a plain member."""
        with self._lock:
            self._group_chat(chat)
            self._users[user.id] = user
            admins = self._admins.setdefault(chat.id, {})
            if admin or creator:
                admins[user.id] = "creator" if creator else "administrator"
            else:
                admins.pop(user.id, None)

    def set_can_delete(self, chat: FakeChat, can_delete: bool) -> None:
        """Whether the bot may delete messages in group ``chat`` (private chats: always)."""
        with self._lock:
            self._group_chat(chat)
            self._can_delete[chat.id] = can_delete

    def set_can_pin(self, chat: FakeChat, can_pin: bool) -> None:
        """Whether the bot is an admin with the "Pin messages" right in group ``chat``."""
        with self._lock:
            self._group_chat(chat)
            self._can_pin[chat.id] = can_pin

    # ---------------------------------------------------------------- faults

    def fail_next(
        self,
        method: str,
        *,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (to ``chat_id`` if given) with an error.

        The HTTP status is ``error_code``; a failed send is not recorded as sent.
        """
        parameters: JSONDict = {}
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        error = _ApiError(error_code, description, parameters or None)
        self._add_fault(_Fault(self._canonical(method), times, chat_id, error=error))

    def drop_connection_next(
        self, method: str, times: int = 1, *, delivered: bool = False, chat_id: int | None = None
    ) -> None:
        """Hang up on the next ``times`` calls of ``method`` without answering (NetworkError).

        ``delivered=False``: dropped before processing, nothing happened. ``delivered=True``:
        processed (a message is sent and recorded), then only the answer is lost.
        """
        self._add_fault(_Fault(self._canonical(method), times, chat_id, delivered=delivered))

    def delete_by_user(self, chat_id: int | str, message_id: int) -> None:
        """Someone in the chat deletes message ``message_id``; the bot is not told."""
        with self._lock:
            if self._messages.pop((chat_id, message_id), None) is None:
                raise ValueError(f"no message {message_id} in chat {chat_id}")

    def flood(
        self, chat_id: int | str, seconds: float, *, now: Callable[[], float] = time.monotonic
    ) -> None:
        """Refuse every send and edit in ``chat_id`` with 429 for ``seconds`` by the clock ``now``.

        ``now`` returns seconds (``lambda: clock.now().timestamp()`` for a ``ManualClock``); each
        429 carries the seconds left, rounded up, in ``retry_after``. Replaces an earlier window
        for the same chat.
        """
        with self._lock:
            self._floods[chat_id] = _Flood(until=now() + seconds, now=now)

    def flood_refusals(self, chat_id: int | str) -> int:
        """How many sends and edits in ``chat_id`` a flood window refused (see :meth:`flood`)."""
        with self._lock:
            return sum(
                1
                for call in self._calls
                if call.method in _FLOODED_METHODS
                and call.status == 429
                and call.params.get("chat_id") == chat_id
            )

    def _check_flood(self, method: str, params: JSONDict) -> None:
        if method not in _FLOODED_METHODS or not self._floods:
            return
        try:
            chat_id = _norm_chat_id(params.get("chat_id"))
        except _ApiError:
            return
        flood = self._floods.get(chat_id)
        if flood is None:
            return
        left = flood.until - flood.now()
        if left <= 0:
            del self._floods[chat_id]
            return
        wait = max(1, math.ceil(left))
        raise _ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})

    def _add_fault(self, fault: _Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._faults.append(fault)

    # ---------------------------------------------------------------- what the bot did

    def messages_to(self, chat_id: int | str, *, plain: bool = False) -> list[str]:
        """Texts (captions for media) the bot sent to ``chat_id``, in order."""
        with self._lock:
            return [m.plain_text if plain else m.text for m in self._sent if m.chat_id == chat_id]

    def sent(self) -> list[SentMessage]:
        """Every message the bot sent successfully (sendMessage, sendPhoto, ...), in order."""
        with self._lock:
            return list(self._sent)

    def messages_in(
        self, chat_id: int | str, topic: int | None, *, plain: bool = False
    ) -> list[str]:
        """Texts the bot sent to ``chat_id`` in forum topic ``topic`` (None: General), in order."""
        with self._lock:
            return [
                m.plain_text if plain else m.text
                for m in self._sent
                if m.chat_id == chat_id and m.thread_id == topic
            ]

    def pinned(self, chat_id: int | str) -> list[int]:
        """The ids of the messages pinned in ``chat_id`` now, oldest pin first."""
        with self._lock:
            return list(self._pinned.get(chat_id, []))

    def edits(self) -> list[SentMessage]:
        """Every successful editMessage{Text,Caption,Media,ReplyMarkup}, in order."""
        with self._lock:
            return list(self._edits)

    def message(self, chat_id: int | str, message_id: int) -> JSONDict | None:
        """The current state of a message (after edits) as Telegram would return it."""
        with self._lock:
            found = self._messages.get((chat_id, message_id))
            return json.loads(json.dumps(found)) if found is not None else None

    def callback_answers(self) -> list[JSONDict]:
        """The parameters of every answerCallbackQuery, in order."""
        with self._lock:
            return [dict(answer) for answer in self._callback_answers]

    def calls_to(self, method: str) -> list[ApiCall]:
        """The recorded calls of one method."""
        canonical = self._canonical(method)
        with self._lock:
            return [call for call in self._calls if call.method == canonical]

    @property
    def deleted(self) -> list[tuple[int | str, int]]:
        """``(chat_id, message_id)`` of every successful deleteMessage."""
        with self._lock:
            return list(self._deleted)

    @property
    def calls(self) -> list[ApiCall]:
        """Every request, in arrival order (getUpdates recorded when answered)."""
        with self._lock:
            return list(self._calls)

    @property
    def commands(self) -> dict[tuple[str, str], list[JSONDict]]:
        """setMyCommands state: ``(scope, language_code or "") -> commands``.

        ``scope`` is the scope type (``default``, ``all_private_chats``, ...), or for chat
        scopes ``chat:<chat_id>`` / ``chat_administrators:<chat_id>`` /
        ``chat_member:<chat_id>:<user_id>``.
        """
        with self._lock:
            return {key: list(value) for key, value in self._commands.items()}

    @property
    def internal_errors(self) -> list[str]:
        """Bugs inside the fake (answered with HTTP 500); should stay empty."""
        with self._lock:
            return list(self._internal_errors)

    def pending_updates(self) -> int:
        """Updates the bot has not fetched yet (never returned by getUpdates)."""
        with self._lock:
            return sum(1 for u in self._updates if u["update_id"] > self._delivered_upto)

    def unconfirmed_updates(self) -> int:
        """Updates not yet confirmed through getUpdates' ``offset`` (Telegram re-sends these)."""
        with self._lock:
            return len(self._updates)

    # ---------------------------------------------------------------- waiting

    def wait_for(self, predicate: Callable[[FakeBotAPI], bool], timeout: float = 10.0) -> None:
        """Block until ``predicate(self)`` holds; AssertionError with a summary on timeout.

        Only for a bot running in another thread or process: it blocks the calling thread.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(self._timeout_message(timeout))
                self._cond.wait(min(remaining, 0.1))

    async def await_for(
        self,
        predicate: Callable[[FakeBotAPI], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - mirrors wait_for; polls, no cancellation
    ) -> None:
        """Like :meth:`wait_for` for async tests: checks again as soon as the bot made a call
        (and every `RECHECK` seconds, for a predicate on the test's own doings)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        waiter = (loop, asyncio.Event())
        changed = waiter[1]
        with self._lock:
            self._async_waiters.add(waiter)
        try:
            while True:
                changed.clear()  # before the check: a call after it sets it again
                with self._lock:
                    if predicate(self):
                        return
                left = deadline - loop.time()
                if left <= 0:
                    raise AssertionError(self._timeout_message(timeout))
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(RECHECK, left)):
                        await changed.wait()
        finally:
            with self._lock:
                self._async_waiters.discard(waiter)

    def _timeout_message(self, timeout: float) -> str:
        with self._lock:
            lines = [f"condition not met within {timeout:g}s; the bot sent {len(self._sent)}:"]
            lines += [
                f"  {m.method} to {m.chat_id} (#{m.message_id}): {m.text!r}"
                for m in self._sent[-20:]
            ]
            recent = [
                f"{c.method}->{c.status}" for c in self._calls[-15:] if c.method != "getUpdates"
            ]
            lines.append(f"recent calls (without getUpdates): {', '.join(recent) or 'none'}")
            lines.append(
                f"updates not fetched: {self.pending_updates()}, unconfirmed: {len(self._updates)}"
            )
            if self._internal_errors:
                lines.append(f"fake internal errors: {self._internal_errors}")
            return "\n".join(lines)

    # ---------------------------------------------------------------- dispatch

    @staticmethod
    def _canonical(method: str) -> str:
        return _CANONICAL_METHODS.get(method.lower(), method)

    def _handle_http(
        self, path: str, query: str, content_type: str, body: bytes
    ) -> tuple[int, JSONDict | None]:
        """Answer one HTTP request: ``(status, payload)``, payload None meaning hang up."""
        match = re.fullmatch(r"/bot([^/]+)/([^/]+)", path)
        if match is None:
            return 404, _ApiError(404, "Not Found").payload()
        token, method_name = match.groups()
        if token != self.token:
            return 401, _ApiError(401, "Unauthorized").payload()
        method = _CANONICAL_METHODS.get(method_name.lower())
        if method is None:
            return 404, _ApiError(404, "Not Found").payload()
        params: JSONDict = {}
        try:
            params = _decode_params(query, content_type, body)
            status, payload = self._dispatch(method, params)
        except _ApiError as err:
            status, payload = err.error_code, err.payload()
        except Exception as err:
            _LOGGER.exception("fake Telegram failed on %s", method)
            with self._lock:
                self._internal_errors.append(f"{method}: {err!r}")
            status, payload = 500, _ApiError(500, f"Internal Server Error: {err!r}").payload()
        with self._cond:
            self._calls.append(ApiCall(method, params, status if payload is not None else 0))
            self._cond.notify_all()
            waiters = list(self._async_waiters)
        for loop, changed in waiters:
            with contextlib.suppress(RuntimeError):  # that test's loop is closed
                loop.call_soon_threadsafe(changed.set)
        return status, payload

    def _dispatch(self, method: str, params: JSONDict) -> tuple[int, JSONDict | None]:
        with self._cond:
            self._check_flood(method, params)
            fault = self._take_fault(method, params)
            if fault is not None and fault.error is not None:
                raise fault.error
            if fault is not None and not fault.delivered:
                return 0, None
            if method in _NO_THREAD_METHODS and "message_thread_id" in params:
                raise _bad_request(f"{method} has no parameter message_thread_id")
            handler = self._handlers.get(method)
            # A deep copy made under the lock: the answer is serialised after it is released.
            result = json.loads(json.dumps(handler(params) if handler is not None else True))
            if fault is not None:  # delivered, but the answer gets lost
                return 0, None
            return 200, {"ok": True, "result": result}

    def _take_fault(self, method: str, params: JSONDict) -> _Fault | None:
        for fault in self._faults:
            if fault.method != method:
                continue
            if fault.chat_id is not None:
                try:
                    if _norm_chat_id(params.get("chat_id")) != fault.chat_id:
                        continue
                except _ApiError:
                    continue
            fault.remaining -= 1
            if fault.remaining == 0:
                self._faults.remove(fault)
            return fault
        return None

    # ---------------------------------------------------------------- JSON builders

    def _bot_json(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    @staticmethod
    def _user_json(user: FakeUser) -> JSONDict:
        data: JSONDict = {"id": user.id, "is_bot": False, "first_name": user.first_name}
        if user.username is not None:
            data["username"] = user.username
        if user.language_code is not None:
            data["language_code"] = user.language_code
        return data

    def _private_chat(self, user: FakeUser) -> JSONDict:
        self._users[user.id] = user
        chat: JSONDict = {"id": user.id, "type": "private", "first_name": user.first_name}
        if user.username is not None:
            chat["username"] = user.username
        self._chats[user.id] = chat
        return chat

    def _group_chat(self, chat: FakeChat) -> JSONDict:
        data: JSONDict = {"id": chat.id, "type": chat.type, "title": chat.title}
        if chat.is_forum:
            self._forums.add(chat.id)
        if chat.id in self._forums:
            data["is_forum"] = True
        self._chats[chat.id] = data
        return data

    def _chat_json(self, chat_id: int | str) -> JSONDict:
        known = self._chats.get(chat_id)
        if known is not None:
            return known
        if isinstance(chat_id, str):
            return {"id": -1001000000000 - len(chat_id), "type": "channel", "title": chat_id}
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"Chat {chat_id}"}

    def _new_message(
        self,
        chat: JSONDict,
        sender: JSONDict | None,
        *,
        text: str | None = None,
        topic: int | None = None,
    ) -> JSONDict:
        chat_id = chat["id"]
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        message: JSONDict = {"message_id": message_id, "date": int(time.time()), "chat": chat}
        if topic is not None:
            message["message_thread_id"] = topic
            message["is_topic_message"] = True
        if sender is not None:
            message["from"] = sender
        if text is not None:
            message["text"] = text
            command = _COMMAND_RE.match(text)
            if command:
                message["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": _utf16_len(command.group())}
                ]
        self._messages[(chat_id, message_id)] = message
        return message

    def _member_change(self, chat: JSONDict, by: FakeUser, old: str, new: str) -> JSONDict:
        return {
            "chat": chat,
            "from": self._user_json(by),
            "date": int(time.time()),
            "old_chat_member": self._member_json(self._bot_json(), old),
            "new_chat_member": self._member_json(self._bot_json(), new),
        }

    @staticmethod
    def _member_json(user: JSONDict, status: str) -> JSONDict:
        member: JSONDict = {"user": user, "status": status}
        if status == "kicked":
            member["until_date"] = 0
        elif status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
                can_pin_messages=True,
            )
        return member

    def _bot_status(self, chat_id: int | str) -> str:
        if chat_id in self._gone:
            return "kicked" if "kicked" in self._gone[chat_id] else "left"
        admin = self._can_delete.get(chat_id) or self._can_pin.get(chat_id)
        return "administrator" if admin else "member"

    def _bot_member(self, chat_id: int | str) -> JSONDict:
        """The bot's ChatMember, with the rights the test gave it."""
        member = self._member_json(self._bot_json(), self._bot_status(chat_id))
        if member["status"] == "administrator":
            member["can_delete_messages"] = bool(self._can_delete.get(chat_id))
            member["can_pin_messages"] = bool(self._can_pin.get(chat_id))
        return member

    def _enqueue(self, kind: str, payload: JSONDict) -> int:
        with self._cond:
            self._last_update_id += 1
            self._updates.append({"update_id": self._last_update_id, kind: payload})
            self._cond.notify_all()
            return self._last_update_id

    # ---------------------------------------------------------------- checks

    def _target_chat(self, params: JSONDict) -> int | str:
        """The ``chat_id`` of a call that acts in a chat; 403/400 if the bot may not."""
        chat_id = _norm_chat_id(params.get("chat_id"))
        if chat_id in self._migrated:
            raise _bad_request(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[chat_id]},
            )
        if chat_id in self._gone:
            raise _ApiError(403, self._gone[chat_id])
        return chat_id

    @staticmethod
    def _formatted(params: JSONDict, key: str, limit: int, too_long: str) -> tuple[str, str]:
        """Validate ``params[key]`` under its parse mode; return ``(raw, plain)`` text."""
        raw = params.get(key)
        raw = "" if raw is None else str(raw)
        mode = params.get("parse_mode")
        plain = raw
        if isinstance(mode, str) and mode.lower() == "html":
            try:
                plain = parse_html(raw)
            except HtmlParseError as err:
                raise _bad_request(f"can't parse entities: {err}") from None
        if _utf16_len(plain) > limit:
            raise _bad_request(too_long)
        return raw, plain

    @staticmethod
    def _check_markup(params: JSONDict) -> JSONDict | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                kinds = [key for key in _INLINE_BUTTON_KINDS if key in button]
                if len(kinds) != 1:  # Telegram: exactly one of the optional fields
                    raise _bad_request("text buttons are unallowed in the inline keyboard")
                url = button.get("url")
                if url is not None and urlsplit(str(url)).scheme not in ("http", "https", "tg"):
                    raise _bad_request("BUTTON_URL_INVALID")
                data = button.get("callback_data")
                size = len(str(data).encode("utf-8")) if data is not None else 1
                if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                    raise _bad_request("BUTTON_DATA_INVALID")
        return markup

    # ---------------------------------------------------------------- methods

    def _get_me(self, params: JSONDict) -> JSONDict:
        return {
            **self._bot_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0.0, float(params.get("timeout") or 0))
        allowed = params.get("allowed_updates")
        deadline = time.monotonic() + min(timeout, self.max_poll_wait)
        # Set when an in-process caller gave up on this long poll (see `transport`).
        abandoned: threading.Event | None = getattr(self._local, "abandoned", None)
        with self._cond:
            if self._webhook is not None:
                raise _ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; use "
                    "deleteWebhook to delete the webhook first",
                )
            self._poll_generation += 1
            generation = self._poll_generation
            self._cond.notify_all()  # an older long poll now answers 409
            if allowed is not None:
                self._allowed_updates = frozenset(allowed) or _DEFAULT_UPDATE_TYPES
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            elif offset < 0:
                self._updates = self._updates[offset:]
            while True:
                if generation != self._poll_generation:
                    raise _ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that "
                        "only one bot instance is running",
                    )
                # Telegram never stores updates of types the bot did not ask for.
                self._updates = [u for u in self._updates if self._allowed(u)]
                batch = self._updates[:limit]
                remaining = deadline - time.monotonic()
                if batch or self._stopping or remaining <= 0:
                    break
                if abandoned is not None and abandoned.is_set():
                    break  # as a connection closed by the client: the answer goes nowhere
                self._cond.wait(remaining)
            if batch:
                self._delivered_upto = max(self._delivered_upto, batch[-1]["update_id"])
            return batch

    def _allowed(self, update: JSONDict) -> bool:
        return any(key in self._allowed_updates for key in update if key != "update_id")

    @staticmethod
    def _webhook_params(method: str, params: JSONDict) -> None:
        unknown = sorted(set(params) - _WEBHOOK_PARAMS[method])
        if unknown:
            raise _bad_request(f"Bad Request: unknown parameter {unknown[0]!r} for {method}")

    def _set_webhook(self, params: JSONDict) -> bool:
        self._webhook_params("setWebhook", params)
        url = params.get("url")
        if not isinstance(url, str):
            raise _bad_request('Bad Request: parameter "url" is required')
        if url == "":  # "Pass an empty string to remove webhook integration"
            return self._delete_webhook({})
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise _bad_request(
                "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        if (parts.port or 443) not in _WEBHOOK_PORTS:
            raise _bad_request(
                "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = params.get("secret_token")
        if secret is not None and not (
            isinstance(secret, str) and _SECRET_TOKEN_RE.fullmatch(secret)
        ):
            raise _bad_request(
                "Bad Request: bad webhook: secret token contains unallowed characters"
            )
        connections = params.get("max_connections", 40)
        if not isinstance(connections, int) or not 1 <= connections <= 100:
            raise _bad_request("Bad Request: bad webhook: max_connections must be 1-100")
        allowed = params.get("allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list) or not set(allowed) <= _DEFAULT_UPDATE_TYPES | {
                "message_reaction",
                "message_reaction_count",
                "chat_member",
            }:
                raise _bad_request("Bad Request: can't parse allowed updates")
            self._allowed_updates = frozenset(allowed) or _DEFAULT_UPDATE_TYPES
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = {"url": url, "max_connections": connections, "secret_token": secret}
        self._poll_generation += 1  # a waiting getUpdates ends (and the next one is refused)
        self._cond.notify_all()
        return True

    def _delete_webhook(self, params: JSONDict) -> bool:
        self._webhook_params("deleteWebhook", params)
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = None
        return True

    def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        self._webhook_params("getWebhookInfo", params)
        info: JSONDict = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook is not None:
            info |= {
                "url": self._webhook["url"],
                "max_connections": self._webhook["max_connections"],
                "allowed_updates": sorted(self._allowed_updates),
            }
        return info

    @property
    def webhook(self) -> JSONDict | None:
        """The webhook's ``url``, ``max_connections`` and ``secret_token``; None while unset."""
        with self._lock:
            return None if self._webhook is None else dict(self._webhook)

    def set_webhook(self, url: str, secret_token: str | None = None) -> None:
        """Set a webhook as a previous run of the bot (or another bot process) would have."""
        params: JSONDict = {"url": url}
        if secret_token is not None:
            params["secret_token"] = secret_token
        with self._cond:
            self._set_webhook(params)

    def deliver_webhook(self, upstream: str, timeout: float = 10.0) -> list[int]:
        """POST the waiting updates to the webhook, as Telegram does; returns the HTTP statuses.

        `upstream` is where a reverse proxy would forward the webhook URL (``http://host:port``):
        each update goes to it at the webhook URL's path, as JSON, with the secret token the bot
        registered in ``X-Telegram-Bot-Api-Secret-Token``. An update answered with 2xx is gone;
        the first other answer stops the delivery (Telegram tries again later). Blocking: call
        it from a thread (``asyncio.to_thread``) when the bot runs on the test's event loop.
        """
        statuses: list[int] = []
        while True:
            with self._cond:
                if self._webhook is None:
                    raise RuntimeError("no webhook is set")
                hook = dict(self._webhook)
                self._updates = [u for u in self._updates if self._allowed(u)]
                if not self._updates:
                    return statuses
                update = self._updates[0]
            request = urllib.request.Request(  # noqa: S310  (http to loopback, a test's choice)
                upstream.rstrip("/") + (urlsplit(hook["url"]).path or "/"),
                data=json.dumps(update).encode(),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            if hook["secret_token"] is not None:
                request.add_header("X-Telegram-Bot-Api-Secret-Token", hook["secret_token"])
            try:
                with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
                    status = answer.status
            except urllib.error.HTTPError as err:
                status = err.code
            statuses.append(status)
            if not 200 <= status < 300:
                return statuses
            with self._cond:
                self._updates = [u for u in self._updates if u is not update]
                self._delivered_upto = max(self._delivered_upto, update["update_id"])
                self._cond.notify_all()

    @staticmethod
    def _scope_key(params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise _bad_request("can't parse BotCommandScope JSON object")
        kind = str(scope["type"])
        if kind in _CHAT_SCOPES:
            kind = f"{kind}:{scope.get('chat_id')}"
            if scope["type"] == "chat_member":
                kind = f"{kind}:{scope.get('user_id')}"
        language = str(params.get("language_code") or "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _bad_request("invalid language code specified")
        return kind, language

    def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict):
                raise _bad_request("can't parse BotCommand JSON object")
            if not _BOT_COMMAND_NAME_RE.fullmatch(str(command.get("command", ""))):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._scope_key(params)
        if commands:
            self._commands[key] = [dict(c) for c in commands]
        else:
            self._commands.pop(key, None)
        return True

    def _delete_my_commands(self, params: JSONDict) -> bool:
        self._commands.pop(self._scope_key(params), None)
        return True

    def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return list(self._commands.get(self._scope_key(params), []))

    def _send_message(self, params: JSONDict) -> JSONDict:
        chat_id = self._target_chat(params)
        raw, plain = self._formatted(params, "text", MAX_MESSAGE_LENGTH, "message is too long")
        if not plain.strip():
            raise _bad_request("message text is empty")
        markup = self._check_markup(params)
        thread = self._send_thread(chat_id, params)
        message = self._new_message(
            self._chat_json(chat_id), self._bot_json(), text=plain, topic=thread
        )
        message.pop("entities", None)
        self._raw_texts[(chat_id, message["message_id"])] = raw
        if markup is not None:
            message["reply_markup"] = markup
        self._sent.append(
            SentMessage(
                method="sendMessage",
                chat_id=chat_id,
                message_id=message["message_id"],
                text=raw,
                parse_mode=params.get("parse_mode"),
                reply_markup=markup,
                plain_text=plain,
                params=dict(params),
                thread_id=thread,
            )
        )
        return message

    def _send_thread(self, chat_id: int | str, params: JSONDict) -> int | None:
        """The topic a send goes to: 400 if it is gone (or no forum), or closed."""
        thread = params.get("message_thread_id")
        if thread is None:
            return None
        if isinstance(thread, bool) or not isinstance(thread, int):
            raise _bad_request("message thread not found")
        topic = self._topics.get((chat_id, thread))
        if chat_id not in self._forums or topic is None:
            raise _ApiError(400, THREAD_NOT_FOUND)
        if topic.closed:
            raise _ApiError(400, TOPIC_CLOSED)
        return thread

    def _send_media(self, method: str, params: JSONDict) -> JSONDict:
        key = _MEDIA_METHODS[method]
        chat_id = self._target_chat(params)
        media = params.get(key)
        if media is None:
            raise _bad_request(f"there is no {key} in the request")
        raw, plain = self._formatted(
            params, "caption", MAX_CAPTION_LENGTH, "message caption is too long"
        )
        markup = self._check_markup(params)
        size = len(media.data) if isinstance(media, UploadedFile) else None
        thread = self._send_thread(chat_id, params)
        message = self._new_message(self._chat_json(chat_id), self._bot_json(), topic=thread)
        file_id = f"fake-{key}-{chat_id}-{message['message_id']}"
        file_json: JSONDict = {"file_id": file_id, "file_unique_id": file_id[-16:]}
        if size is not None:
            file_json["file_size"] = size
        if key == "photo":
            message["photo"] = [{**file_json, "width": 800, "height": 600}]
        elif key == "document":
            message["document"] = file_json
        else:
            message[key] = {**file_json, "width": 800, "height": 600, "duration": 1}
        if raw:
            message["caption"] = plain
            self._raw_texts[(chat_id, message["message_id"])] = raw
        if markup is not None:
            message["reply_markup"] = markup
        self._sent.append(
            SentMessage(
                method=method,
                chat_id=chat_id,
                message_id=message["message_id"],
                text=raw,
                parse_mode=params.get("parse_mode"),
                reply_markup=markup,
                plain_text=plain,
                media_bytes=size,
                params={k: v for k, v in params.items() if not isinstance(v, UploadedFile)},
                thread_id=thread,
            )
        )
        return message

    def _message_to_edit(self, params: JSONDict) -> tuple[int | str, JSONDict]:
        if params.get("inline_message_id"):
            raise _bad_request("inline messages are not supported by the fake")
        chat_id = self._target_chat(params)
        message = self._messages.get((chat_id, int(params.get("message_id") or 0)))
        if message is None:
            raise _bad_request("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise _bad_request("message can't be edited")
        return chat_id, message

    def _edit_message_text(self, params: JSONDict) -> JSONDict:
        chat_id, message = self._message_to_edit(params)
        raw, plain = self._formatted(params, "text", MAX_MESSAGE_LENGTH, "message is too long")
        if not plain.strip():
            raise _bad_request("message text is empty")
        if "text" not in message:
            raise _bad_request("there is no text in the message to edit")
        return self._edit_words(
            "editMessageText", chat_id, message, params, raw=raw, plain=plain, field="text"
        )

    def _edit_words(
        self,
        method: str,
        chat_id: int | str,
        message: JSONDict,
        params: JSONDict,
        *,
        raw: str,
        plain: str,
        field: str,
    ) -> JSONDict:
        """Record a new text or caption, unless it and the buttons are what they were."""
        markup = self._check_markup(params)
        old_raw = self._raw_texts.get((chat_id, message["message_id"]), message.get(field))
        if old_raw == raw and message.get("reply_markup") == markup:
            raise _bad_request(NOT_MODIFIED)
        return self._record_edit(
            method,
            chat_id=chat_id,
            message=message,
            params=params,
            raw=raw,
            plain=plain,
            markup=markup,
        )

    def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict:
        chat_id, message = self._message_to_edit(params)
        markup = self._check_markup(params)
        if message.get("reply_markup") == markup:
            raise _bad_request(NOT_MODIFIED)
        plain = str(message.get("text", message.get("caption", "")))
        raw = self._raw_texts.get((chat_id, message["message_id"]), plain)
        return self._record_edit(
            "editMessageReplyMarkup",
            chat_id=chat_id,
            message=message,
            params=params,
            raw=raw,
            plain=plain,
            markup=markup,
        )

    def _edit_message_caption(self, params: JSONDict) -> JSONDict:
        chat_id, message = self._message_to_edit(params)
        if not any(key in message for key in _MEDIA_METHODS.values()):
            raise _bad_request("there is no caption in the message to edit")
        raw, plain = self._formatted(
            params, "caption", MAX_CAPTION_LENGTH, "message caption is too long"
        )
        return self._edit_words(
            "editMessageCaption", chat_id, message, params, raw=raw, plain=plain, field="caption"
        )

    def _edit_message_media(self, params: JSONDict) -> JSONDict:
        chat_id, message = self._message_to_edit(params)
        media = params.get("media")
        if not isinstance(media, dict) or media.get("type") not in ("photo", "document"):
            raise _bad_request("can't parse InputMedia JSON object")
        kind = str(media["type"])
        if "text" in message:
            raise _bad_request("there is no media in the message to edit")
        reference = media.get("media")
        upload = (
            params.get(reference.removeprefix("attach://"))
            if isinstance(reference, str) and reference.startswith("attach://")
            else None
        )
        if not isinstance(upload, UploadedFile):
            raise _bad_request("wrong file identifier/HTTP URL specified")
        raw, plain = self._formatted(
            media, "caption", MAX_CAPTION_LENGTH, "message caption is too long"
        )
        for key in _MEDIA_METHODS.values():
            message.pop(key, None)
        file_id = f"fake-{kind}-{chat_id}-{message['message_id']}-{len(self._edits)}"
        file_json: JSONDict = {
            "file_id": file_id,
            "file_unique_id": file_id[-16:],
            "file_size": len(upload.data),
        }
        message[kind] = (
            [{**file_json, "width": 800, "height": 600}] if kind == "photo" else file_json
        )
        edited = self._record_edit(
            "editMessageMedia",
            chat_id=chat_id,
            message=message,
            params={**params, "caption": raw},
            raw=raw,
            plain=plain,
            markup=self._check_markup(params),
        )
        self._edits[-1] = dataclasses.replace(self._edits[-1], media_bytes=len(upload.data))
        return edited

    def _record_edit(
        self,
        method: str,
        *,
        chat_id: int | str,
        message: JSONDict,
        params: JSONDict,
        raw: str,
        plain: str,
        markup: JSONDict | None,
    ) -> JSONDict:
        if method == "editMessageText":
            message["text"] = plain
            self._raw_texts[(chat_id, message["message_id"])] = raw
        elif method in ("editMessageCaption", "editMessageMedia"):
            if raw:
                message["caption"] = plain
            else:
                message.pop("caption", None)
            self._raw_texts[(chat_id, message["message_id"])] = raw
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        self._edits.append(
            SentMessage(
                method=method,
                chat_id=chat_id,
                message_id=message["message_id"],
                text=raw,
                parse_mode=params.get("parse_mode"),
                reply_markup=markup,
                plain_text=plain,
                params=dict(params),
            )
        )
        return message

    def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._callback_queries:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise _bad_request("MESSAGE_TOO_LONG")
        self._callback_answers.append(dict(params))
        return True

    def _delete_message(self, params: JSONDict) -> bool:
        chat_id = _norm_chat_id(params.get("chat_id"))
        chat = self._group_check(chat_id)
        message_id = int(params.get("message_id") or 0)
        if (chat_id, message_id) not in self._messages:
            raise _bad_request("message to delete not found")
        if chat["type"] != "private" and not self._can_delete.get(chat_id, False):
            raise _bad_request("message can't be deleted")
        del self._messages[(chat_id, message_id)]
        self._raw_texts.pop((chat_id, message_id), None)
        self._deleted.append((chat_id, message_id))
        return True

    def _group_check(self, chat_id: int | str) -> JSONDict:
        chat = self._chat_json(chat_id)
        if chat["type"] != "private" and chat_id in self._gone:
            raise _ApiError(403, self._gone[chat_id])
        return chat

    def _get_chat(self, params: JSONDict) -> JSONDict:
        chat = self._group_check(_norm_chat_id(params.get("chat_id")))
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _get_chat_member(self, params: JSONDict) -> JSONDict:
        chat_id = _norm_chat_id(params.get("chat_id"))
        self._group_check(chat_id)
        user_id = int(params.get("user_id") or 0)
        if user_id == self.bot_id:
            return self._bot_member(chat_id)
        user = self._users.get(user_id)
        user_json = (
            self._user_json(user)
            if user is not None
            else {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        )
        status = self._admins.get(chat_id, {}).get(user_id, "member")
        return self._member_json(user_json, status)

    def _get_chat_administrators(self, params: JSONDict) -> list[JSONDict]:
        chat_id = _norm_chat_id(params.get("chat_id"))
        chat = self._group_check(chat_id)
        if chat["type"] == "private":
            raise _bad_request("there are no administrators in the private chat")
        admins = [
            self._member_json(self._user_json(self._users[user_id]), status)
            for user_id, status in self._admins.get(chat_id, {}).items()
            if user_id in self._users
        ]
        if self._bot_status(chat_id) == "administrator":
            admins.append(self._bot_member(chat_id))
        return admins

    def _leave_chat(self, params: JSONDict) -> bool:
        chat_id = _norm_chat_id(params.get("chat_id"))
        chat = self._group_check(chat_id)
        if chat["type"] == "private":
            raise _bad_request("chat member status can't be changed in private chats")
        old = self._bot_status(chat_id)
        self._gone[chat_id] = f"Forbidden: bot is not a member of the {chat['type']} chat"
        change = {
            "chat": chat,
            "from": self._bot_json(),
            "date": int(time.time()),
            "old_chat_member": self._member_json(self._bot_json(), old),
            "new_chat_member": self._member_json(self._bot_json(), "left"),
        }
        self._enqueue("my_chat_member", change)
        return True

    def _pin_rights(self, chat_id: int | str) -> None:
        chat = self._chat_json(chat_id)
        if chat["type"] != "private" and not self._can_pin.get(chat_id, False):
            raise _ApiError(400, NO_PIN_RIGHTS)

    def _pin_chat_message(self, params: JSONDict) -> bool:
        chat_id = self._target_chat(params)
        message_id = int(params.get("message_id") or 0)
        if (chat_id, message_id) not in self._messages:
            raise _bad_request("message to pin not found")
        self._pin_rights(chat_id)
        pins = self._pinned.setdefault(chat_id, [])
        if message_id in pins:
            pins.remove(message_id)
        pins.append(message_id)
        return True

    def _unpin_chat_message(self, params: JSONDict) -> bool:
        chat_id = self._target_chat(params)
        self._pin_rights(chat_id)
        pins = self._pinned.setdefault(chat_id, [])
        message_id = params.get("message_id")
        if message_id is None:  # the most recent pin
            if pins:
                pins.pop()
            return True
        if (chat_id, int(message_id)) not in self._messages:
            raise _bad_request("message to unpin not found")
        if int(message_id) in pins:
            pins.remove(int(message_id))
        return True
