"""Skycore "sendSMS" (API v1): ``POST /skycore/v1/sendsms`` with an XML body.

The key travels inside the body (``<API_KEY>``), so every answer, a wrong
key included, is HTTP 200 with ``<STATUS>`` telling success from failure.
A wrong or missing key is ``E712``: the docs list that code without its
meaning, the sandbox uses it for the key (see :mod:`.skycore_codes`).

Element names are matched without regard to case, values are stripped of
surrounding blanks except ``<TEXT>``, which is kept exactly. The body is
parsed with defusedxml: a DTD or an entity declaration is refused (``E201``).

Answers, on one line, without an XML declaration::

    <RESPONSE><STATUS>Success</STATUS><TRACKINGID>SMS_7</TRACKINGID><TO>15551234888</TO></RESPONSE>
    <RESPONSE><STATUS>Failure</STATUS><ERRORCODE>E111</ERRORCODE><ERRORINFO>Invalid Sender.</ERRORINFO><TO>15551234888</TO></RESPONSE>
"""

from __future__ import annotations

import itertools
from xml.etree.ElementTree import ParseError
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from smsspec.sandbox.exchange import Reply, Request
from smsspec.sandbox.providers import skycore_codes as codes
from smsspec.sandbox.providers.base import Accepted, Outcome, ProviderContext, xml_reply

PATH = "/skycore/v1/sendsms"
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


def _fields(body: bytes) -> dict[str, str] | str:
    """The children of ``<REQUEST>`` by upper-cased name, or why there are none."""
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError):
        return "The request body is not acceptable XML."
    if root.tag.upper() != "REQUEST":
        return "The root element must be REQUEST."
    fields: dict[str, str] = {}
    for child in root:
        name = str(child.tag).upper()
        if name in fields:
            return f"Element {name} is repeated."
        fields[name] = "".join(child.itertext())
    return fields


def handle(request: Request, ctx: ProviderContext) -> Outcome:
    fields = _fields(request.body)
    if isinstance(fields, str):
        return Outcome(failure(codes.BAD_REQUEST, fields, ""))
    to = fields.get("TO", "").strip()
    if fields.get("API_KEY", "").strip() != ctx.accounts.api_key:
        return Outcome(failure(*codes.BAD_KEY, to))
    if fields.get("ACTION", "").strip().lower() != "sendsms":
        return Outcome(failure(codes.BAD_REQUEST, "Unknown action.", to))
    for name in ("TO", "FROM", "TEXT"):
        if not fields.get(name, "").strip():
            return Outcome(failure(codes.BAD_REQUEST, f"Missing mandatory parameter {name}.", to))
    sender = fields["FROM"].strip()
    if codes.RECIPIENT.fullmatch(to) is None:
        return Outcome(failure(*codes.BAD_RECIPIENT, to))
    if codes.SENDER.fullmatch(sender) is None:
        return Outcome(failure(*codes.BAD_SENDER, to))
    campaign = fields.get("CAMPAIGNREF", "").strip()
    if ctx.setting(codes.CAMPAIGN_CHECK) and not campaign:
        return Outcome(failure(*codes.NO_CAMPAIGN, to))
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
