#include "hostile.h"

#include <cstdint>

namespace devicesim {
namespace {

Slist Unsigned(const char* content_type) {
  Slist list;
  Append(list, std::string("Content-Type: ") + content_type);
  Append(list, "Expect:");
  return list;
}

void PutBigEndian(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A binary plist of `depth` nested one-element arrays, 3-byte references and offsets.
std::string DeepBinaryPlist(uint64_t depth) {
  std::string b = "bplist00";
  std::vector<uint64_t> offsets;
  for (uint64_t i = 0; i < depth; ++i) {
    offsets.push_back(b.size());
    b.push_back(static_cast<char>(0xA1));
    PutBigEndian(b, i + 1, 3);
  }
  offsets.push_back(b.size());
  b.push_back(static_cast<char>(0xA0));
  const uint64_t table = b.size();
  for (uint64_t o : offsets) PutBigEndian(b, o, 3);
  b.append(6, '\0');
  b.push_back(3);
  b.push_back(3);
  PutBigEndian(b, offsets.size(), 8);
  PutBigEndian(b, 0, 8);
  PutBigEndian(b, table, 8);
  return b;
}

std::string Repeat(const std::string& head, const std::string& unit, const std::string& tail, std::size_t bytes) {
  std::string s = head;
  while (s.size() + unit.size() + tail.size() <= bytes) s += unit;
  return s + tail;
}

}  // namespace

HostileLoad::HostileLoad(const Target& target, const Device& signer, EVP_PKEY* key, std::size_t body_bytes)
    : target_(target) {
  const std::string xml = "<?xml version=\"1.0\"?><plist version=\"1.0\">";
  std::string nul = "<dict><key>MessageType</key><string>Authenticate</string><key>UDID</key><string>A";
  nul.push_back('\0');
  nul += "B</string><key>Pad</key><string>";
  // Unsigned: refused after a look at the headers.
  bodies_.push_back({"unsigned, 8 MB of nested <array> to /checkin", "/checkin",
                     Repeat(xml, "<array>", "", body_bytes), Unsigned("application/x-apple-aspen-mdm-checkin")});
  bodies_.push_back({"unsigned, 8 MB NUL-in-string plist to /mdm", "/mdm",
                     Repeat(xml + nul, "x", "</string></dict></plist>", body_bytes), Unsigned("application/x-apple-aspen-mdm")});
  // Signed with an enrolled device's key: the signature verifies, then the bounded parser refuses.
  std::string deep = DeepBinaryPlist((body_bytes - 64) / 7);
  bodies_.push_back({"signed, binary plist nested " + std::to_string((body_bytes - 64) / 7) + " deep to /mdm", "/mdm",
                     deep, MdmHeaders(signer.cert.get(), key, deep)});
  std::string many = Repeat(xml + "<array>", "<string>x</string>", "</array></plist>", body_bytes);
  bodies_.push_back({"signed, 8 MB XML array of short strings (too many elements) to /mdm", "/mdm", many,
                     MdmHeaders(signer.cert.get(), key, many)});
}

HostileLoad::~HostileLoad() {
  if (!threads_.empty()) Stop();
}

std::vector<std::string> HostileLoad::Describe() const {
  std::vector<std::string> out;
  for (const auto& b : bodies_) out.push_back(b.what + " (" + std::to_string(b.bytes.size()) + " bytes)");
  return out;
}

void HostileLoad::Start(int threads) {
  tallies_.assign(static_cast<std::size_t>(threads), HostileTally{});
  for (int t = 0; t < threads; ++t) threads_.emplace_back([this, t] { Run(t, tallies_[static_cast<std::size_t>(t)]); });
}

void HostileLoad::Run(int t, HostileTally& tally) {
  Connection checkin(target_.base_url + "/checkin", target_.ca_file);
  Connection mdm(target_.base_url + "/mdm", target_.ca_file);
  for (std::size_t i = static_cast<std::size_t>(t); !stop_ && !Interrupted(); ++i) {
    const Body& b = bodies_[i % bodies_.size()];
    Connection& c = b.route == "/checkin" ? checkin : mdm;
    const long status = c.Put(b.bytes, b.headers.get());
    ++tally.sent;
    tally.megabytes += static_cast<double>(b.bytes.size()) / 1e6;
    if (status >= 400 && status < 500) {
      ++tally.refused;
    } else {
      ++tally.other;
      if (tally.first_other.empty())
        tally.first_other = b.what + ": " + (status ? std::to_string(status) : std::string(c.error()));
    }
  }
}

HostileTally HostileLoad::Stop() {
  stop_ = true;
  for (auto& t : threads_) t.join();
  threads_.clear();
  HostileTally all;
  for (const auto& t : tallies_) {
    all.sent += t.sent;
    all.refused += t.refused;
    all.other += t.other;
    all.megabytes += t.megabytes;
    if (all.first_other.empty()) all.first_other = t.first_other;
  }
  return all;
}

}  // namespace devicesim
