#include "webhook_receiver.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace mdm::test {

WebhookReceiver::WebhookReceiver(std::string secret) : secret_(std::move(secret)) { Start(); }

WebhookReceiver::~WebhookReceiver() { Stop(); }

void WebhookReceiver::Start() {
  if (node_.pid() > 0) return;
  std::string log = dir_.path() + "/receiver.log";
  WriteFile(log, "");
  node_ = Process({"node", std::string(MDM_SOURCE_DIR) + "/tests/fakes/webhook_receiver.js", "--state", dir_.path(),
                   "--secret", secret_, "--port", std::to_string(port_)},
                  log);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (true) {
    std::istringstream lines(ReadFile(log));
    for (std::string line; std::getline(lines, line);)
      if (line.rfind("listening ", 0) == 0) {
        port_ = std::stoi(line.substr(10));
        return;
      }
    if (std::chrono::steady_clock::now() > deadline || !node_.running())
      throw std::runtime_error("the webhook receiver did not start:\n" + ReadFile(log));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void WebhookReceiver::Stop() { node_.Stop(); }

std::string WebhookReceiver::url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

void WebhookReceiver::ForceAnswer(int status) {
  std::string f = dir_.path() + "/answer";
  if (status == 0) {
    std::remove(f.c_str());
  } else {
    WriteFile(f + ".tmp", std::to_string(status));
    std::rename((f + ".tmp").c_str(), f.c_str());
  }
}

std::vector<WebhookReceiver::Received> WebhookReceiver::Events() const {
  std::vector<Received> out;
  std::istringstream lines(ReadFile(dir_.path() + "/events.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    rapidjson::Document d;
    d.Parse(line.c_str());
    if (d.HasParseError() || !d.IsObject()) continue;
    Received r;
    r.status = d["status"].GetInt();
    r.hmac = d["hmac"].GetString();
    if (d["event"].IsObject()) {
      rapidjson::StringBuffer buf;
      rapidjson::Writer<rapidjson::StringBuffer> w(buf);
      d["event"].Accept(w);
      r.event = buf.GetString();
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace mdm::test
