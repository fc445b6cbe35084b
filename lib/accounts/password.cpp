#include "accounts/password.h"

#include <openssl/evp.h>

#include <charconv>
#include <vector>

#include "crypto/crypto.h"
#include "plist/property_list.h"

namespace mdm::accounts {
namespace {

constexpr uint64_t kN = 1 << 15, kR = 8, kP = 1;
constexpr size_t kSaltBytes = 16, kHashBytes = 32;
constexpr uint64_t kMaxMem = 64ull << 20;

bool Scrypt(std::string_view password, const std::string& salt, uint64_t n, uint64_t r, uint64_t p, size_t len,
            std::string* out) {
  out->assign(len, '\0');
  return EVP_PBE_scrypt(password.data(), password.size(), reinterpret_cast<const unsigned char*>(salt.data()),
                        salt.size(), n, r, p, kMaxMem, reinterpret_cast<unsigned char*>(out->data()), len) == 1;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> parts(1);
  for (char c : s) {
    if (c == sep) parts.emplace_back();
    else parts.back() += c;
  }
  return parts;
}

bool Number(const std::string& s, uint64_t* v) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

std::string HashPassword(std::string_view password) {
  std::string salt = crypto::RandomBytes(kSaltBytes), hash;
  if (!Scrypt(password, salt, kN, kR, kP, kHashBytes, &hash)) throw std::runtime_error("scrypt failed");
  return "scrypt$" + std::to_string(kN) + "$" + std::to_string(kR) + "$" + std::to_string(kP) + "$" +
         crypto::Base64Encode(salt) + "$" + crypto::Base64Encode(hash);
}

bool VerifyPassword(std::string_view password, const std::string& stored) {
  auto parts = Split(stored, '$');
  uint64_t n = 0, r = 0, p = 0;
  std::string salt, want, got;
  if (parts.size() != 6 || parts[0] != "scrypt" || !Number(parts[1], &n) || !Number(parts[2], &r) ||
      !Number(parts[3], &p) || !crypto::Base64Decode(parts[4], &salt) || !crypto::Base64Decode(parts[5], &want) ||
      want.empty() || want.size() > 64 || n > (1u << 20) || r > 32 || p > 4)
    return false;
  if (!Scrypt(password, salt, n, r, p, want.size(), &got)) return false;
  return crypto::ConstantTimeEquals(got, want);
}

Status CheckNewPassword(std::string_view password) {
  if (password.size() < 12) return Status::Invalid("a password needs at least 12 characters");
  if (password.size() > 1024) return Status::Invalid("a password has at most 1,024 characters");
  if (plist::ValidUtf8(std::string(password)) != password) return Status::Invalid("a password must be UTF-8 text");
  return Status::Ok();
}

}  // namespace mdm::accounts
