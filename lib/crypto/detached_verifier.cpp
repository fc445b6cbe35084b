#include "crypto/detached_verifier.h"

#include <openssl/err.h>

namespace mdm::crypto {
namespace {

struct CertStackDeleter { void operator()(STACK_OF(X509)* s) const { sk_X509_free(s); } };

// One DER element: where its contents start and end.
struct Tlv {
  unsigned char tag = 0;
  size_t header = 0, length = 0;
  size_t size() const { return header + length; }
};

// Reads the element at the start of `in` (definite lengths only: DER).
bool ReadTlv(std::string_view in, Tlv* t) {
  if (in.size() < 2) return false;
  t->tag = static_cast<unsigned char>(in[0]);
  unsigned char first = static_cast<unsigned char>(in[1]);
  if (first < 0x80) {
    t->header = 2;
    t->length = first;
  } else {
    size_t n = first & 0x7f;
    if (n == 0 || n > 4 || in.size() < 2 + n) return false;  // 0: indefinite length (BER)
    t->length = 0;
    for (size_t i = 0; i < n; ++i) t->length = (t->length << 8) | static_cast<unsigned char>(in[2 + i]);
    t->header = 2 + n;
  }
  return t->header + t->length <= in.size();
}

std::string Encode(unsigned char tag, std::string_view contents) {
  std::string out(1, static_cast<char>(tag));
  size_t len = contents.size();
  if (len < 0x80) {
    out.push_back(static_cast<char>(len));
  } else {
    std::string bytes;
    for (size_t l = len; l > 0; l >>= 8) bytes.insert(bytes.begin(), static_cast<char>(l & 0xff));
    out.push_back(static_cast<char>(0x80 | bytes.size()));
    out += bytes;
  }
  out.append(contents);
  return out;
}

}  // namespace

bool SplitSignerCertificate(std::string_view der, std::string* without_certs, std::string_view* cert_der) {
  // ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT SignedData }
  Tlv ci, oid, explicit0, sd;
  if (!ReadTlv(der, &ci) || ci.tag != 0x30) return false;
  std::string_view body = der.substr(ci.header, ci.length);
  if (!ReadTlv(body, &oid) || oid.tag != 0x06) return false;
  std::string_view rest = body.substr(oid.size());
  if (!ReadTlv(rest, &explicit0) || explicit0.tag != 0xa0) return false;
  std::string_view inner = rest.substr(explicit0.header, explicit0.length);
  if (!ReadTlv(inner, &sd) || sd.tag != 0x30) return false;
  // SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo,
  //                           certificates [0] IMPLICIT OPTIONAL, crls [1] OPTIONAL, signerInfos }
  std::string_view fields = inner.substr(sd.header, sd.length);
  std::string kept;
  bool found = false;
  while (!fields.empty()) {
    Tlv f;
    if (!ReadTlv(fields, &f)) return false;
    if (f.tag == 0xa0) {
      std::string_view certs = fields.substr(f.header, f.length);
      Tlv c;
      if (found || !ReadTlv(certs, &c) || c.tag != 0x30 || c.size() != certs.size()) return false;
      *cert_der = certs.substr(0, c.size());
      found = true;
    } else {
      kept.append(fields.substr(0, f.size()));
    }
    fields.remove_prefix(f.size());
  }
  if (!found) return false;
  *without_certs = Encode(0x30, std::string(body.substr(0, oid.size())) + Encode(0xa0, Encode(0x30, kept)));
  return true;
}

DetachedVerifier::DetachedVerifier(X509_STORE* store, size_t capacity) : store_(store), capacity_(capacity) {}

Result<std::string> DetachedVerifier::Verify(std::string_view cms_der, std::string_view content) {
  std::string stripped;
  std::string_view cert_der;
  if (SplitSignerCertificate(cms_der, &stripped, &cert_der)) {
    std::string key = Sha256(cert_der);
    X509* cert = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = known_.find(key);
      if (it != known_.end() && it->second.not_after > std::time(nullptr)) {
        cert = it->second.cert.get();
        X509_up_ref(cert);
      }
    }
    if (cert) {
      Cert held(cert);
      const unsigned char* p = reinterpret_cast<const unsigned char*>(stripped.data());
      Cms cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(stripped.size())));
      if (cms) {
        std::unique_ptr<STACK_OF(X509), CertStackDeleter> certs(sk_X509_new_null());
        sk_X509_push(certs.get(), held.get());
        // The signer must be the remembered certificate: CMS_verify matches the signer ID against it.
        if (CmsVerifyOver(cms.get(), certs.get(), content, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY | CMS_NOINTERN) == 1)
          return key;
      }
      ERR_clear_error();
      // Fall through: the full check gives the precise reason.
    }
  }
  auto signer = VerifyDetached(cms_der, content, store_);
  if (!signer.ok()) return signer.status();
  std::string hash = CertSha256(signer->get());
  if (!cert_der.empty() && Sha256(cert_der) == hash) {
    time_t not_after = static_cast<time_t>(NotAfter(signer->get()));
    std::lock_guard<std::mutex> lock(mu_);
    if (known_.size() >= capacity_) known_.clear();  // rare; the next requests refill it
    known_[hash] = Known{std::move(signer).value(), not_after};
  }
  return hash;
}

}  // namespace mdm::crypto
