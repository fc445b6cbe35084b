#include "fake_apns.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "crypto/crypto.h"

namespace mdm::test {
namespace {

const std::set<std::string> kActions = {"200", "400", "403", "410", "429", "500", "503",
                                         "close", "goaway", "stall", "reset"};
// "403:BadCertificateEnvironment": an error status with a reason of the test's choosing.
const std::regex kStatusReason("[45][0-9][0-9]:[A-Za-z]+");
// "delay:250": 200, that many milliseconds late (at most 60000).
const std::regex kDelay("delay:[0-9]{1,5}");

bool ValidAction(const std::string& a) {
  if (kActions.contains(a) || std::regex_match(a, kStatusReason)) return true;
  return std::regex_match(a, kDelay) && std::stoi(a.substr(6)) <= 60000;
}

crypto::Cert Must(Result<crypto::Cert> cert, const std::string& what) {
  if (!cert.ok()) throw std::runtime_error("FakeApns: making " + what + ": " + cert.status().message());
  return std::move(cert).value();
}

// A certificate authority of the fake's PKI, and what it issues, as PEM.
struct Authority {
  crypto::Pkey key = crypto::GenerateRsaKey();
  crypto::Cert cert;

  explicit Authority(const std::string& name) {
    crypto::CertRequest r;
    r.common_name = name;
    r.is_ca = true;
    r.days = 2;
    cert = Must(crypto::SelfSign(key.get(), r), name);
  }

  std::pair<std::string, std::string> IssuePem(const crypto::CertRequest& req) const {
    crypto::Pkey subject_key = crypto::GenerateRsaKey();
    crypto::Cert issued = Must(crypto::Issue(cert.get(), key.get(), subject_key.get(), req), req.common_name);
    return {crypto::CertToPem(issued.get()), crypto::KeyToPem(subject_key.get())};
  }
};

// What Apple's portal returns for an MDM push certificate: the topic in the subject's UID.
crypto::CertRequest PushCertRequest(const std::string& topic) {
  crypto::CertRequest r;
  r.common_name = "APSP:" + crypto::NewUuid();
  r.uid = topic;
  r.client_auth = true;
  r.days = 2;
  return r;
}

std::string StringOrEmpty(const rapidjson::Value& line, const char* name) {
  auto it = line.FindMember(name);
  return it != line.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

long IntegerOr(const rapidjson::Value& line, const char* name, long fallback) {
  auto it = line.FindMember(name);
  return it != line.MemberEnd() && it->value.IsInt64() ? static_cast<long>(it->value.GetInt64()) : fallback;
}

}  // namespace

FakeApns::FakeApns(std::string topic, std::string tls_max, int max_streams) : topic_(std::move(topic)) {
  const std::string& root = dir_.path();
  std::filesystem::create_directories(StatePath(""));

  Authority tls_ca("Fake APNs TLS CA");
  crypto::CertRequest server;
  server.common_name = "localhost";
  server.dns_names = {"localhost"};
  server.server_auth = true;
  server.days = 2;
  auto [server_cert, server_key] = tls_ca.IssuePem(server);
  ca_file_ = root + "/tls-ca.pem";
  WriteFile(ca_file_, crypto::CertToPem(tls_ca.cert.get()));
  WriteFile(root + "/server.pem", server_cert);
  WriteFile(root + "/server.key", server_key, 0600);

  Authority apple("Fake Apple Push CA");
  WriteFile(root + "/apple-ca.pem", crypto::CertToPem(apple.cert.get()));
  std::tie(client_cert_pem_, client_key_pem_) = apple.IssuePem(PushCertRequest(topic_));

  const std::string log = root + "/apns.log";
  std::vector<std::string> argv = {"node", std::string(MDM_SOURCE_DIR) + "/tests/fakes/apns.js", "--port", "0",
                                   "--cert", root + "/server.pem", "--key", root + "/server.key", "--client-ca",
                                   root + "/apple-ca.pem", "--state", StatePath("")};
  if (!tls_max.empty()) argv.insert(argv.end(), {"--tls-max", tls_max});
  if (max_streams > 0) argv.insert(argv.end(), {"--max-streams", std::to_string(max_streams)});
  node_ = Process(argv, log);
  // stdout and stderr share the log: look for the one line stdout carries.
  const std::regex listening("(^|\n)listening ([0-9]+)\n");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::string text;
  std::smatch m;
  while (true) {
    text = ReadFile(log);
    if (std::regex_search(text, m, listening)) break;
    if (!node_.running() || std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("the APNs fake did not start:\n" + text);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  port_ = std::stoi(m[2].str());
}

FakeApns::~FakeApns() { node_.Stop(); }

std::string FakeApns::url() const { return "https://localhost:" + std::to_string(port_); }

std::string FakeApns::StatePath(const std::string& name) const { return dir_.path() + "/state/" + name; }

std::pair<std::string, std::string> FakeApns::foreign_client_identity() const {
  return Authority("Foreign Push CA").IssuePem(PushCertRequest(topic_));
}

void FakeApns::SetBehaviour(const std::string& hex_token, const std::vector<std::string>& actions) {
  for (const auto& a : actions)
    if (!ValidAction(a)) throw std::invalid_argument("FakeApns: unknown behaviour " + a);
  if (actions.empty())
    behaviour_.erase(hex_token);
  else
    behaviour_[hex_token] = actions;

  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  for (const auto& [token, list] : behaviour_) {
    w.Key(token.c_str());
    w.StartArray();
    for (const auto& a : list) {
      if (!std::all_of(a.begin(), a.end(), [](unsigned char c) { return std::isdigit(c); }))
        w.String(a.c_str());  // "close", "goaway", "stall", "reset", "delay:MS", "403:Reason"
      else
        w.Int(std::stoi(a));
    }
    w.EndArray();
  }
  w.EndObject();
  // Renamed into place: the fake never reads half a file.
  const std::string path = StatePath("behaviour.json");
  WriteFile(path + ".tmp", buf.GetString());
  std::filesystem::rename(path + ".tmp", path);
}

std::vector<FakeApns::Push> FakeApns::Pushes() const {
  std::vector<Push> pushes;
  std::istringstream in(ReadFile(StatePath("pushes.jsonl")));
  std::string line;
  // A line without its newline is still being written: not a record yet.
  while (std::getline(in, line) && !in.eof()) {
    rapidjson::Document d;
    if (d.Parse(line.c_str()).HasParseError() || !d.IsObject())
      throw std::runtime_error("FakeApns: bad line in pushes.jsonl: " + line);
    pushes.push_back(Push{
        .token = StringOrEmpty(d, "token"),
        .topic = StringOrEmpty(d, "topic"),
        .mdm = StringOrEmpty(d, "mdm"),
        .apns_id = StringOrEmpty(d, "apns_id"),
        .expiration = IntegerOr(d, "expiration", -1),
        .priority = static_cast<int>(IntegerOr(d, "priority", 0)),
        .push_type = StringOrEmpty(d, "push_type"),
        .status = static_cast<int>(IntegerOr(d, "status", -1)),
        .reason = StringOrEmpty(d, "reason"),
    });
  }
  return pushes;
}

int FakeApns::Sessions() const {
  const std::string text = ReadFile(StatePath("sessions"));
  return text.empty() ? 0 : std::stoi(text);
}

}  // namespace mdm::test
