"""Drive the ServiceNow emulator with pysnow, a third-party client, the way an integration would.

Usage: drive_incident.py HOST:PORT USER PASSWORD CORRELATION_ID ATTACHMENT_PATH

Creates an incident, finds it again by correlation_id (dict query and QueryBuilder with
ORDERBYDESC), updates it with work notes, reads the journal back in display mode and attaches a
file through the Attachment API. Prints the incident's sys_id on the last line of stdout. Exits
non-zero (with the reason on stderr) on any mismatch or client error, so the Rust test that runs
it fails.
"""

import os
import sys

import pysnow

WORK_NOTE = "first seen by pysnow"


def check(condition, message):
    if not condition:
        sys.stderr.write("MISMATCH: %s\n" % message)
        sys.exit(1)


def main():
    host, user, password, correlation_id, attachment_path = sys.argv[1:6]
    client = pysnow.Client(host=host, user=user, password=password, use_ssl=False)
    incidents = client.resource(api_path="/table/incident")

    created = incidents.create(
        payload={
            "short_description": "disk /var 95% on db-07",
            "correlation_id": correlation_id,
            "correlation_display": "sluice",
            "impact": "2",
            "urgency": "2",
        }
    ).one()
    sys_id = created["sys_id"]
    check(len(sys_id) == 32, "sys_id %r is not 32 hex digits" % sys_id)
    check(created["number"].startswith("INC"), "number %r" % created["number"])
    check(created["priority"] == "3", "priority %r, expected 3 (2 x 2)" % created["priority"])
    check(created["state"] == "1" and created["incident_state"] == "1", "state on create")
    check(created["active"] == "true", "active on create")
    check(created["correlation_id"] == correlation_id, "correlation_id echoed")

    found = incidents.get(query={"correlation_id": correlation_id}).all()
    check(len(found) == 1, "dict query found %d records" % len(found))
    check(found[0]["sys_id"] == sys_id, "dict query found another record")

    newest_first = (
        pysnow.QueryBuilder()
        .field("correlation_id")
        .equals(correlation_id)
        .AND()
        .field("active")
        .equals("true")
        .AND()
        .field("sys_created_on")
        .order_descending()
    )
    found = incidents.get(query=newest_first, limit=1, fields=["sys_id", "number", "state"]).all()
    check(len(found) == 1 and found[0]["sys_id"] == sys_id, "QueryBuilder lookup")
    check(sorted(found[0].keys()) == ["number", "state", "sys_id"], "sysparm_fields honoured")

    updated = incidents.update(query={"sys_id": sys_id}, payload={"work_notes": WORK_NOTE}).one()
    check(updated["work_notes"] == "", "work_notes must read back empty in value mode")
    check(updated["sys_mod_count"] == "1", "sys_mod_count %r after one update" % updated["sys_mod_count"])

    shown = incidents.get(query={"sys_id": sys_id}, display_value=True).one()
    check(WORK_NOTE in shown["work_notes"], "display mode journal: %r" % shown["work_notes"])
    check("(Work notes)" in shown["work_notes"], "journal heading: %r" % shown["work_notes"])

    attached = incidents.attachments.upload(sys_id=sys_id, file_path=attachment_path).one()
    size = os.path.getsize(attachment_path)
    check(attached["table_sys_id"] == sys_id, "attachment target")
    check(attached["table_name"] == "incident", "attachment table")
    check(attached["size_bytes"] == str(size), "size_bytes %r != %d" % (attached["size_bytes"], size))
    check(attached["file_name"] == os.path.basename(attachment_path), "file_name")

    listed = list(incidents.attachments.get(sys_id=sys_id))
    check(len(listed) == 1, "attachment list has %d entries" % len(listed))

    print(sys_id)


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception as error:  # any client error fails the test with its reason
        sys.stderr.write("pysnow error: %r\n" % (error,))
        sys.exit(2)
