"""Drives the Auditor emulator's NTLM or Negotiate with clients sluice did not write.

NTLM: requests with requests-ntlm (HttpNtlmAuth). Negotiate: pyspnego's SPNEGO client, over
one http.client connection, as RFC 4559 describes the exchange. Each run asks for the first
page of activity_records/enum twice on one connection and prints one JSON object: the
statuses, the WWW-Authenticate headers of every 401, and whether the second request needed a
new handshake.

usage: drive_auth.py ntlm|negotiate URL USER PASSWORD [CA_FILE]
"""

import base64
import http.client
import json
import ssl
import sys
import urllib.parse


def ntlm(url, user, password, ca_file):
    import requests
    from requests_ntlm import HttpNtlmAuth

    session = requests.Session()
    session.auth = HttpNtlmAuth(user, password)
    statuses, challenges = [], []
    for _ in range(2):
        # Per request: a session's `verify` yields to REQUESTS_CA_BUNDLE in the environment.
        response = session.get(url, verify=ca_file or True)
        for step in list(response.history) + [response]:
            if step.status_code == 401:
                challenges.append(step.headers.get("WWW-Authenticate"))
        statuses.append([r.status_code for r in response.history] + [response.status_code])
    return {"statuses": statuses, "challenges": challenges}


def negotiate(url, user, password, ca_file):
    import spnego

    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        context = ssl.create_default_context(cafile=ca_file)
        conn = http.client.HTTPSConnection(parts.hostname, parts.port, context=context)
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port)
    path = parts.path + ("?" + parts.query if parts.query else "")
    client = spnego.client(user, password, hostname=parts.hostname, service="HTTP",
                           protocol="negotiate")

    def get(token=None):
        headers = {"Authorization": "Negotiate " + base64.b64encode(token).decode()} if token else {}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, response.headers.get_all("WWW-Authenticate") or []

    statuses, challenges = [], []
    status, offered = get(client.step())
    challenges.append(offered)
    first = [status]
    if status == 401 and offered and offered[0].startswith("Negotiate "):
        server_token = base64.b64decode(offered[0].split(" ", 1)[1])
        status, final = get(client.step(server_token))
        first.append(status)
        if status == 401:
            challenges.append(final)
        elif final:
            # The server's final SPNEGO token: accept-completed.
            first.append("final:" + final[0].split(" ", 1)[0])
    statuses.append(first)
    # The connection is authenticated: no header this time.
    status, offered = get()
    statuses.append([status])
    if status == 401:
        challenges.append(offered)
    return {"statuses": statuses, "challenges": challenges, "complete": client.complete}


def main():
    scheme, url, user, password = sys.argv[1:5]
    ca_file = sys.argv[5] if len(sys.argv) > 5 else None
    drive = {"ntlm": ntlm, "negotiate": negotiate}[scheme]
    print(json.dumps(drive(url, user, password, ca_file)))


if __name__ == "__main__":
    main()
