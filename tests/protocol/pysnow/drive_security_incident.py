"""Drive the ServiceNow emulator's Security Incident Response table with pysnow, signed in with
an API key, the way a security team's integration would.

Usage: drive_security_incident.py HOST:PORT API_KEY CORRELATION_ID

Signs in with the key in the x-sn-apikey header (a requests session handed to pysnow), reads
the sn_si_incident states and closure codes from sys_choice (their values are the instance's,
not documented), creates a security incident, moves it to Review, closes it with a closure code
and checks that the close is refused outside Review. Prints the record's sys_id on the last line
of stdout; exits non-zero with the reason on stderr on any mismatch or client error.
"""

import sys

import pysnow
import requests


def check(condition, message):
    if not condition:
        sys.stderr.write("MISMATCH: %s\n" % message)
        sys.exit(1)


def choices(client, element):
    rows = client.resource(api_path="/table/sys_choice").get(
        query={"name": "sn_si_incident", "element": element}
    ).all()
    return {row["label"]: row["value"] for row in rows}


def main():
    host, api_key, correlation_id = sys.argv[1:4]
    session = requests.Session()
    session.headers.update({"x-sn-apikey": api_key})
    client = pysnow.Client(host=host, session=session, use_ssl=False)
    states = choices(client, "state")
    for label in ("Draft", "Analysis", "Review", "Closed", "Cancelled"):
        check(label in states, "no %s state in sys_choice: %r" % (label, states))
    codes = list(choices(client, "close_code").values())
    check(codes, "no closure codes in sys_choice")

    incidents = client.resource(api_path="/table/sn_si_incident")
    created = incidents.create(
        payload={
            "short_description": "Password spray against 40 accounts",
            "correlation_id": correlation_id,
            "work_notes": "raised by pysnow",
        }
    ).one()
    sys_id = created["sys_id"]
    check(created["number"].startswith("SIR"), "number %r" % created["number"])
    check(created["state"] == states["Draft"], "state on create %r" % created["state"])

    try:
        incidents.update(
            query={"sys_id": sys_id},
            payload={"state": states["Closed"], "close_code": codes[0], "close_notes": "n"},
        ).one()
        check(False, "a close outside Review was accepted")
    except (pysnow.exceptions.ResponseError, requests.exceptions.HTTPError) as error:
        check("Operation Failed" in str(error) or "403" in str(error), "refusal: %r" % error)

    reviewed = incidents.update(query={"sys_id": sys_id}, payload={"state": states["Review"]}).one()
    check(reviewed["state"] == states["Review"], "state after review %r" % reviewed["state"])
    closed = incidents.update(
        query={"sys_id": sys_id},
        payload={"state": states["Closed"], "close_code": codes[0], "close_notes": "contained"},
    ).one()
    check(closed["state"] == states["Closed"], "state after close %r" % closed["state"])
    check(closed["active"] == "false", "a closed security incident is inactive")
    check(closed["close_code"] == codes[0], "closure code %r" % closed["close_code"])
    print(sys_id)


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception as error:  # any client error fails the test with its reason
        sys.stderr.write("pysnow error: %r\n" % (error,))
        sys.exit(2)
