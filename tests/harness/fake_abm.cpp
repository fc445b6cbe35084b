#include "fake_abm.h"

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

namespace mdm::test {
namespace {

// The port from the fake's "listening PORT" line, 0 while it has not printed it.
int ListeningPort(const std::string& log) {
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("listening ", 0) == 0) return std::stoi(line.substr(10));
  }
  return 0;
}

std::string UtcInOneYear() {
  std::time_t t = std::time(nullptr) + 365 * 24 * 3600;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string StringMember(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

}  // namespace

FakeAbm::FakeAbm(int devices, int page_limit_max)
    : state_(dir_.path() + "/state"),
      ca_file_(dir_.path() + "/tls.crt"),
      consumer_key_("CK_" + crypto::RandomHex(64)),
      consumer_secret_("CS_" + crypto::RandomHex(20)),
      access_token_("AT_O" + crypto::RandomHex(48)),
      access_secret_("AS_" + crypto::RandomHex(20)) {
  auto key = crypto::GenerateRsaKey(2048);
  crypto::CertRequest req;
  req.common_name = "localhost";
  req.dns_names = {"localhost"};
  req.server_auth = true;
  req.days = 2;
  auto cert = crypto::SelfSign(key.get(), req);
  if (!cert.ok()) throw std::runtime_error("FakeAbm: certificate: " + cert.status().message());
  WriteFile(ca_file_, crypto::CertToPem(cert->get()));
  const std::string key_file = dir_.path() + "/tls.key";
  WriteFile(key_file, crypto::KeyToPem(key.get()), 0600);
  std::filesystem::create_directories(state_);

  const std::string log = dir_.path() + "/abm.log";
  server_ = Process({"node", MDM_SOURCE_DIR "/tests/fakes/abm.js", "--port", "0", "--cert", ca_file_, "--key", key_file,
                     "--state", state_, "--devices", std::to_string(devices), "--page-limit-max",
                     std::to_string(page_limit_max), "--consumer-key", consumer_key_, "--consumer-secret",
                     consumer_secret_, "--access-token", access_token_, "--access-secret", access_secret_},
                    log);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while ((port_ = ListeningPort(ReadFile(log))) == 0) {
    if (std::chrono::steady_clock::now() > deadline || !server_.running())
      throw std::runtime_error("the ABM fake did not start:\n" + ReadFile(log));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// server_ stops before dir_ goes: members go in reverse order.
FakeAbm::~FakeAbm() = default;

std::string FakeAbm::url() const { return "https://localhost:" + std::to_string(port_); }

std::string FakeAbm::token_json() const {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  auto member = [&w](const char* name, const std::string& value) {
    w.Key(name);
    w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  };
  w.StartObject();
  member("consumer_key", consumer_key_);
  member("consumer_secret", consumer_secret_);
  member("access_token", access_token_);
  member("access_secret", access_secret_);
  member("access_token_expiry", UtcInOneYear());
  w.EndObject();
  return out.GetString();
}

void FakeAbm::SetControl(const std::string& json) {
  const std::string file = state_ + "/control.json";
  WriteFile(file + ".tmp", json);
  std::filesystem::rename(file + ".tmp", file);
}

std::vector<FakeAbm::Request> FakeAbm::Requests() const {
  std::vector<Request> out;
  std::istringstream lines(ReadFile(state_ + "/requests.jsonl"));
  std::string line;
  while (std::getline(lines, line)) {
    rapidjson::Document d;
    d.Parse(line.c_str(), line.size());
    if (d.HasParseError() || !d.IsObject()) throw std::runtime_error("FakeAbm: bad record: " + line);
    Request r;
    r.method = StringMember(d, "method");
    r.path = StringMember(d, "path");
    auto status = d.FindMember("status");
    if (status != d.MemberEnd() && status->value.IsInt()) r.status = status->value.GetInt();
    r.body = StringMember(d, "body");
    r.fault = StringMember(d, "fault");
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace mdm::test
