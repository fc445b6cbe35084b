// The verb table. Each verb's body lives in a verbs_<topic>.cpp beside this file.
#include "console.h"

namespace mdm::cli {

int RunMigrate(Context& ctx);
int RunHealth(Context& ctx);
int RunCommandSend(Context& ctx);
int RunDevice(Context& ctx);
int RunSettings(Context& ctx);
int RunVendor(Context& ctx);
int RunApns(Context& ctx);
int RunToken(Context& ctx);
int RunActivationProfile(Context& ctx);
int RunStatus(Context& ctx);
int RunSigningCert(Context& ctx);
int RunPush(Context& ctx);
int RunMdmcron(Context& ctx);
int RunAppleSync(Context& ctx);
int RunGroup(Context& ctx);
int RunProfile(Context& ctx);
int RunApp(Context& ctx);
int RunDeclaration(Context& ctx);
int RunWebhook(Context& ctx);
int RunVpp(Context& ctx);
int RunImport(Context& ctx);
int RunUser(Context& ctx);

const std::vector<Verb>& Verbs() {
  static const std::vector<Verb> verbs = {
      {"migrate", "apply the database migrations not yet applied",
       "usage: mdm-console migrate\n"
       "  Applies every schema migration built into this binary that the database lacks, each in its\n"
       "  own transaction, and prints the schema version. Running it again changes nothing.\n"
       "  Example: mdm-console --config /etc/mdm/mdm.conf migrate\n",
       RunMigrate},
      {"health", "check that the configuration loads and PostgreSQL answers",
       "usage: mdm-console health\n"
       "  Loads the configuration, connects to PostgreSQL and prints the schema version.\n"
       "  Exit status 0 when all is well, 1 otherwise.\n"
       "  Example: mdm-console health && echo ready\n",
       RunHealth},
      {"settings", "set or read the server's settings (api-url, apns-url, abm-url, vpp-url, CA files, timeouts)",
       "usage: mdm-console settings set api-url https://HOST/api-mdm.php\n"
       "       mdm-console settings set apns-url https://api.push.apple.com\n"
       "       mdm-console settings set apns-ca-file FILE.pem\n"
       "       mdm-console settings get [NAME]\n"
       "  api-url is the public URL devices reach; enrollment profiles and the activation profile\n"
       "  use it. It must end with /api-mdm.php; http is accepted with a warning.\n"
       "  apns-url: Apple's push service (default https://api.push.apple.com; the sandbox is\n"
       "  https://api.sandbox.push.apple.com). apns-ca-file: an extra CA to trust for it.\n"
       "       mdm-console settings set abm-url https://mdmenrollment.apple.com\n"
       "       mdm-console settings set abm-ca-file FILE.pem\n"
       "  abm-url / abm-ca-file: Apple's device enrollment API and an extra CA to trust for it.\n"
       "       mdm-console settings set apns-timeout-seconds 30\n"
       "       mdm-console settings set abm-timeout-seconds 120\n"
       "  apns-timeout-seconds (default 30): how long one push may wait for APNs' answer; pushes\n"
       "  go out together, so a silent APNs costs an mdmcron run about this long, then exit 3.\n"
       "  abm-timeout-seconds (default 120): how long one ABM/ASM request may take; applesync\n"
       "  stops at the first one unanswered (exit 1) and the next run continues from its cursor.\n"
       "  Both take whole seconds from 1 to 600 and bound the connect too.\n"
       "       mdm-console settings set vpp-url https://vpp.itunes.apple.com/mdm/v2\n"
       "       mdm-console settings set vpp-ca-file FILE.pem\n"
       "       mdm-console settings set vpp-timeout-seconds 120\n"
       "  vpp-url / vpp-ca-file / vpp-timeout-seconds: Apple's Apps and Books service (licences),\n"
       "  the same way.\n"
       "  get prints every one of these (or the one named).\n"
       "  Example: mdm-console settings set api-url https://mdm.example.com/api-mdm.php\n",
       RunSettings},
      {"vendor", "the MDM vendor certificate (paid Apple developer account)",
       "usage: mdm-console vendor csr [--cn NAME] > vendor.csr\n"
       "       mdm-console vendor cert mdm.cer\n"
       "  csr: makes the vendor key once (RSA-2048, kept in the database) and prints a CSR for it;\n"
       "  upload it at Apple's developer portal (MDM CSR). cert: stores the certificate Apple returns\n"
       "  (DER or PEM) after checking it belongs to the vendor key.\n"
       "  Example: mdm-console vendor csr --cn 'Example Inc MDM' > vendor.csr\n",
       RunVendor},
      {"apns", "the APNs push certificate: request and upload",
       "usage: mdm-console apns csr [--cn NAME] > mdm-apn.csr\n"
       "       mdm-console apns csr --unsigned > push.csr\n"
       "       mdm-console apns cert MDM_Push.pem [--allow-topic-change]\n"
       "  csr: makes the push key once (kept for renewals) and prints the signed request to upload\n"
       "  at Apple's push certificate portal (base64 of a plist: CSR, chain, vendor signature).\n"
       "  --unsigned prints the plain CSR, to have it signed elsewhere.\n"
       "  cert: stores the push certificate (PEM or DER) after checking it matches the push key;\n"
       "  the topic comes from its subject UID. A different topic from the stored one is refused\n"
       "  unless --allow-topic-change (then every device must enroll again).\n"
       "  Example: mdm-console apns cert MDM_Example_Certificate.pem\n",
       RunApns},
      {"token", "the ABM/ASM server token for Automated Device Enrollment",
       "usage: mdm-console token cert > mdm-token-cert.pem\n"
       "       mdm-console token upload MDM_Server_Token_....p7m\n"
       "  cert: makes the token key once and prints the certificate to upload in ABM/ASM.\n"
       "  upload: decrypts the server token ABM/ASM returns, checks it and stores it; prints its expiry.\n"
       "  Example: mdm-console token upload MDM_Server_Token_2026-12-04.p7m\n",
       RunToken},
      {"activation-profile", "the ADE activation profile (JSON) that applesync defines at Apple",
       "usage: mdm-console activation-profile set profile.json | activation-profile get\n"
       "  set: checks the keys and their types (profile_name, url, is_supervised, is_mandatory,\n"
       "  is_mdm_removable, await_device_configured, skip_setup_items, language, region, ...) and that\n"
       "  url is <api-url>/profile, then stores it.\n"
       "  Example: mdm-console activation-profile set activation-profile.json\n",
       RunActivationProfile},
      {"status", "certificate and token expiry, counts, stuck commands; exit 1 if something expired",
       "usage: mdm-console status\n"
       "  Prints api-url, the push topic and expiry, the expiry of the vendor certificate, ABM token,\n"
       "  device CA and profile signing certificate, device and enrollment counts and commands\n"
       "  pending for more than a day; a WARNING line for what\n"
       "  expires within 30 days or is missing. Exit status 1 when something has expired (for\n"
       "  monitoring), else 0.\n"
       "  Example: mdm-console status || mail -s 'MDM certificate expired' admin@example.com\n",
       RunStatus},
      {"push", "wake enrollments now through APNs: those named, or every one with commands waiting",
       "usage: mdm-console push <enrollment-id>...\n"
       "       mdm-console push --pending\n"
       "  Sends one push to each enrollment named that has a live push token; the devices then\n"
       "  check in. --pending: every enrollment with a live push token and commands waiting\n"
       "  (Pending or NotNow), chosen by one statement; run it once what kept pushes from going\n"
       "  out is fixed. Tokens APNs calls dead (410 Unregistered, 400 BadDeviceToken) are not\n"
       "  pushed again until the device's next TokenUpdate.\n"
       "  A failure is named by its cause with its next step: DNS (the host of apns-url does not\n"
       "  resolve), network (APNs unreachable: firewall, proxy), TLS (APNs' certificate not trusted:\n"
       "  apns-ca-file, a proxy), the push certificate refused, or Apple's reason\n"
       "  (BadCertificateEnvironment, TopicDisallowed, TooManyRequests, ...).\n"
       "  Exit status: 0 every push went out (or found its token dead); 1 a wrong argument;\n"
       "  3 pushes failed (the commands stay queued for the devices' next check-in).\n"
       "  Example: mdm-console push --pending\n",
       RunPush},
      {"applesync", "the periodic run (crontab): devices from ABM/ASM, activation profile",
       "usage: mdm-console applesync [--page-size N]\n"
       "  Fetches the devices assigned to this server in ABM/ASM (all of them the first time, then the\n"
       "  changes since the saved cursor), stores them, defines the activation profile at Apple when\n"
       "  it changed (mdm-console activation-profile set) and assigns it to the devices that lack it.\n"
       "  A second run at the same time exits at once. Warns when the server token expires within\n"
       "  30 days.  crontab: */10 * * * * mdm-console applesync\n"
       "  Example: mdm-console applesync --page-size 500\n",
       RunAppleSync},
      {"mdmcron", "the periodic run (crontab): reconcile groups into commands, push what is due",
       "usage: mdm-console mdmcron [--no-push] [--inventory-every SECONDS] [--keep-days N]\n"
       "                           [--pending-after SECONDS] [--wakeup-after SECONDS] [--vpp-wait SECONDS]\n"
       "  First, with an Apps and Books token (mdm-console vpp --help): each device whose groups\n"
       "  carry a --vpp app gets a licence for its serial number (in batches, never more than are\n"
       "  available: the rest are listed as short, in serial-number order), and a device whose app\n"
       "  was removed gives its licence back. It waits up to --vpp-wait (default 10) seconds for\n"
       "  Apple to settle them; the app is installed once the licence is in place.\n"
       "  Reconciles, for all devices at once: what their groups (and the groups' ancestors) carry\n"
       "  minus what they have becomes InstallProfile / RemoveProfile / InstallApplication /\n"
       "  RemoveApplication / DeclarativeManagement commands, without duplicating pending ones;\n"
       "  profiles with $$placeholders$$ a device lacks a value for are held back and listed;\n"
       "  inventory older than --inventory-every (default 86400) is refreshed; ADE devices awaiting\n"
       "  configuration get DeviceConfigured once their profiles were answered; expired commands are\n"
       "  marked, results older than --keep-days (default 30) deleted.\n"
       "  Then pushes every enrollment with new commands; with commands waiting and neither a\n"
       "  contact nor a push for --pending-after (default 3600); that answered NotNow since its last\n"
       "  push; and, once a day, those silent for --wakeup-after (default 86400). One statement\n"
       "  picks them. --no-push skips the pushes. The pushes run even when the reconcile failed.\n"
       "  A PostgreSQL advisory lock keeps two hosts from running it at once.\n"
       "  The last line names both steps: 'mdmcron: reconcile: done, 3 command(s) queued; push:\n"
       "  done, 2 of 2 sent', or on stderr '... push: failed: <the cause and what to do>'.\n"
       "  Exit status: 0 both steps worked (or another host holds the lock); 1 the reconcile failed\n"
       "  (one transaction: nothing of it was queued) or an argument is wrong; 3 the reconcile worked\n"
       "  and only pushes failed (the commands stay queued; the next run pushes again).\n"
       "  crontab: */5 * * * * mdm-console mdmcron\n"
       "  Example: mdm-console mdmcron --no-push\n",
       RunMdmcron},
      {"webhook", "send device events to other systems (MicroMDM/NanoMDM webhook format)",
       "usage: mdm-console webhook add URL [--secret-file FILE | --secret S] [--events TOPIC,...]\n"
       "       mdm-console webhook list | remove ID|URL | test ID|URL\n"
       "       mdm-console webhook deliver [--follow] [--concurrency N] [--timeout S] [--give-up-hours H]\n"
       "       mdm-console webhook failures [ID|URL] [--limit N] | retry [ID|URL]\n"
       "  Each event is posted as JSON in MicroMDM's webhook format, so tools written for MicroMDM\n"
       "  and NanoMDM work unchanged: topic, event_id, created_at, and checkin_event (mdm.Authenticate,\n"
       "  mdm.TokenUpdate with token_update_tally 1 for a new enrollment, mdm.CheckOut,\n"
       "  mdm.SetBootstrapToken, mdm.GetBootstrapToken, mdm.DeclarativeManagement) or\n"
       "  acknowledge_event (mdm.Connect: a command answered Acknowledged, Error, NotNow or\n"
       "  CommandFormatError) with udid, status, command_uuid, url_params and raw_payload (the\n"
       "  device's plist, base64); ours: mdm.DeviceRemoved (device_event) and abm.DeviceChanged\n"
       "  (abm_event, from applesync). With a secret (16 characters or more; a file keeps it out of\n"
       "  the process list) each body is signed: X-Hmac-Signature, base64 of its HMAC-SHA256.\n"
       "  A device's request never waits for a receiver: the event is filed with the change, and\n"
       "  deliver posts what is due, one device's events in order, --concurrency at once (default 8),\n"
       "  each within --timeout (default 10 s). A receiver must answer 2xx; a failure is tried again\n"
       "  after 1, 2, 4 ... up to 300 s; a receiver that does not answer at all is set aside until its\n"
       "  next attempt. An event still failing --give-up-hours (default 24) after it was filed is set\n"
       "  aside: failures lists them, retry puts them back in line. A receiver that was down gets\n"
       "  everything when it is back. Receivers should ignore an event_id they already have: an event\n"
       "  is posted again if the sender stops between the post and its bookkeeping.\n"
       "  deliver runs once (crontab) or, with --follow, as a service woken by each new event; one\n"
       "  sender works at a time over all hosts, the others exit (or, following, stand by).\n"
       "  test posts one mdm.Test event now and prints the receiver's answer.\n"
       "  Exit status of deliver: 0 all due events delivered (or another sender runs); 3 some failed.\n"
       "  Example: mdm-console webhook add https://inventory.example.com/mdm --secret-file /etc/mdm/hook.key\n"
       "  Example: mdm-console webhook add https://tickets.example.com/hook --events mdm.Connect,mdm.CheckOut\n",
       RunWebhook},
      {"signing-cert", "sign enrollment profiles with your own certificate",
       "usage: mdm-console signing-cert import FILE.pem [--key KEY.pem]\n"
       "       mdm-console signing-cert import FILE.p12 [--password-file F]\n"
       "  Profiles are signed by a certificate the server makes (issued by its device CA) until you\n"
       "  import your own, so devices show your organisation's name. PEM: certificate (then its chain)\n"
       "  and key, in one file or with --key. PKCS#12: with the password in a file.\n"
       "  Example: mdm-console signing-cert import signing.p12 --password-file p12-password.txt\n",
       RunSigningCert},
      {"device", "list devices, show one device's inventory and queue, or remove a device",
       "usage: mdm-console device list [--abm] [--json]\n"
       "       mdm-console device show <id> [--json]\n"
       "       mdm-console device remove <id>\n"
       "       mdm-console device enroll-profile [--serial S] [--name N] [--identity scep|pkcs12] [--expires 7d] > x.mobileconfig\n"
       "       mdm-console device enroll-link [--serial S] [--name N] [--identity scep|pkcs12] [--expires 7d]\n"
       "       mdm-console device register SERIAL...\n"
       "       mdm-console device set-param <id> NAME VALUE | unset-param <id> NAME\n"
       "  list: every device with serial, name, model, OS, enrollment status, last contact and the\n"
       "  number of commands waiting; --abm lists the devices from ABM/ASM instead, whether they\n"
       "  enrolled, and their profile status. show: identifiers, inventory, enrollments (device and user\n"
       "  channels), the queue and recent results (with the ErrorChain of failed ones; mdm-console\n"
       "  command show <uuid> has the whole answer), installed profiles, apps and certificates.\n"
       "  remove: the device and its user channels are no longer managed; at its next contact it\n"
       "  gets 403 (ErrorUnrecognizedDevice) and unenrolls. Pending commands are canceled.\n"
       "  enroll-profile: a signed enrollment profile (SCEP identity by default: its one-time challenge\n"
       "  lasts --expires; pkcs12: the server makes the identity). enroll-link: a one-time URL\n"
       "  <api-url>/enroll/<token> that serves such a profile once, then answers 410.\n"
       "  register: serial numbers allowed to enroll through ADE besides those applesync brings.\n"
       "  set-param: the device's value for $$NAME$$ in catalog profiles; unset-param removes it.\n"
       "  <id> is the device's UDID (or EnrollmentID for User Enrollment).\n"
       "  Example: mdm-console device enroll-link --name 'Front desk iPad' --expires 2d\n",
       RunDevice},
      {"command", "queue MDM commands and read their answers: send, show, list, types",
       "usage: mdm-console command send <enrollment-id>... <RequestType> [key=value ...] [--priority N] [--no-push]\n"
       "       mdm-console command send <enrollment-id>... --plist FILE [--force] [--priority N] [--no-push]\n"
       "       mdm-console command show <CommandUUID> [--json]\n"
       "       mdm-console command list <enrollment-id> [--status STATUS] [--limit N] [--offset N] [--json]\n"
       "       mdm-console command types\n"
       "  send: queues one command for every enrollment named, in one transaction, and prints its\n"
       "  CommandUUID. The command is checked against Apple's schema first: RequestType known,\n"
       "  required keys present, value types right, channel allowed. The first argument that is one of\n"
       "  Apple's request types ends the enrollment IDs; a word that is neither (Lock) is refused with\n"
       "  the nearest types (DeviceLock).\n"
       "  key=value is typed by the schema: numbers, true/false, data as base64 or @FILE, dates as\n"
       "  2026-01-02T03:04:05Z, arrays as a comma list (Queries=DeviceName,OSVersion).\n"
       "  --plist FILE   the Command dictionary (RequestType and its keys) as a plist file\n"
       "  --force        queue it even when the schema check fails (with --plist)\n"
       "  --priority N   higher first (-100..100, default 0); equal priorities go first in, first out\n"
       "  --no-push      do not wake the devices now (they get it at their next check-in)\n"
       "  show: the request (RequestType and its keys), its source and when it was queued; per\n"
       "  enrollment its status, how often and when it was sent, when it was answered, the answer's\n"
       "  payload and its ErrorChain (ErrorDomain ErrorCode: LocalizedDescription (USEnglishDescription)).\n"
       "  Long data is shortened and arrays show their first 20 items; --json prints all of it.\n"
       "  list: an enrollment's commands, newest first, a page at a time: queued, CommandUUID,\n"
       "  RequestType, status, answered, and the first ErrorChain entry of a failure.\n"
       "  --status S     only Pending, NotNow, Acknowledged, Error, CommandFormatError, Expired or Canceled\n"
       "  --limit N      commands per page (1..10000, default 50)\n"
       "  --offset N     skip the N newest (the next page of 50: --offset 50)\n"
       "  types: Apple's request types, one per line, with the channels that take them (device, user)\n"
       "  and their required keys.\n"
       "  Example: mdm-console command send 0000-UDID DeviceLock Message='Call IT'\n"
       "  Example: mdm-console command list 0000-UDID --status Error --limit 20\n",
       RunCommandSend},
      {"group", "groups of devices (a tree) that profiles, apps and declarations are assigned to",
       "usage: mdm-console group create NAME [--parent PARENT]\n"
       "       mdm-console group delete NAME\n"
       "       mdm-console group set-parent NAME PARENT | NAME --none\n"
       "       mdm-console group set-rule NAME '{\"model\": \"iPad%\", \"os_min\": \"17.0\"}' | NAME none\n"
       "       mdm-console group add-devices | remove-devices NAME DEVICE-ID...\n"
       "       mdm-console group add-serials | remove-serials NAME SERIAL...\n"
       "       mdm-console group list [--json]\n"
       "       mdm-console group show NAME [--json]\n"
       "  Groups form a tree: the parent must exist and a group cannot go under one of its own\n"
       "  subgroups; a device in a group gets what the group and its ancestors carry. delete refuses\n"
       "  a group that has child groups; its members and assignments go with it.\n"
       "  set-rule: members by inventory, kept by mdmcron: model and product are SQL LIKE patterns\n"
       "  (% any run, _ one character), os_min and os_max dotted versions; any of the four; 'none'\n"
       "  clears the rule. add-devices: members by device ID (see device list), whatever the rule\n"
       "  says. add-serials: serial numbers (kept in upper case) whose devices join once they enroll.\n"
       "  A member by rule or serial that remove-devices takes out comes back while it matches.\n"
       "  list: the tree with member and assignment counts. show: path, children, rule, members,\n"
       "  serial numbers and the profiles, apps and declarations assigned.\n"
       "  Example: mdm-console group create class-5a --parent school\n",
       RunGroup},
      {"profile", "configuration profiles in the catalog: add or replace, assign to groups",
       "usage: mdm-console profile add FILE.mobileconfig\n"
       "       mdm-console profile list [--json]\n"
       "       mdm-console profile show IDENTIFIER [--json]\n"
       "       mdm-console profile remove IDENTIFIER [--force]\n"
       "       mdm-console profile assign | unassign IDENTIFIER GROUP...\n"
       "  add: an XML, binary or signed profile (the signature must verify; the signer is recorded,\n"
       "  it need not be trusted here). It must be a Configuration profile with PayloadIdentifier,\n"
       "  PayloadUUID and well-formed payloads, and no MDM payload (com.apple.mdm). A known\n"
       "  PayloadIdentifier is replaced: its version goes up and mdmcron installs it again; the\n"
       "  same file again changes nothing. $$name$$ in its strings are filled per device (device\n"
       "  set-param). remove: refused while assigned to a group, unless --force.\n"
       "  IDENTIFIER is the profile's PayloadIdentifier.\n"
       "  Example: mdm-console profile add wifi.mobileconfig && mdm-console profile assign com.example.wifi school\n",
       RunProfile},
      {"app", "App Store apps in the catalog: add, assign to groups",
       "usage: mdm-console app add BUNDLE-ID [--itunes-store-id N] [--name NAME] [--flags N]\n"
       "       mdm-console app add BUNDLE-ID --vpp ADAMID [--location NAME] [--name NAME] [--flags N]\n"
       "       mdm-console app list [--json]\n"
       "       mdm-console app show BUNDLE-ID [--json]\n"
       "       mdm-console app remove BUNDLE-ID [--force]\n"
       "       mdm-console app assign | unassign BUNDLE-ID GROUP...\n"
       "  add: the bundle identifier and, when known, its App Store number (adamId). --flags are the\n"
       "  ManagementFlags: 1 removes the app with the MDM profile (the default), 4 keeps its data out\n"
       "  of backups, 5 both. Adding a known bundle identifier updates the fields given.\n"
       "  --vpp: an app bought in Apps and Books (ABM/ASM): mdmcron gives each device of its groups a\n"
       "  licence (by serial number) before sending InstallApplication, and takes it back after the\n"
       "  app is removed. Run mdm-console vpp sync first so the location's assets are known; with\n"
       "  several locations owning the app, --location names one. An --itunes-store-id that one\n"
       "  location owns is taken as --vpp (--no-vpp says not to).\n"
       "  list: LICENCES is assigned/total (free) at Apple. show: one app, with each device's licence\n"
       "  (associated, associating, short of licences, failed with Apple's reason).\n"
       "  remove: refused while assigned to a group, unless --force.\n"
       "  Example: mdm-console app add com.apple.Pages --itunes-store-id 361309726 --name Pages\n"
       "  Example: mdm-console app add com.example.maps --vpp 1234567890 && mdm-console app assign com.example.maps school\n",
       RunApp},
      {"vpp", "Apps and Books licences (VPP): content tokens, asset and licence sync",
       "usage: mdm-console vpp token upload FILE.vpptoken [--take-over]\n"
       "       mdm-console vpp token list [--json] | token remove LOCATION\n"
       "       mdm-console vpp sync [--no-assignments]\n"
       "       mdm-console vpp assets [--json]\n"
       "  token upload: the content token from ABM/ASM (Preferences, Payments and Billing, Apps and\n"
       "  Books, Download). It is checked (base64 JSON from Apple, not expired), then claimed for\n"
       "  this server at Apple (client/config). A token another MDM server holds is refused unless\n"
       "  --take-over (the other server then loses that location). One token per location; a new\n"
       "  one for the same location replaces the old. status warns 30 days before it expires.\n"
       "  sync: every page of each location's assets (licence counts) and assignments (which\n"
       "  serial numbers hold a licence), so licences changed by hand in ABM/ASM are seen. mdmcron\n"
       "  reads the counts again itself before it assigns licences.\n"
       "  assets: what was synced, per location: adamId, type, total, assigned, available.\n"
       "  Apple's service is https://vpp.itunes.apple.com/mdm/v2 (settings vpp-url, vpp-ca-file).\n"
       "  Example: mdm-console vpp token upload ~/Downloads/sToken_for_Example.vpptoken && mdm-console vpp sync\n",
       RunVpp},
      {"declaration", "declarative management declarations in the catalog: add, assign to groups",
       "usage: mdm-console declaration add FILE.json\n"
       "       mdm-console declaration list [--json]\n"
       "       mdm-console declaration remove IDENTIFIER [--force]\n"
       "       mdm-console declaration assign | unassign IDENTIFIER GROUP...\n"
       "  add: a JSON object {\"Type\": \"com.apple.configuration.passcode.settings\", \"Identifier\":\n"
       "  \"com.example.passcode\", \"Payload\": {...}}, Type under com.apple.activation.,\n"
       "  com.apple.configuration., com.apple.asset. or com.apple.management.. Its ServerToken is\n"
       "  the SHA-256 of Type and Payload: adding a changed one (same Identifier) reaches the devices\n"
       "  at their next sync; the same one again changes nothing.\n"
       "  remove: refused while assigned to a group, unless --force.\n"
       "  Example: mdm-console declaration add passcode.json && mdm-console declaration assign com.example.passcode school\n",
       RunDeclaration},
      {"import", "bring an OCO server's devices, groups, profiles and certificates over",
       "usage: mdm-console import oco --mysql 'host=HOST [port=N] user=USER dbname=DB' [--dry-run]\n"
       "                              [--replace-push-cert] [--password-stdin]\n"
       "       mdm-console import oco --mysql 'socket=/run/mysqld/mysqld.sock user=USER dbname=DB' ...\n"
       "  Reads OCO's MariaDB/MySQL database (read-only, one consistent snapshot) and imports, in one\n"
       "  transaction here: the push certificate and key, the MDM vendor certificate and key, the\n"
       "  ABM server token and its key pair, the activation profile, the API URL, OCO's device\n"
       "  identity CA (trusted from then on), every iOS device with its push token, PushMagic,\n"
       "  UnlockToken and last inventory, groups with their members, profiles, App Store apps and\n"
       "  their group assignments, device parameters and ABM's device records. Devices keep their\n"
       "  OCO identity: the first signed message of each binds its certificate here.\n"
       "  The password comes from MDM_OCO_MYSQL_PASSWORD, --password-stdin, or a prompt; never from\n"
       "  --mysql (the process list shows it).\n"
       "  --dry-run: does all of it and rolls back: the counts say what would be imported, skipped\n"
       "  (and why) or found already here. A second run imports nothing twice.\n"
       "  --replace-push-cert: take OCO's push certificate although this server has one with\n"
       "  another topic (devices enrolled here with the old topic would have to enroll again).\n"
       "  The maintenance window step by step: docs/migrating-from-oco.md.\n"
       "  Example: MDM_OCO_MYSQL_PASSWORD=... mdm-console import oco --mysql 'host=db1 user=oco dbname=oco' --dry-run\n",
       RunImport},
      {"user", "accounts of the web console (https://HOST/console/): add, list, passwd, remove",
       "usage: mdm-console user add NAME --role admin|helpdesk|viewer [--password-stdin]\n"
       "       mdm-console user list [--json]\n"
       "       mdm-console user passwd NAME [--password-stdin]\n"
       "       mdm-console user remove NAME\n"
       "  Roles: viewer reads; helpdesk also sends device commands (lock, erase, ...); admin also\n"
       "  changes the catalog, settings and certificates, and reads the audit log.\n"
       "  The password (12 characters or more) is typed twice at a prompt, or read from the first\n"
       "  line of stdin with --password-stdin; it is kept as a salted scrypt hash. A new password,\n"
       "  or removing the user, ends their sessions. Sessions end after 30 minutes unused and 12\n"
       "  hours in any case; 5 failed logins of an account (20 of an address) within 15 minutes\n"
       "  make it wait. Scripts keep using the admin API key.\n"
       "  Example: printf '%s\\n' \"$PASSWORD\" | mdm-console user add alice --role helpdesk --password-stdin\n",
       RunUser},
  };
  return verbs;
}

}  // namespace mdm::cli
