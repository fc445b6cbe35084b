#include "fake_vpp.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "crypto/crypto.h"
#include "http_client.h"

namespace mdm::test {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// The port from the fake's "listening PORT" line, 0 while it has not printed it.
int ListeningPort(const std::string& log) {
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("listening ", 0) == 0) return std::stoi(line.substr(10));
  }
  return 0;
}

// A year ahead, as Apple writes dates: "2030-11-08T22:33:22+0000".
std::string AppleDateInOneYear() {
  std::time_t t = std::time(nullptr) + 365 * 24 * 3600;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S+0000", &tm);
  return buf;
}

void Str(Writer& w, const char* name, const std::string& value) {
  w.Key(name);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

std::string StringMember(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

int IntMember(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsInt() ? it->value.GetInt() : 0;
}

rapidjson::Document Parse(const std::string& text, const char* what) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  if (d.HasParseError() || !d.IsObject()) throw std::runtime_error(std::string("FakeVpp: bad ") + what + ": " + text);
  return d;
}

// The object of location `name` in a /fake/state answer.
const rapidjson::Value& LocationIn(const rapidjson::Document& state, const std::string& name) {
  for (const auto& l : state["locations"].GetArray()) {
    if (StringMember(l, "locationName") == name) return l;
  }
  throw std::runtime_error("FakeVpp: no location " + name);
}

}  // namespace

FakeVpp::FakeVpp() : FakeVpp(Options{}) {}

FakeVpp::FakeVpp(Options options)
    : options_(std::move(options)), state_(dir_.path() + "/state"), ca_file_(dir_.path() + "/tls.crt") {
  if (options_.locations.empty()) throw std::runtime_error("FakeVpp: no location");
  auto key = crypto::GenerateRsaKey(2048);
  crypto::CertRequest req;
  req.common_name = "localhost";
  req.dns_names = {"localhost"};
  req.server_auth = true;
  req.days = 2;
  auto cert = crypto::SelfSign(key.get(), req);
  if (!cert.ok()) throw std::runtime_error("FakeVpp: certificate: " + cert.status().message());
  WriteFile(ca_file_, crypto::CertToPem(cert->get()));
  const std::string key_file = dir_.path() + "/tls.key";
  WriteFile(key_file, crypto::KeyToPem(key.get()), 0600);
  std::filesystem::create_directories(state_);

  // The tokens, as ABM/ASM makes them: base64 of {"token","expDate","orgName"}.
  rapidjson::StringBuffer tokens_json;
  Writer t(tokens_json);
  t.StartArray();
  for (const auto& l : options_.locations) {
    rapidjson::StringBuffer inner;
    Writer w(inner);
    w.StartObject();
    Str(w, "token", crypto::Base64Encode(crypto::RandomHex(48)));
    Str(w, "expDate", l.exp_date.empty() ? AppleDateInOneYear() : l.exp_date);
    Str(w, "orgName", "Fake Organisation");
    w.EndObject();
    tokens_.push_back(crypto::Base64Encode({inner.GetString(), inner.GetSize()}));
    t.StartObject();
    Str(t, "sToken", tokens_.back());
    Str(t, "locationName", l.name);
    if (l.expired) {
      t.Key("expired");
      t.Bool(true);
    }
    if (l.revoked) {
      t.Key("revoked");
      t.Bool(true);
    }
    if (l.claimed_by) {
      t.Key("mdmInfo");
      t.StartObject();
      Str(t, "id", l.claimed_by->id);
      Str(t, "name", l.claimed_by->name);
      Str(t, "metadata", l.claimed_by->metadata);
      t.EndObject();
    }
    t.EndObject();
  }
  t.EndArray();

  rapidjson::StringBuffer assets_json;
  Writer a(assets_json);
  a.StartArray();
  for (const auto& asset : options_.assets) {
    a.StartObject();
    Str(a, "adamId", asset.adam_id);
    a.Key("totalCount");
    a.Int(asset.total);
    Str(a, "pricingParam", asset.pricing_param);
    Str(a, "productType", asset.product_type);
    a.Key("deviceAssignable");
    a.Bool(asset.device_assignable);
    a.Key("revocable");
    a.Bool(asset.revocable);
    a.Key("retiredCount");
    a.Int(asset.retired);
    a.EndObject();
  }
  a.EndArray();

  const std::string log = dir_.path() + "/vpp.log";
  server_ = Process({"node", MDM_SOURCE_DIR "/tests/fakes/vpp.js", "--port", "0", "--cert", ca_file_, "--key", key_file,
                     "--state", state_, "--tokens", tokens_json.GetString(), "--assets", assets_json.GetString(),
                     "--page-size", std::to_string(options_.page_size), "--max-serial-numbers",
                     std::to_string(options_.max_serial_numbers), "--max-assets", std::to_string(options_.max_assets),
                     "--event-delay-ms", std::to_string(options_.event_delay_ms)},
                    log);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while ((port_ = ListeningPort(ReadFile(log))) == 0) {
    if (std::chrono::steady_clock::now() > deadline || !server_.running())
      throw std::runtime_error("the Apps and Books fake did not start:\n" + ReadFile(log));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// server_ stops before dir_ goes: members go in reverse order.
FakeVpp::~FakeVpp() = default;

std::string FakeVpp::root_url() const { return "https://localhost:" + std::to_string(port_); }

std::string FakeVpp::url() const { return root_url() + "/mdm/v2"; }

const std::string& FakeVpp::NameOf(const std::string& location) const {
  if (location.empty()) return options_.locations.front().name;
  for (const auto& l : options_.locations) {
    if (l.name == location) return l.name;
  }
  throw std::runtime_error("FakeVpp: no location " + location);
}

std::string FakeVpp::token_file(const std::string& location) const {
  const std::string& name = NameOf(location);
  for (size_t i = 0; i < options_.locations.size(); ++i) {
    if (options_.locations[i].name == name) return tokens_[i];
  }
  return "";  // not reached: NameOf throws first
}

void FakeVpp::SetControl(const std::string& json) {
  const std::string file = state_ + "/control.json";
  WriteFile(file + ".tmp", json);
  std::filesystem::rename(file + ".tmp", file);
}

std::vector<FakeVpp::Request> FakeVpp::Requests() const {
  std::vector<Request> out;
  std::istringstream lines(ReadFile(state_ + "/requests.jsonl"));
  std::string line;
  while (std::getline(lines, line)) {
    auto d = Parse(line, "record");
    Request r;
    r.method = StringMember(d, "method");
    r.path = StringMember(d, "path");
    r.query = StringMember(d, "query");
    r.status = IntMember(d, "status");
    r.body = StringMember(d, "body");
    r.location = StringMember(d, "location");
    r.fault = StringMember(d, "fault");
    out.push_back(std::move(r));
  }
  return out;
}

std::string FakeVpp::StateJson(bool with_assignments) const {
  HttpClient http(ca_file_);
  auto r = http.Request("GET", root_url() + "/fake/state" + (with_assignments ? "?assignments=1" : ""), "");
  if (r.status != 200) throw std::runtime_error("FakeVpp: /fake/state: " + std::to_string(r.status) + " " + r.error);
  return r.body;
}

std::vector<FakeVpp::AssetCounts> FakeVpp::Assets(const std::string& location) const {
  auto d = Parse(StateJson(false), "state");
  std::vector<AssetCounts> out;
  for (const auto& a : LocationIn(d, NameOf(location))["assets"].GetArray()) {
    out.push_back({StringMember(a, "adamId"), StringMember(a, "pricingParam"), IntMember(a, "totalCount"),
                   IntMember(a, "assignedCount"), IntMember(a, "availableCount"), IntMember(a, "retiredCount")});
  }
  return out;
}

FakeVpp::AssetCounts FakeVpp::AssetOf(const std::string& adam_id, const std::string& location) const {
  for (auto& a : Assets(location)) {
    if (a.adam_id == adam_id) return a;
  }
  throw std::runtime_error("FakeVpp: no asset " + adam_id);
}

std::vector<std::string> FakeVpp::Holders(const std::string& adam_id, const std::string& location) const {
  auto d = Parse(StateJson(true), "state");
  std::vector<std::string> out;
  for (const auto& a : LocationIn(d, NameOf(location))["assignments"].GetArray()) {
    if (StringMember(a, "adamId") == adam_id) out.push_back(StringMember(a, "serialNumber"));
  }
  return out;
}

std::optional<FakeVpp::MdmInfo> FakeVpp::ClaimedBy(const std::string& location) const {
  auto d = Parse(StateJson(false), "state");
  const auto& l = LocationIn(d, NameOf(location));
  auto it = l.FindMember("mdmInfo");
  if (it == l.MemberEnd() || !it->value.IsObject()) return std::nullopt;
  return MdmInfo{StringMember(it->value, "id"), StringMember(it->value, "name"), StringMember(it->value, "metadata")};
}

int FakeVpp::PendingEvents(const std::string& location) const {
  auto d = Parse(StateJson(false), "state");
  return IntMember(LocationIn(d, NameOf(location)), "pendingEvents");
}

std::vector<std::string> FakeVpp::AssignByHand(const std::string& adam_id, const std::vector<std::string>& serials,
                                               bool disassociate, const std::string& location) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  Str(w, "location", NameOf(location));
  Str(w, "adamId", adam_id);
  w.Key("serialNumbers");
  w.StartArray();
  for (const auto& s : serials) w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
  w.EndArray();
  w.Key("disassociate");
  w.Bool(disassociate);
  w.EndObject();
  HttpClient http(ca_file_);
  auto r = http.Request("POST", root_url() + "/fake/assign", buf.GetString(), {{"Content-Type", "application/json"}});
  if (r.status != 200) throw std::runtime_error("FakeVpp: /fake/assign: " + std::to_string(r.status) + " " + r.body);
  auto d = Parse(r.body, "answer");
  std::vector<std::string> refused;
  for (const auto& s : d["refused"].GetArray()) refused.push_back(s.GetString());
  return refused;
}

}  // namespace mdm::test
