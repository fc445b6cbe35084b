// The web console's enrollment and settings pages in a real headless Chromium against the real
// stack: a one-time link with its QR code that serves a signed profile once, the profile
// download, roles (helpdesk enrolls, only an admin sees settings), the API URL, the activation
// profile, the vendor and push certificates (signed by a stand-in Apple CA, as certs_test does)
// and the console's users. Files the page saves are caught in the page (the Blob handed to
// URL.createObjectURL) rather than on disk.
#include <catch2/catch.hpp>

#include <string>

#include "console_checks.h"
#include "console_pages.h"
#include "crypto/crypto.h"
#include "crypto/signed_data.h"
#include "plist/property_list.h"
#include "stack.h"
#include "store/settings.h"
#include "test_pki.h"
#include "webdriver.h"

using mdm::test::Browser;
using mdm::test::CheckNoCspViolation;
using mdm::test::ClickOn;
using mdm::test::ConsoleUrl;
using mdm::test::File;
using mdm::test::LogInAs;
using mdm::test::SharedStack;
using mdm::test::Shot;
using mdm::test::Stack;
namespace crypto = mdm::crypto;
namespace plist = mdm::plist;
namespace setting = mdm::store::setting;

namespace {

std::string Q(const std::string& sql) { return SharedStack().Query(sql); }

std::string Setting(const char* name) { return Q(std::string("SELECT value FROM settings WHERE name = '") + name + "'"); }

Browser& TheBrowser() {
  static Browser browser;
  return browser;
}

// From now on the files the page saves are kept in window.savedFiles ({name, blob}) instead of
// going to the browser's downloads.
void CatchDownloads(Browser& b) {
  b.Script(R"(
    window.savedFiles = [];
    if (!window.downloadsCaught) {
      window.downloadsCaught = true;
      const create = URL.createObjectURL;
      URL.createObjectURL = (blob) => {
        const url = create.call(URL, blob);
        window.savedFiles.push({blob, url, name: null});
        return url;
      };
      const click = HTMLAnchorElement.prototype.click;
      HTMLAnchorElement.prototype.click = function () {
        const saved = window.savedFiles.find((f) => f.url === this.href);
        if (saved && this.hasAttribute('download')) {
          saved.name = this.getAttribute('download');
          return;
        }
        return click.call(this);
      };
    }
    return true;)");
}

// The last file the page saved: its name, type and bytes (as latin1 text, one char per byte).
struct Saved {
  std::string name, type, bytes;
};

Saved LastSaved(Browser& b) {
  Saved s;
  s.name = b.Script("const f = window.savedFiles[window.savedFiles.length - 1]; return f ? f.name : null");
  s.type = b.Script("return window.savedFiles[window.savedFiles.length - 1].blob.type");
  std::string json = b.Script(
      "return window.savedFiles[window.savedFiles.length - 1].blob.arrayBuffer()"
      ".then((b) => Array.from(new Uint8Array(b)).join(','))");
  // Script() answers JSON text: "1,2,3" in quotes.
  if (json.size() >= 2 && json.front() == '"') json = json.substr(1, json.size() - 2);
  size_t p = 0;
  while (p < json.size()) {
    size_t e = json.find(',', p);
    if (e == std::string::npos) e = json.size();
    s.bytes.push_back(static_cast<char>(std::stoi(json.substr(p, e - p))));
    p = e + 1;
  }
  auto unquote = [](std::string v) { return v.size() >= 2 && v.front() == '"' ? v.substr(1, v.size() - 2) : v; };
  s.name = unquote(s.name);
  s.type = unquote(s.type);
  return s;
}

// The verified content of a signed profile (the server's signing certificate is trusted here).
std::string SignedContent(const std::string& signed_profile) {
  std::string pem = Setting(setting::kSigningCert);
  std::vector<crypto::Cert> certs;
  std::vector<X509*> raw;
  for (size_t p = pem.find("-----BEGIN"); p != std::string::npos; p = pem.find("-----BEGIN", p + 1)) {
    certs.push_back(crypto::CertFromPem(pem.substr(p)).value());
    raw.push_back(certs.back().get());
  }
  crypto::Store store = crypto::MakeStore(raw);
  auto v = crypto::VerifyAttached(signed_profile, store.get(), false);
  INFO(v.status().message());
  REQUIRE(v.ok());
  return v->content;
}

// The API URL devices would use: the stack's own, so that links made by the page can be fetched.
void UseStackApiUrl() {
  if (Setting(setting::kApiUrl) == SharedStack().base_url()) return;
  auto r = SharedStack().Console({"settings", "set", "api-url", SharedStack().base_url()});
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
}

// The admin the test cases log in as, added once.
const char* kAdminPassword = "admin password 12";
void AddAdmin() {
  static bool added = false;
  if (!added) SharedStack().AddConsoleUser("adele", "admin", kAdminPassword);
  added = true;
}

int LoginStatus(const std::string& name, const std::string& password) {
  return static_cast<int>(SharedStack()
                              .Send("POST", "/v1/session", R"({"name":")" + name + R"(","password":")" + password + R"("})",
                                    {{"Content-Type", "application/json"}})
                              .status);
}

}  // namespace

TEST_CASE("console enrollment in Chromium: a one-time link with its QR code serves once; the profile downloads",
          "[browser]") {
  AddAdmin();
  UseStackApiUrl();
  Browser& b = TheBrowser();
  LogInAs(b, SharedStack(), "adele", kAdminPassword);
  ClickOn(b, "[data-test=nav-enroll]");
  b.Type(b.WaitFor("#enroll-name"), "Front desk iPad");
  b.Type(b.Find("#enroll-serial"), "F9FXK0ABCDEF");
  b.Script("document.querySelector('#enroll-expires').value = '86400'; return true");
  ClickOn(b, "[data-test=enroll-link-submit]");
  CHECK(b.WaitForText("#message", "One-time link made"));
  std::string url = b.Text(b.WaitFor("[data-test=enroll-url]"));
  const std::string prefix = SharedStack().base_url() + "/enroll/";
  REQUIRE(url.rfind(prefix, 0) == 0);
  CHECK(b.WaitForText("#enroll-link-expiry", "It serves the profile once, until"));
  // A day from now, in minutes.
  int minutes = std::stoi(b.Script(
      "return Math.round((Date.parse(document.querySelector('#enroll-link-expiry time').getAttribute('datetime')) - "
      "Date.now()) / 60000)"));
  CHECK(minutes >= 1435);
  CHECK(minutes <= 1441);
  // The QR code: an SVG of rects made in the page, a version-sized grid of modules.
  CHECK(b.Script("return document.querySelector('#enroll-qr svg').namespaceURI") == "\"http://www.w3.org/2000/svg\"");
  int modules = std::stoi(b.Attribute(b.Find("#enroll-qr svg"), "data-modules"));
  CHECK(modules >= 21);
  CHECK((modules - 17) % 4 == 0);
  CHECK(std::stoi(b.Script("return document.querySelectorAll('#enroll-qr svg rect').length")) > 50);
  CHECK(b.Script("return document.querySelectorAll('#enroll-qr img, #enroll-qr canvas').length") == "0");
  // Copied, or selected for Ctrl+C where the clipboard is refused (headless Chromium may refuse it).
  ClickOn(b, "[data-test=enroll-copy]");
  CHECK(b.WaitForText("#message", "The link is"));
  b.Screenshot(Shot(SharedStack(), "console-enroll.png"));
  CHECK(Q("SELECT detail->>'name' FROM audit_log WHERE action = 'enrollment link' AND actor = 'adele'") ==
        "Front desk iPad");

  // The link gives a signed enrollment profile once, then 410.
  std::string route = url.substr(SharedStack().base_url().size());
  auto first = SharedStack().Get(route);
  CHECK(first.status == 200);
  CHECK(first.headers["content-type"] == "application/x-apple-aspen-config");
  CHECK_THAT(SignedContent(first.body), Catch::Contains("com.apple.mdm"));
  CHECK(SharedStack().Get(route).status == 410);

  // "Download profile" saves the signed profile itself as enroll.mobileconfig.
  CatchDownloads(b);
  b.Script("document.querySelector('#enroll-identity').value = 'pkcs12'; return true");
  ClickOn(b, "[data-test=enroll-profile-submit]");
  CHECK(b.WaitForText("#message", "Saved enroll.mobileconfig"));
  Saved profile = LastSaved(b);
  CHECK(profile.name == "enroll.mobileconfig");
  CHECK(profile.type == "application/x-apple-aspen-config");
  std::string content = SignedContent(profile.bytes);
  CHECK_THAT(content, Catch::Contains("com.apple.mdm"));
  CHECK_THAT(content, Catch::Contains("com.apple.security.pkcs12"));
  CHECK_FALSE(b.TryFind("#enroll-link"));

  // Without an API URL the server's sentence is shown.
  Q("DELETE FROM settings WHERE name = 'api_url'");
  ClickOn(b, "[data-test=enroll-link-submit]");
  CHECK(b.WaitForText("#message", "api-url"));
  CHECK(b.Attribute(b.Find("#message"), "data-kind") == "error");
  UseStackApiUrl();
  CheckNoCspViolation(b);
}

TEST_CASE("console enrollment in Chromium: a helpdesk enrolls but has no settings; a viewer neither", "[browser]") {
  SharedStack().AddConsoleUser("hugo", "helpdesk", "helpdesk password 1");
  SharedStack().AddConsoleUser("vera", "viewer", "viewer password 12");
  UseStackApiUrl();
  Browser& b = TheBrowser();
  LogInAs(b, SharedStack(), "hugo", "helpdesk password 1");
  CHECK(b.Displayed(b.Find("[data-test=nav-enroll]")));
  CHECK_FALSE(b.Displayed(b.Find("[data-test=nav-settings]")));
  CHECK_FALSE(b.Displayed(b.Find("[data-test=nav-audit]")));
  CHECK(b.Script("return fetch('/api-mdm.php/v1/settings').then(r => r.status)") == "403");
  CHECK(b.Script("return fetch('/api-mdm.php/v1/users').then(r => r.status)") == "403");
  b.Go(ConsoleUrl(SharedStack()) + "#/settings");
  CHECK(b.WaitForText("#settings-page", "Only an admin"));
  CHECK_FALSE(b.TryFind("#settings-api-url"));

  ClickOn(b, "[data-test=nav-enroll]");
  ClickOn(b, "[data-test=enroll-link-submit]");
  CHECK(b.WaitForText("#message", "One-time link made"));
  CHECK(b.Text(b.WaitFor("[data-test=enroll-url]")).rfind(SharedStack().base_url() + "/enroll/", 0) == 0);
  CHECK(Q("SELECT count(*) FROM audit_log WHERE action = 'enrollment link' AND actor = 'hugo'") == "1");

  LogInAs(b, SharedStack(), "vera", "viewer password 12");
  CHECK_FALSE(b.Displayed(b.Find("[data-test=nav-enroll]")));
  CHECK_FALSE(b.Displayed(b.Find("[data-test=nav-settings]")));
  b.Go(ConsoleUrl(SharedStack()) + "#/enroll");
  CHECK(b.WaitForText("#enroll-page", "helpdesk or admin"));
  CHECK_FALSE(b.TryFind("[data-test=enroll-link-submit]"));
  CheckNoCspViolation(b);
}

TEST_CASE("console settings in Chromium: API URL, activation profile, vendor and push certificates", "[browser]") {
  AddAdmin();
  UseStackApiUrl();
  const std::string api = SharedStack().base_url();
  Browser& b = TheBrowser();
  LogInAs(b, SharedStack(), "adele", kAdminPassword);
  ClickOn(b, "[data-test=nav-settings]");

  // API URL: a wrong one is refused with the server's sentence and changes nothing.
  b.Type(b.WaitFor("#settings-api-url"), "ftp://mdm.example.com/api-mdm.php");
  ClickOn(b, "[data-test=settings-api-url-submit]");
  CHECK(b.WaitForText("#message", "api-url must start with https://"));
  CHECK(Setting(setting::kApiUrl) == api);
  // http is taken, with the server's warning shown on the page.
  b.Type(b.Find("#settings-api-url"), "http://mdm.example.com/api-mdm.php");
  ClickOn(b, "[data-test=settings-api-url-submit]");
  CHECK(b.WaitForText("#message", "API URL set to http://mdm.example.com/api-mdm.php"));
  CHECK(b.WaitForText("[data-test=settings-api-url-warning]", "https"));
  CHECK(Setting(setting::kApiUrl) == "http://mdm.example.com/api-mdm.php");
  b.Type(b.WaitFor("#settings-api-url"), api);
  ClickOn(b, "[data-test=settings-api-url-submit]");
  CHECK(b.WaitForText("#message", "API URL set to " + api));
  CHECK(b.WaitGone("[data-test=settings-api-url-warning]"));
  CHECK(Setting(setting::kApiUrl) == api);

  // Activation profile: JSON that does not parse is refused in the page; the server checks the rest.
  CHECK(Q("SELECT count(*) FROM audit_log WHERE action = 'set activation profile'") == "0");
  b.Type(b.WaitFor("#settings-activation-profile"), "{\"profile_name\": \"Lab\",");
  ClickOn(b, "[data-test=settings-activation-submit]");
  CHECK(b.WaitForText("#message", "not valid JSON"));
  b.Type(b.Find("#settings-activation-profile"), "{\"profile_name\": \"Lab\", \"url\": \"https://elsewhere.example/profile\"}");
  ClickOn(b, "[data-test=settings-activation-submit]");
  CHECK(b.WaitForText("#message", "url must be " + api + "/profile"));
  CHECK(Setting(setting::kActivationProfile).empty());
  CHECK(Q("SELECT count(*) FROM audit_log WHERE action = 'set activation profile'") == "0");
  b.Type(b.Find("#settings-activation-profile"),
         "{\"profile_name\": \"Lab\", \"url\": \"" + api + "/profile\", \"is_supervised\": true}");
  ClickOn(b, "[data-test=settings-activation-submit]");
  CHECK(b.WaitForText("#message", "Activation profile saved"));
  CHECK_THAT(Setting(setting::kActivationProfile), Catch::Contains("\"Lab\""));
  // Drawn again from the server: pretty-printed.
  CHECK_THAT(b.Property(b.WaitFor("#settings-activation-profile"), "value"),
             Catch::Contains("\"profile_name\": \"Lab\",\n"));

  // Vendor certificate: the CSR the page saves, signed by the stand-in Apple, uploaded back.
  // As certs_test.cpp does.
  mdm::test::StandInApple apple;
  CatchDownloads(b);
  ClickOn(b, "[data-test=settings-vendor-csr]");
  CHECK(b.WaitForText("#message", "Saved vendor.csr"));
  Saved vendor_csr = LastSaved(b);
  CHECK(vendor_csr.name == "vendor.csr");
  REQUIRE_THAT(vendor_csr.bytes, Catch::StartsWith("-----BEGIN CERTIFICATE REQUEST-----"));
  // A request for the push certificate needs the vendor certificate first: the sentence says so.
  ClickOn(b, "[data-test=settings-push-csr]");
  CHECK(b.WaitForText("#message", "no vendor certificate"));
  std::string vendor_file =
      File(SharedStack(), "mdm.cer", crypto::CertToDer(apple.ForCsr(vendor_csr.bytes, "MDM Vendor: Browser Test").get()));
  b.Type(b.Find("#settings-vendor-file"), vendor_file);
  ClickOn(b, "[data-test=settings-vendor-upload]");
  CHECK(b.WaitForText("#message", "Vendor certificate stored"));
  CHECK_FALSE(Setting(setting::kVendorCert).empty());
  b.WaitFor("#expiry-vendor tr[data-name=vendor]");

  // The push request: base64 of a plist that carries the push key's CSR, signed by the vendor key.
  CatchDownloads(b);
  ClickOn(b, "[data-test=settings-push-csr]");
  CHECK(b.WaitForText("#message", "Saved mdm-push-request.txt"));
  Saved request = LastSaved(b);
  CHECK(request.name == "mdm-push-request.txt");
  CHECK(request.bytes.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n") ==
        std::string::npos);
  std::string request_xml;
  REQUIRE(crypto::Base64Decode(request.bytes, &request_xml));
  auto request_plist = plist::ParseDict(request_xml);
  REQUIRE(request_plist.ok());
  auto csr_b64 = plist::GetString(request_plist->get(), "PushCertRequestCSR");
  REQUIRE(csr_b64);
  std::string push_csr;
  REQUIRE(crypto::Base64Decode(*csr_b64, &push_csr));

  // A certificate for another key: the sentence, nothing stored.
  auto other_key = crypto::GenerateRsaKey();
  crypto::CertRequest req;
  req.common_name = "APSP:other-key";
  req.uid = Stack::kTopic;
  auto wrong_key = crypto::Issue(apple.cert.get(), apple.key.get(), other_key.get(), req).value();
  b.Type(b.Find("#settings-push-file"), File(SharedStack(), "wrong-key.pem", crypto::CertToPem(wrong_key.get())));
  ClickOn(b, "[data-test=settings-push-upload]");
  CHECK(b.WaitForText("#message", "not for this server's push key"));
  CHECK(Setting(setting::kPushCert).empty());
  CHECK_FALSE(b.Displayed(b.Find("#settings-push-allow-topic-row")));

  // Another topic: refused until the admin allows the change in the page.
  const std::string new_topic = "com.apple.mgmt.External.99999999-8888-7777-6666-555555555555";
  std::string other_topic = File(SharedStack(), "other-topic.pem", crypto::CertToPem(apple.ForCsr(push_csr, "APSP:new", new_topic).get()));
  b.Type(b.Find("#settings-push-file"), other_topic);
  ClickOn(b, "[data-test=settings-push-upload]");
  CHECK(b.WaitForText("#message", "differs from the current"));
  CHECK(Setting(setting::kPushTopic) == Stack::kTopic);
  CHECK(Setting(setting::kPushCert).empty());
  ClickOn(b, "[data-test=settings-push-allow-topic]");
  ClickOn(b, "[data-test=settings-push-upload]");
  CHECK(b.WaitForText("#message", "every device must enroll again"));
  CHECK(Setting(setting::kPushTopic) == new_topic);
  CHECK(b.WaitForText("#settings-push-topic", new_topic));

  // Back to the harness's topic, with a certificate that expires in 20 days: shown in red.
  std::string same = File(SharedStack(), "push.der", crypto::CertToDer(apple.ForCsr(push_csr, "APSP:same", Stack::kTopic, 20).get()));
  b.Type(b.WaitFor("#settings-push-file"), same);
  ClickOn(b, "[data-test=settings-push-upload]");
  CHECK(b.WaitForText("#message", "differs from the current"));
  ClickOn(b, "[data-test=settings-push-allow-topic]");
  ClickOn(b, "[data-test=settings-push-upload]");
  CHECK(b.WaitForText("#message", "Push certificate stored: topic " + std::string(Stack::kTopic)));
  CHECK(Setting(setting::kPushTopic) == Stack::kTopic);
  CHECK_FALSE(Setting(setting::kPushCert).empty());
  std::string expiry = b.WaitFor("#expiry-apns_push tr[data-name=apns_push]");
  CHECK_THAT(b.Attribute(expiry, "class"), Catch::Contains("expiring"));
  CHECK_THAT(b.Text(expiry), Catch::Contains("in 19 days") || Catch::Contains("in 20 days"));
  CHECK(Q("SELECT count(*) FROM audit_log WHERE action = 'push certificate' AND actor = 'adele'") == "2");

  // The ABM token certificate downloads as PEM.
  CatchDownloads(b);
  ClickOn(b, "[data-test=settings-abm-cert]");
  CHECK(b.WaitForText("#message", "Saved abm-token-certificate.pem"));
  Saved token_cert = LastSaved(b);
  CHECK(token_cert.name == "abm-token-certificate.pem");
  CHECK_THAT(token_cert.bytes, Catch::StartsWith("-----BEGIN CERTIFICATE-----"));
  b.Script("window.scrollTo(0, 0); return true");
  b.Screenshot(Shot(SharedStack(), "console-settings.png"));
  CheckNoCspViolation(b);
}

TEST_CASE("console settings in Chromium: an admin adds a viewer, changes its password, removes it", "[browser]") {
  AddAdmin();
  Browser& b = TheBrowser();
  LogInAs(b, SharedStack(), "adele", kAdminPassword);
  b.Go(ConsoleUrl(SharedStack()) + "#/settings");
  // My own account has no remove button; the change-password one is there.
  std::string me = b.WaitFor("#user-table tr[data-user=adele]");
  CHECK_THAT(b.Text(me), Catch::Contains("(you)"));
  CHECK_FALSE(b.TryFind("#user-table tr[data-user=adele] [data-test=user-remove]"));
  CHECK(b.TryFind("#user-table tr[data-user=adele] [data-test=user-password]"));

  // Two different passwords are refused in the page.
  b.Type(b.Find("#user-name"), "val");
  b.Script("document.querySelector('#user-role').value = 'viewer'; return true");
  b.Type(b.Find("#user-new-password"), "viewer password 34");
  b.Type(b.Find("#user-new-password2"), "viewer password 43");
  ClickOn(b, "[data-test=user-add-submit]");
  CHECK(b.WaitForText("#message", "The two passwords differ"));
  CHECK(Q("SELECT count(*) FROM console_users WHERE name = 'val'") == "0");
  // A short password: the server's sentence.
  b.Type(b.Find("#user-new-password"), "short");
  b.Type(b.Find("#user-new-password2"), "short");
  ClickOn(b, "[data-test=user-add-submit]");
  CHECK(b.WaitForText("#message", "at least 12 characters"));
  CHECK(Q("SELECT count(*) FROM console_users WHERE name = 'val'") == "0");
  b.Type(b.Find("#user-new-password"), "viewer password 34");
  b.Type(b.Find("#user-new-password2"), "viewer password 34");
  ClickOn(b, "[data-test=user-add-submit]");
  CHECK(b.WaitForText("#message", "User val added as viewer"));
  CHECK(Q("SELECT role FROM console_users WHERE name = 'val'") == "viewer");
  CHECK(LoginStatus("val", "viewer password 34") == 200);

  ClickOn(b, "#user-table tr[data-user=val] [data-test=user-password]");
  b.Type(b.WaitFor("#user-change-password"), "a new viewer password");
  b.Type(b.Find("#user-change-password2"), "a new viewer password");
  ClickOn(b, "[data-test=user-password-submit]");
  CHECK(b.WaitForText("#message", "Password of val changed"));
  CHECK(LoginStatus("val", "a new viewer password") == 200);
  CHECK(LoginStatus("val", "viewer password 34") == 401);

  ClickOn(b, "#user-table tr[data-user=val] [data-test=user-remove]");
  ClickOn(b, "[data-test=user-remove-confirm]");
  CHECK(b.WaitForText("#message", "User val removed"));
  CHECK(b.WaitGone("#user-table tr[data-user=val]"));
  CHECK(Q("SELECT count(*) FROM console_users WHERE name = 'val'") == "0");
  CHECK(LoginStatus("val", "a new viewer password") == 401);
  CHECK(Q("SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE actor = 'adele' AND action LIKE '%user%'") ==
        "add user,user password,remove user");

  // The audit log is one click away.
  ClickOn(b, "[data-test=settings-audit-link]");
  b.WaitFor("#audit-page");
  CHECK(b.WaitForText("#audit-table", "remove user"));
  CheckNoCspViolation(b);
}
