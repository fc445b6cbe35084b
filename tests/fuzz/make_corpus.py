#!/usr/bin/env python3
"""Writes the seed inputs of tests/fuzz/corpus/<target>/ (run from anywhere; needs openssl).

The hostile plists of tests/fixtures/hostile/ are copied into the plist and checkin corpora,
except deep-100k.* (700 KB each: past libFuzzer's -max_len, and the corpora stay small).
"""
import os, plistlib, shutil, subprocess, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
HOSTILE = os.path.join(HERE, "..", "fixtures", "hostile")
UDID = "00008030-001A2B3C4D5E802E"
CMD = "6F3C1E2A-5B4D-4C3B-9A8F-1E2D3C4B5A69"


def write(target, name, data):
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
    if f.endswith((".xml", ".bplist")) and not f.startswith("deep-100k"):
        for t in ("plist", "checkin"):
            shutil.copy(os.path.join(HOSTILE, f), os.path.join(CORPUS, t + "_fuzz", "hostile-" + f))

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
