#!/usr/bin/env python3
"""Writes the seed inputs of tests/fuzz/corpus/<target>/ (run from anywhere; needs openssl).

  tests/fuzz/make_corpus.py               every target
  tests/fuzz/make_corpus.py abm apns      only these (the signed seeds of the others are made
                                          with a fresh key each run: left alone, they stay as
                                          they are in git)

The hostile plists of tests/fixtures/hostile/ are copied into the plist and checkin corpora,
except deep-100k.* (700 KB each: past libFuzzer's -max_len, and the corpora stay small) and
the two that expand to about 250,000 nodes (shared-refs-24.bplist, too-many-elements.bplist):
each of their mutants costs 50 ms to 1 s under ASan and they brought plist_fuzz down from
about 90,000 to 3,000 executions a second; tests/unit/plist_guard_test.cpp covers them.
"""
import os, plistlib, struct, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
HOSTILE = os.path.join(HERE, "..", "fixtures", "hostile")
UDID = "00008030-001A2B3C4D5E802E"
CMD = "6F3C1E2A-5B4D-4C3B-9A8F-1E2D3C4B5A69"


ONLY = {a[:-5] if a.endswith("_fuzz") else a for a in sys.argv[1:]}
SLOW_HOSTILE = {"shared-refs-24.bplist", "too-many-elements.bplist"}


def write(target, name, data):
    if ONLY and target not in ONLY:
        return
    d = os.path.join(CORPUS, target + "_fuzz")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


messages = {
    "authenticate": {"MessageType": "Authenticate", "UDID": UDID, "Topic": "com.apple.mgmt.External.1",
                     "BuildVersion": "21A329", "OSVersion": "17.0", "ProductName": "iPhone12,1",
                     "SerialNumber": "F2LXJ7ABCDEF", "DeviceName": "iPhone", "Model": "iPhone12,1"},
    "tokenupdate": {"MessageType": "TokenUpdate", "UDID": UDID, "Topic": "com.apple.mgmt.External.1",
                    "PushMagic": "2E1F3A4B-1111-2222-3333-444455556666", "Token": b"\x01" * 32,
                    "UnlockToken": b"\x02" * 64, "AwaitingConfiguration": False},
    "tokenupdate-user": {"MessageType": "TokenUpdate", "UDID": UDID,
                         "UserID": "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", "UserShortName": "appleseed",
                         "Topic": "com.apple.mgmt.External.1", "PushMagic": "x", "Token": b"\x03" * 32},
    "checkout": {"MessageType": "CheckOut", "UDID": UDID, "Topic": "com.apple.mgmt.External.1"},
    "idle": {"Status": "Idle", "UDID": UDID},
    "acknowledged": {"Status": "Acknowledged", "UDID": UDID, "CommandUUID": CMD,
                     "QueryResponses": {"DeviceName": "iPhone", "BatteryLevel": 0.5, "IsSupervised": True}},
    "error": {"Status": "Error", "UDID": UDID, "CommandUUID": CMD,
              "ErrorChain": [{"ErrorCode": 4001, "ErrorDomain": "MCProfileErrorDomain",
                              "LocalizedDescription": "The profile is invalid.", "USEnglishDescription": "x"}]},
    "notnow": {"Status": "NotNow", "EnrollmentID": "ENR-1234", "CommandUUID": CMD},
}
for name, m in messages.items():
    for fmt, ext in ((plistlib.FMT_XML, "xml"), (plistlib.FMT_BINARY, "bplist")):
        b = plistlib.dumps(m, fmt=fmt)
        write("checkin", f"{name}.{ext}", b)
        write("plist", f"{name}.{ext}", b)

for f in sorted(os.listdir(HOSTILE)):
    if f.endswith((".xml", ".bplist")) and not f.startswith("deep-100k") and f not in SLOW_HOSTILE:
        for t in ("plist", "checkin"):
            with open(os.path.join(HOSTILE, f), "rb") as src:
                write(t, "hostile-" + f, src.read())

write("json", "device-lock.json", '{"request_type": "DeviceLock", "parameters": {"PIN": "123456", "Message": "Lost"}}')
write("json", "device-information.json",
      '{"request_type": "DeviceInformation", "parameters": {"Queries": ["DeviceName", "OSVersion", "UDID"]}}')
write("json", "install-profile.json",
      '{"request_type": "InstallProfile", "parameters": {"Payload": "PD94bWwgdmVyc2lvbj0iMS4wIj8+"}}')
write("json", "settings.json",
      '{"request_type": "Settings", "parameters": {"Settings": [{"Item": "DeviceName", "DeviceName": "x"},'
      ' {"Item": "DataRoaming", "Enabled": false}]}}')
write("json", "schedule-os-update.json",
      '{"request_type": "ScheduleOSUpdate", "parameters": {"Updates": [{"ProductKey": "iOS17.1", '
      '"InstallAction": "Default", "MaxUserDeferrals": 3}]}, "enrollment_ids": ["' + UDID + '"]}')
write("json", "misc.json", '[1, -2.5e300, true, null, "\\u00e9\\ud83d\\ude00", {"a": {}}]')

write("config", "full.conf", "# mdm.conf\ndatabase = host=/tmp dbname=mdm\nsocket = /run/x.sock\n"
      "socket_mode = 0600\nworkers = 4\nthreads = 8\nrequest_cpu_seconds = 10\n"
      "statement_timeout_seconds = 25\nlog_level = debug\nadmin_api_key = k=with=equals\n"
      "max_body_bytes = 1000\nclient_cert_sources = signature\n")
write("config", "minimal.conf", "database = dbname=mdm\n")
write("config", "tcp.conf", "database = dbname=mdm\nsocket = :9000\nlog_level = warning\n")

profile = {
    "PayloadType": "Configuration", "PayloadVersion": 1, "PayloadIdentifier": "com.example.wifi",
    "PayloadUUID": "8A1B2C3D-0000-4000-8000-000000000001", "PayloadDisplayName": "Wi-Fi",
    "PayloadContent": [{"PayloadType": "com.apple.wifi.managed", "PayloadVersion": 1,
                        "PayloadIdentifier": "com.example.wifi.1",
                        "PayloadUUID": "8A1B2C3D-0000-4000-8000-000000000002",
                        "SSID_STR": "$$ssid$$", "Password": "$$wifi_password$$", "EncryptionType": "WPA2"}],
}
xml = plistlib.dumps(profile)
write("profile", "wifi.mobileconfig", xml)
write("profile", "wifi-binary.mobileconfig", plistlib.dumps(profile, fmt=plistlib.FMT_BINARY))

# Signed inputs: a throwaway self-signed key (not kept) signs the profile (attached), a body
# (detached, as in Mdm-Signature) and a CSR-like blob (a PKCS#7 SignedData, as SCEP posts).
with tempfile.TemporaryDirectory() as tmp:
    def run(*args, inp=None):
        return subprocess.run(["openssl", *args], input=inp, check=True, capture_output=True,
                              cwd=tmp).stdout
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem", "-out", "c.pem",
        "-subj", "/CN=fuzz seed", "-days", "3650")
    write("profile", "wifi-signed.mobileconfig",
          run("smime", "-sign", "-nodetach", "-binary", "-outform", "DER", "-signer", "c.pem",
              "-inkey", "k.pem", inp=xml))
    body = plistlib.dumps(messages["idle"])
    write("cms", "detached.der", run("cms", "-sign", "-binary", "-outform", "DER", "-signer", "c.pem",
                                     "-inkey", "k.pem", inp=body))
    write("cms", "detached-sha1.der", run("cms", "-sign", "-binary", "-md", "sha1", "-outform", "DER",
                                          "-signer", "c.pem", "-inkey", "k.pem", inp=body))
    csr = run("req", "-new", "-key", "k.pem", "-subj", "/CN=device", "-outform", "DER")
    write("scep", "pkcsreq-like.der", run("smime", "-sign", "-nodetach", "-binary", "-outform", "DER",
                                          "-signer", "c.pem", "-inkey", "k.pem", inp=csr))
    write("scep", "cms-detached.der", run("cms", "-sign", "-binary", "-outform", "DER", "-signer", "c.pem",
                                          "-inkey", "k.pem", inp=csr))

# ADE: the machine info a device POSTs to /profile (as Apple documents it), plain and signed.
# The throwaway signer does not chain to Apple's root CA: the seed takes the verifier as far as
# the chain check; the plain forms feed ReadAdeMachineInfo.
machine_info = {"SERIAL": "F2LXJ7ABCDEF", "UDID": UDID, "PRODUCT": "iPhone12,1", "VERSION": "21A329",
                "IMEI": "35 288406 123456 7", "MEID": "35288406123456", "LANGUAGE": "en-US"}
write("ade", "machine-info.xml", plistlib.dumps(machine_info))
write("ade", "machine-info.bplist", plistlib.dumps(machine_info, fmt=plistlib.FMT_BINARY))
write("ade", "serial-only.xml", plistlib.dumps({"SERIAL": "C02XL0GXJGH5"}))
if not ONLY or "ade" in ONLY:
    with tempfile.TemporaryDirectory() as tmp:
        def ossl(*args, inp=None):
            return subprocess.run(["openssl", *args], input=inp, check=True, capture_output=True, cwd=tmp).stdout
        ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem", "-out", "c.pem",
             "-subj", "/CN=Apple iPhone Device CA fuzz seed", "-days", "3650")
        write("ade", "machine-info-signed.der",
              ossl("smime", "-sign", "-nodetach", "-binary", "-outform", "DER", "-signer", "c.pem",
                   "-inkey", "k.pem", inp=plistlib.dumps(machine_info)))

# Admin API: "METHOD /path?query", Content-Type, Authorization, then the body (admin_fuzz.cpp).
def admin(name, request_line, content_type="", body=b"", auth="Bearer fuzz-admin-key"):
    head = "\n".join([request_line, content_type, auth]) + "\n"
    write("admin", name, head.encode() + (body if isinstance(body, bytes) else body.encode()))


admin("devices", "GET /devices")
admin("device", f"GET /devices/{UDID}", auth="bearer   fuzz-admin-key")
admin("device-escaped", "GET /devices/user%2F" + UDID + "%3A%C3%A9", auth="")
admin("history", f"GET /devices/{UDID}/commands?status=Pending&limit=10&offset=20")
admin("history-all", f"GET /devices/{UDID}/commands?status=&limit=1000&offset=0&x")
admin("command", f"GET /commands/{CMD}")
admin("groups", "GET /groups")
admin("profiles", "GET /profiles")
admin("apps", "GET /apps")
admin("declarations", "GET /declarations")
admin("not-post", "GET /commands")
admin("json-lock", "POST /commands?nopush=1", "application/json",
      '{"enrollment_ids": ["' + UDID + '"], "request_type": "DeviceLock", '
      '"parameters": {"PIN": "123456", "Message": "Lost"}, "priority": 5, "force": false}')
admin("json-info", "POST /commands", "application/json; charset=utf-8",
      '{"enrollment_ids": ["A", "B"], "request_type": "DeviceInformation", '
      '"parameters": {"Queries": ["DeviceName", "OSVersion"]}}')
admin("json-settings", "POST /commands?nopush", "application/json",
      '{"enrollment_ids": ["' + UDID + '"], "request_type": "Settings", "force": true, "parameters": '
      '{"Settings": [{"Item": "DeviceName", "DeviceName": "x"}, {"Item": "DataRoaming", "Enabled": false}]}}')
command_plist = {"RequestType": "DeviceInformation", "Queries": ["DeviceName", "UDID", "BatteryLevel"]}
admin("plist-info", f"POST /commands?enrollment_id={UDID},B&enrollment_id=user%2FC&force=1",
      "application/x-plist", plistlib.dumps(command_plist))
admin("plist-binary", "POST /commands?enrollment_id=A&nopush=true", "text/xml",
      plistlib.dumps({"RequestType": "RestartDevice", "NotifyUser": True}, fmt=plistlib.FMT_BINARY))
admin("plist-xml", "POST /commands?enrollment_id=A", "application/xml",
      plistlib.dumps({"RequestType": "InstallProfile", "Payload": b"<?xml version=\"1.0\"?>"}))
admin("octet-stream", "POST /commands", "application/octet-stream", "{}")

# ABM/ASM: answers shaped as Apple documents them (device enrollment API, X-Server-Protocol-Version 3).
write("abm", "session.json", '{"auth_session_token": "87a235815b8d6661ac73329f75815b8a"}')
write("abm", "account.json", (
    '{"server_name": "MDM server", "server_uuid": "677cd78a-1a44-4b9b-b3ae-5e47ab3b6d3b", '
    '"admin_id": "admin@example.com", "facilitator_id": "admin@example.com", "org_name": "Example School", '
    '"org_email": "it@example.com", "org_phone": "+1 555 0100", "org_address": "1 Infinite Loop", '
    '"org_type": "edu", "org_version": "v2", "org_id": "2000512", "org_id_hash": "7c3b1a", '
    '"urls": [{"uri": "https://mdmenrollment.apple.com/server/devices", "http_method": ["POST"], '
    '"limit": {"default": 100, "maximum": 1000}}]}'))
device = ('{"serial_number": "C8TJ500QF1MN", "model": "IPAD", "description": "IPAD WI-FI 16GB", '
          '"color": "BLACK", "asset_tag": "233", "profile_status": "empty", "device_assigned_date": '
          '"2013-11-20T22:09:14Z", "device_assigned_by": "admin@example.com", "os": "iOS", "device_family": "iPad"')
write("abm", "fetch-page.json", '{"devices": [' + device + '}, ' + device.replace("C8TJ500QF1MN", "C8TJ500QF1MP")
      + ', "profile_uuid": "88e0c6f8d6c04f8b8a3e2b1c0d9e8f7a"}], "more_to_follow": true, '
      '"cursor": "MTY5NzE2OTQ4OTA", "fetched_until": "2023-10-13T04:04:49Z"}')
write("abm", "sync-page.json", '{"devices": [' + device + ', "op_type": "added", "op_date": "2023-10-13T05:00:00Z"}, '
      '{"serial_number": "C8TJ500QF1MQ", "op_type": "deleted", "op_date": "2023-10-13T05:01:00Z"}], '
      '"more_to_follow": false, "cursor": "MTY5NzE2OTQ4OTE"}')
write("abm", "empty-page.json", '{"more_to_follow": false, "cursor": ""}')
write("abm", "exhausted-cursor.txt", "EXHAUSTED_CURSOR")
write("abm", "expired-cursor.txt", "EXPIRED_CURSOR")
write("abm", "invalid-cursor.json", '{"code": "INVALID_CURSOR", "message": "Cursor is invalid"}')
write("abm", "profile-defined.json", '{"profile_uuid": "88e0c6f8d6c04f8b8a3e2b1c0d9e8f7a", '
      '"devices": {"C8TJ500QF1MN": "SUCCESS"}}')
write("abm", "profile-assigned.json", '{"profile_uuid": "88e0c6f8d6c04f8b8a3e2b1c0d9e8f7a", "devices": '
      '{"C8TJ500QF1MN": "SUCCESS", "C8TJ500QF1MP": "NOT_ACCESSIBLE", "C8TJ500QF1MQ": "FAILED"}}')
write("abm", "forbidden.txt", "FORBIDDEN")
write("abm", "retry-after.txt", "Retry-After: 120\r\n")
write("abm", "retry-after-date.txt", "retry-after: Wed, 21 Oct 2015 07:28:00 GMT\r\n")
write("abm", "session-header.txt", "X-ADM-Auth-Session: 87a235815b8d6661ac73329f75815b8a\r\n")
write("abm", "seconds.txt", "7")


# Apps and Books (v2) answers and the .vpptoken file.
import base64
write("vpp", "token.vpptoken", base64.b64encode(
    b'{"token":"VGhpcyBpcyBhIHRva2Vu","expDate":"2030-11-08T22:33:22+0000","orgName":"Example School"}'))
write("vpp", "assets.json", '{"assets":[{"adamId":"361309726","assignedCount":1,"availableCount":2,'
      '"deviceAssignable":true,"pricingParam":"STDQ","productType":"App","retiredCount":0,"revocable":true,'
      '"supportedPlatforms":["iOS","macOS"],"totalCount":3}],"currentPageIndex":0,"nextPageIndex":1,"size":1,'
      '"totalPages":2,"versionId":"v1","tokenExpirationDate":"2030-11-08T22:33:22+0000","uId":"2049025000431439"}')
write("vpp", "assignments.json", '{"assignments":[{"adamId":"361309726","pricingParam":"STDQ","serialNumber":'
      '"C02XK1ABCDEF"},{"adamId":"1","pricingParam":"STDQ","clientUserId":"u-1"}],"currentPageIndex":0,'
      '"size":2,"totalPages":1}')
write("vpp", "event.json", '{"eventId":"ed3edfc3-e617-465e-b309-a17925266e14","tokenExpirationDate":'
      '"2030-11-08T22:33:22+0000","uId":"2049025000431439"}')
write("vpp", "status-failed.json", '{"eventStatus":"FAILED","eventType":"ASSOCIATE","numCompleted":1,'
      '"numRequested":3,"failures":[{"errorNumber":9709,"errorMessage":"Not enough licenses",'
      '"errorInfo":{"assets":[{"adamId":"361309726","pricingParam":"STDQ"}],"serialNumbers":["A","B"]}}]}')
write("vpp", "status-pending.json", '{"eventStatus":"PENDING","eventType":"DISASSOCIATE","numCompleted":0,'
      '"numRequested":1}')
write("vpp", "client-config.json", '{"locationName":"Main","countryISO2ACode":"US","uId":"2049025000431439",'
      '"mdmInfo":{"id":"X","metadata":"m","name":"Other MDM"},"tokenExpirationDate":"2030-11-08T22:33:22Z"}')
write("vpp", "service-config.json", '{"limits":{"maxAssets":25,"maxSerialNumbers":1000,"maxClientUserIds":1000},'
      '"errorCodes":[{"errorNumber":9601,"errorMessage":"Login required."}]}')
write("vpp", "error.json", '{"errorNumber":9621,"errorMessage":"The token has expired."}')
write("vpp", "date.txt", "2030-11-08T23:33:22.123+01:00")


# APNs: two bytes of status (see apns_fuzz.cpp), then the body.
def apns(name, status, body=""):
    write("apns", name, struct.pack(">H", status - 100) + body.encode())


apns("sent", 200)
apns("sent-id", 200, "apns-id: 8a2f3b4c-1d2e-4f5a-9b8c-7d6e5f4a3b2c\r\n")
apns("bad-device-token", 400, '{"reason": "BadDeviceToken"}')
apns("unregistered", 410, '{"reason": "Unregistered", "timestamp": 1700000000000}')
apns("bad-certificate", 403, '{"reason": "BadCertificate"}')
apns("wrong-environment", 403, '{"reason": "BadCertificateEnvironment"}')
apns("topic", 400, '{"reason": "DeviceTokenNotForTopic"}')
apns("throttled", 429, '{"reason": "TooManyRequests"}')
apns("unavailable", 503, '{"reason": "ServiceUnavailable"}')
apns("payload", 413, '{"reason": "PayloadTooLarge"}')
apns("not-apns", 404, "<html><body>Not Found</body></html>")
apns("no-reason", 400, '{"error": "x"}')
