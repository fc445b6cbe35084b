#include "deploy/profile_file.h"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <memory>
#include <set>

#include "crypto/crypto.h"
#include "crypto/signed_data.h"
#include "plist/property_list.h"

namespace mdm::deploy {
namespace {

struct CertStackDeleter {
  void operator()(STACK_OF(X509)* s) const { sk_X509_pop_free(s, X509_free); }
};

// Plists start with '<', whitespace or "bplist"; DER SignedData with a SEQUENCE tag.
bool LooksSigned(std::string_view bytes) { return !bytes.empty() && static_cast<unsigned char>(bytes[0]) == 0x30; }

struct Unwrapped {
  std::string content;
  std::string signer;
};

// The content of a signed profile, once its signature verifies. Trust in the signer is not
// ours to judge (devices show it), so the certificates it carries serve as their own anchors:
// the chain check passes and only the signature over the content counts.
Result<Unwrapped> Unwrap(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  crypto::Cms cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!cms) {
    ERR_clear_error();
    return Status::Invalid("this is neither a property list nor a signed profile");
  }
  std::unique_ptr<STACK_OF(X509), CertStackDeleter> carried(CMS_get1_certs(cms.get()));
  std::vector<X509*> anchors;
  for (int i = 0; carried && i < sk_X509_num(carried.get()); ++i) anchors.push_back(sk_X509_value(carried.get(), i));
  crypto::Store store = crypto::MakeStore(anchors);
  X509_STORE_set_flags(store.get(), X509_V_FLAG_PARTIAL_CHAIN);
  auto verified = crypto::VerifyAttached(der, store.get(), /*ignore_validity_dates=*/true);
  if (!verified.ok()) return Status::Invalid("signed profile refused: " + verified.status().message());
  return Unwrapped{std::move(verified->content), crypto::SubjectCommonName(verified->signer.get())};
}

bool IsNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-';
}

void FindPlaceholders(std::string_view s, std::set<std::string>* out) {
  for (size_t i = s.find("$$"); i != std::string_view::npos; i = s.find("$$", i)) {
    size_t j = i + 2;
    while (j < s.size() && IsNameChar(s[j])) ++j;
    if (j > i + 2 && s.compare(j, 2, "$$") == 0) {
      out->insert(std::string(s.substr(i + 2, j - i - 2)));
      i = j + 2;
    } else {
      ++i;  // "$$$name$$": the match may start one further
    }
  }
}

void CollectPlaceholders(plist_t node, std::set<std::string>* out) {
  switch (plist_get_node_type(node)) {
    case PLIST_STRING:
      FindPlaceholders(plist::StringValue(node), out);
      break;
    case PLIST_ARRAY:
      for (uint32_t i = 0; i < plist_array_get_size(node); ++i) CollectPlaceholders(plist_array_get_item(node, i), out);
      break;
    case PLIST_DICT:
      plist::ForEach(node, [&](const std::string&, plist_t v) {
        CollectPlaceholders(v, out);
        return true;
      });
      break;
    default:
      break;
  }
}

Status CheckProfile(plist_t root) {
  if (plist_get_node_type(root) != PLIST_DICT) return Status::Invalid("the profile's root is not a dictionary");
  auto type = plist::GetString(root, "PayloadType");
  if (type != "Configuration")
    return Status::Invalid("this is not a configuration profile (PayloadType " + type.value_or("missing") + ")");
  for (const char* key : {"PayloadIdentifier", "PayloadUUID"})
    if (plist::GetString(root, key).value_or("").empty())
      return Status::Invalid(std::string("the profile has no ") + key + " (a non-empty string)");
  plist_t content = plist::Get(root, "PayloadContent");
  if (!content || plist_get_node_type(content) != PLIST_ARRAY)
    return Status::Invalid("the profile's PayloadContent is not an array of payloads");
  for (uint32_t i = 0; i < plist_array_get_size(content); ++i) {
    plist_t payload = plist_array_get_item(content, i);
    std::string where = "payload " + std::to_string(i + 1) + " of PayloadContent";
    if (plist_get_node_type(payload) != PLIST_DICT) return Status::Invalid(where + " is not a dictionary");
    for (const char* key : {"PayloadType", "PayloadIdentifier", "PayloadUUID"})
      if (plist::GetString(payload, key).value_or("").empty())
        return Status::Invalid(where + " has no " + key + " (a non-empty string)");
    if (plist::GetString(payload, "PayloadType") == "com.apple.mdm")
      return Status::Invalid(
          "the profile carries an MDM payload (com.apple.mdm): installed through the catalog it would take the "
          "devices away from their enrollment; remove that payload");
  }
  return Status::Ok();
}

}  // namespace

Result<ProfileFile> ReadProfile(std::string_view bytes) {
  ProfileFile out;
  out.original = std::string(bytes);
  std::string_view plist_bytes = bytes;
  std::string signed_content;
  const bool is_signed = LooksSigned(bytes);
  if (is_signed) {
    auto unwrapped = Unwrap(bytes);
    if (!unwrapped.ok()) return unwrapped.status();
    signed_content = std::move(unwrapped->content);
    out.signer = std::move(unwrapped->signer);
    plist_bytes = signed_content;
  }
  auto root = plist::Parse(plist_bytes);
  if (!root.ok())
    return Status::Invalid("not a configuration profile (" + root.status().message() +
                           "): give a .mobileconfig as Apple Configurator or iMazing saves it (XML, binary or signed)");
  if (Status s = CheckProfile(root->get()); !s.ok()) return s;

  // Plain XML stays as the operator wrote it; binary and signed content become XML.
  bool plain_xml = !is_signed && !plist_is_binary(bytes.data(), static_cast<uint32_t>(bytes.size()));
  out.xml = plain_xml ? std::string(bytes) : plist::ToXml(root->get());
  if (plist::ValidUtf8(out.xml) != out.xml) return Status::Invalid("the profile is not valid UTF-8 text");

  out.identifier = *plist::GetString(root->get(), "PayloadIdentifier");
  out.payload_uuid = *plist::GetString(root->get(), "PayloadUUID");
  out.display_name = plist::GetString(root->get(), "PayloadDisplayName").value_or("");
  std::set<std::string> names;
  CollectPlaceholders(root->get(), &names);
  out.placeholders.assign(names.begin(), names.end());
  out.content_hash = crypto::Hex(crypto::Sha256(out.xml));
  return out;
}

}  // namespace mdm::deploy
