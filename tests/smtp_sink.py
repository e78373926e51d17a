"""A real SMTP server on 127.0.0.1 for the delivery tests (aiosmtpd, installed by `make
test-deps`). It prints its port, then stores every message it accepts as OUT/N.json: the envelope
(sender, recipients, the authenticated login) and the message as Python's email package reads it
(headers decoded, every part's content type and decoded text, attachments with file names).

    python3 smtp_sink.py OUT MODE     MODE: accept | refuse-rcpt | refuse-data | auth USER PASSWORD
"""
import email
import json
import os
import socket
import sys
import time
from email import policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

OUT, MODE = sys.argv[1], sys.argv[2]
USER, PASSWORD = (sys.argv[3].encode(), sys.argv[4].encode()) if MODE == "auth" else (None, None)


class Handler:
    def __init__(self):
        self.n = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if MODE == "refuse-rcpt":
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if MODE == "refuse-data":
            return "554 5.7.1 message refused by policy"
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        parts = []
        for part in msg.walk():
            if part.is_multipart():
                continue
            body = part.get_payload(decode=True) or b""
            parts.append({
                "content_type": part.get_content_type(),
                "charset": part.get_content_charset(),
                "disposition": part.get_content_disposition(),
                "filename": part.get_filename(),
                "text": body.decode(part.get_content_charset() or "utf-8", "replace"),
                "bytes": len(body),
            })
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "login": session.authenticated and session.auth_data.login.decode(),
            "subject": str(msg["subject"]),
            "from": str(msg["from"]),
            "to": str(msg["to"]),
            "content_type": msg.get_content_type(),
            "parts": parts,
        }
        self.n += 1
        tmp = os.path.join(OUT, "%d.tmp" % self.n)
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(OUT, "%d.json" % self.n))
        return "250 2.0.0 queued as test-%d" % self.n


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER and auth_data.password == PASSWORD
    return AuthResult(success=ok, auth_data=auth_data)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


port = free_port()
kwargs = {}
if MODE == "auth":
    kwargs = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}
controller = Controller(Handler(), hostname="127.0.0.1", port=port, **kwargs)
controller.start()
print(port, flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
