"""Skycore "sendSMS" (API v1.3): ``POST /skycore/v1/sendsms`` with the XML in the form variable ``xml``.

Skycore's HTTP API v1.3 takes a POST "with XML data passed inside an 'xml'
variable" (https://www.skycore.com/help/skycore-http-v1-3/): the body is
``application/x-www-form-urlencoded`` and ``xml`` holds the ``<REQUEST>``
document. Anything else (a raw XML body, no ``xml`` variable) is E100, as
Skycore's E100 text says ("send valid XML inside 'xml' field via POST").

The key travels inside the XML (``<API_KEY>``), so every answer, a wrong
key included, is HTTP 200 with ``<STATUS>`` telling success from failure.
Codes keep Skycore's meanings (:mod:`.skycore_codes`): E102 no key, E104
a wrong key, E101 a wrong action, E108 unparsable XML, E201 no receiver,
E712 no text, E110 a bad receiver, E111 a bad sender.

A number listed in ``SandboxAccounts.rejections`` is answered with the code
given there.

Element names are matched without regard to case, values are stripped of
surrounding blanks except ``<TEXT>``, which is kept exactly. The XML is
parsed with defusedxml: a DTD or an entity declaration is refused (``E108``).

Answers, on one line, without an XML declaration::

    <RESPONSE><STATUS>Success</STATUS><TRACKINGID>SMS_7</TRACKINGID><TO>15551234888</TO></RESPONSE>
    <RESPONSE><STATUS>Failure</STATUS><ERRORCODE>E111</ERRORCODE><ERRORINFO>Invalid Sender.</ERRORINFO><TO>15551234888</TO></RESPONSE>
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from urllib.parse import parse_qs
from xml.etree.ElementTree import ParseError
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from smsspec.sandbox.exchange import Reply, Request
from smsspec.sandbox.providers import skycore_codes as codes
from smsspec.sandbox.providers.base import (
    Accepted,
    Fate,
    Notification,
    Outcome,
    ProviderContext,
    Receipts,
    xml_reply,
)

PATH = "/skycore/v1/sendsms"
FORM_TYPE = "application/x-www-form-urlencoded"
FORM_FIELD = "xml"
NOT_A_REQUEST = "Invalid request. Send valid XML inside the 'xml' field via POST."
_TRACKING = itertools.count(1)


def failure(code: str, info: str, to: str) -> Reply:
    return xml_reply(
        200,
        "<RESPONSE><STATUS>Failure</STATUS>"
        f"<ERRORCODE>{escape(code)}</ERRORCODE><ERRORINFO>{escape(info)}</ERRORINFO>"
        f"<TO>{escape(to)}</TO></RESPONSE>",
    )


def success(tracking_id: str, to: str) -> Reply:
    return xml_reply(
        200,
        "<RESPONSE><STATUS>Success</STATUS>"
        f"<TRACKINGID>{escape(tracking_id)}</TRACKINGID><TO>{escape(to)}</TO></RESPONSE>",
    )


def _document(request: Request) -> bytes | None:
    """The XML in the form variable ``xml``, or None when the request does not carry one."""
    media = (request.header("content-type") or "").split(";")[0].strip().lower()
    if media != FORM_TYPE:
        return None
    try:
        form = parse_qs(request.body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    values = form.get(FORM_FIELD, [])
    if len(values) != 1 or not values[0].strip():
        return None
    return values[0].encode("utf-8")


def _fields(document: bytes) -> dict[str, str] | str:
    """The children of ``<REQUEST>`` by upper-cased name, or why there are none."""
    try:
        root = fromstring(document, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError):
        return "XML Parse error: the document is not acceptable XML."
    if root.tag.upper() != "REQUEST":
        return "XML Parse error: the root element must be REQUEST."
    fields: dict[str, str] = {}
    for child in root:
        name = str(child.tag).upper()
        if name in fields:
            return f"XML Parse error: element {name} is repeated."
        fields[name] = "".join(child.itertext())
    return fields


def handle(request: Request, ctx: ProviderContext) -> Outcome:
    document = _document(request)
    if document is None:
        return Outcome(failure(codes.NOT_A_REQUEST, NOT_A_REQUEST, ""))
    fields = _fields(document)
    if isinstance(fields, str):
        return Outcome(failure(codes.XML_PARSE, fields, ""))
    to = fields.get("TO", "").strip()
    key = fields.get("API_KEY", "").strip()
    if not key:
        return Outcome(failure(*codes.NO_KEY, to))
    if key != ctx.accounts.api_key:
        return Outcome(failure(*codes.BAD_KEY, to))
    if fields.get("ACTION", "").strip().lower() != "sendsms":
        return Outcome(failure(codes.BAD_ACTION, "'action' required/Invalid Action", to))
    if not to:
        return Outcome(failure(*codes.NO_RECIPIENT, to))
    if not fields.get("TEXT", "").strip():
        return Outcome(failure(*codes.NO_TEXT, to))
    sender = fields.get("FROM", "").strip()
    if codes.RECIPIENT.fullmatch(to) is None:
        return Outcome(failure(*codes.BAD_RECIPIENT, to))
    if codes.SENDER.fullmatch(sender) is None:
        return Outcome(failure(*codes.BAD_SENDER, to))
    campaign = fields.get("CAMPAIGNREF", "").strip()
    if ctx.setting(codes.CAMPAIGN_CHECK) and not campaign:
        return Outcome(failure(*codes.NO_CAMPAIGN, to))
    refused = codes.refusal(ctx.accounts.rejections, to)
    if refused is not None:
        return Outcome(failure(*refused, to))
    tracking_id = f"SMS_{next(_TRACKING)}"
    spid = fields.get("SPID", "").strip()
    accepted = Accepted(
        recipient=to,
        text=fields["TEXT"],
        state="queued",
        provider_id=tracking_id,
        sender=sender,
        campaign=campaign or None,
        details={"spid": spid} if spid else {},
    )
    return Outcome(success(tracking_id, to), (accepted,))


# delivery receipts -----------------------------------------------------------------
#
# The sendSMS page shows two postbacks per message, and the sandbox posts them
# byte for byte as shown (quirks included: the first's double space and
# upper-case attributes, the second's lower-case attributes, the blank before
# its CREATED value and the blanks before two of its lines), with the
# sandbox's values in place of the example's. The second carries the outcome
# as ``<STATUS PROTOCOL="p" STATUS="s"/>``, read in the SMS protocol code table
# of the v1.3 appendix: 4/0 "Successfully executed", 4/13 "Could not route
# message" for a failed delivery. Both are posted raw, as ``text/xml``.

RECEIPT_TYPE = "text/xml"
DELIVERED_STATUS = ("4", "0")
FAILED_STATUS = ("4", "13")
FAILURE = ("4:13", "Could not route message")
"""The code (``PROTOCOL:STATUS``) and words of a failed delivery."""
_NOTIFICATION_IDS = itertools.count(1)
_HISTORY_IDS = itertools.count(1)

_SENT = (
    '<NOTIFICATION  ID="{id}" CREATED="{created}" >\n'
    "\t<ORIGIN>SMS_MT</ORIGIN>\n"
    "\t<CODE>N201</CODE>\n"
    "\t<BODY>\n"
    "\t<HISTORYID>{history}</HISTORYID>\n"
    "\t<TO>{to}</TO>\n"
    "\t<TRACKINGID>{tracking}</TRACKINGID>\n"
    "\t<TIMESTAMP>{timestamp}</TIMESTAMP>\n"
    "\t</BODY>\n"
    "</NOTIFICATION>"
)
_RECEIPT = (
    '<NOTIFICATION id="{id}" created=" {created}">\n'
    "\t<ORIGIN>SMS_MT</ORIGIN>\n"
    " \t<CODE>N201</CODE>\n"
    "\t<BODY>\n"
    "\t<HISTORYID>{history}</HISTORYID>\n"
    " \t<TO>{to}</TO>\n"
    "\t<TRACKINGID>{tracking}</TRACKINGID>\n"
    '\t<STATUS PROTOCOL="{protocol}" STATUS="{status}"/>\n'
    "\t<TIMESTAMP>{timestamp}</TIMESTAMP>\n"
    "\t</BODY>\n"
    "</NOTIFICATION>"
)


def postgres_time(moment: datetime) -> str:
    """A time as the postbacks write it: ``2011-07-26 10:22:25.262743-04``."""
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    zone = f"{sign}{minutes // 60:02d}" + (f":{minutes % 60:02d}" if minutes % 60 else "")
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") + zone


def sent_notification(number: int, created: str, history: int, to: str, tracking: str, timestamp: str) -> str:
    """The N201 postback "when the SMS is sent"."""
    return _SENT.format(
        id=number, created=escape(created), history=history, to=escape(to),
        tracking=escape(tracking), timestamp=escape(timestamp),
    )


def receipt_notification(
    number: int, created: str, history: int, to: str, tracking: str, status: tuple[str, str], timestamp: str
) -> str:
    """The postback "when we get an SMS delivery receipt"."""
    return _RECEIPT.format(
        id=number, created=escape(created), history=history, to=escape(to), tracking=escape(tracking),
        protocol=status[0], status=status[1], timestamp=escape(timestamp),
    )


def receipts(accepted: Accepted, fate: Fate) -> tuple[Notification, ...]:
    history = next(_HISTORY_IDS)
    tracking = accepted.provider_id or ""
    timestamp = postgres_time(fate.sent_at)
    status = DELIVERED_STATUS if fate.outcome == "delivered" else FAILED_STATUS
    sent = sent_notification(
        next(_NOTIFICATION_IDS), postgres_time(fate.sent_at), history, accepted.recipient, tracking, timestamp
    )
    receipt = receipt_notification(
        next(_NOTIFICATION_IDS), postgres_time(fate.due), history, accepted.recipient, tracking, status, timestamp
    )
    return (
        Notification(sent.encode("utf-8"), RECEIPT_TYPE),
        Notification(receipt.encode("utf-8"), RECEIPT_TYPE),
    )


RECEIPTS = Receipts(FAILURE, receipts)
