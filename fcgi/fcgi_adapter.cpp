#include "fcgi_adapter.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace mdm::fcgi {
namespace {

std::string Param(FCGX_Request& fr, const char* name) {
  const char* v = FCGX_GetParam(name, fr.envp);
  return v ? std::string(v) : std::string();
}

// HTTP_CONTENT_TYPE -> content-type
std::string HeaderName(const char* env_name, size_t len) {
  std::string out;
  out.reserve(len);
  for (size_t i = 0; i < len; ++i) {
    char c = env_name[i];
    out.push_back(c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

}  // namespace

ReadOutcome ReadRequest(FCGX_Request& fr, std::size_t max_body, http::Request* req) {
  req->method = Param(fr, "REQUEST_METHOD");
  req->path = Param(fr, "PATH_INFO");
  req->query = Param(fr, "QUERY_STRING");
  {
    // nginx decodes PATH_INFO; keep the path as sent when it names the same thing (nginx
    // applied its allow/deny to the decoded, normalized one).
    std::string uri = Param(fr, "REQUEST_URI"), script = Param(fr, "SCRIPT_NAME"), decoded;
    std::string_view raw = std::string_view(uri).substr(0, uri.find('?'));
    if (!script.empty() && raw.starts_with(script)) {
      raw.remove_prefix(script.size());
      if (http::UrlDecode(raw, &decoded, false) && decoded == req->path) req->raw_path = std::string(raw);
    }
  }
  req->client_cert = Param(fr, "SSL_CLIENT_ESCAPED_CERT");
  req->remote_addr = Param(fr, "REMOTE_ADDR");
  for (char** e = fr.envp; e && *e; ++e) {
    const char* kv = *e;
    const char* eq = std::strchr(kv, '=');
    if (!eq) continue;
    if (std::strncmp(kv, "HTTP_", 5) == 0) {
      // A header sent twice reaches us as two params: keep both (RFC 9110 joins them with ", ")
      // and remember it, so that no caller silently takes one of two signatures or keys.
      auto [it, fresh] = req->headers.try_emplace(HeaderName(kv + 5, static_cast<size_t>(eq - kv - 5)), eq + 1);
      if (!fresh) {
        it->second += ", ";
        it->second += eq + 1;
        req->repeated_headers.push_back(it->first);
      }
    }
  }
  std::string ct = Param(fr, "CONTENT_TYPE");
  if (!ct.empty()) req->headers["content-type"] = ct;

  std::string cl = Param(fr, "CONTENT_LENGTH");
  if (cl.empty()) return ReadOutcome::kOk;
  char* end = nullptr;
  errno = 0;
  unsigned long long n = std::strtoull(cl.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || cl[0] == '-') return ReadOutcome::kBadLength;
  if (n > max_body) return ReadOutcome::kTooLarge;
  req->body.resize(static_cast<size_t>(n));
  size_t got = 0;
  while (got < n) {
    int r = FCGX_GetStr(req->body.data() + got, static_cast<int>(n - got), fr.in);
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  if (got != n) {
    req->body.resize(got);
    return ReadOutcome::kShortBody;
  }
  return ReadOutcome::kOk;
}

void WriteResponse(FCGX_Request& fr, const http::Response& res) {
  std::string head = "Status: " + std::to_string(res.status) + " " + http::ReasonPhrase(res.status) + "\r\n";
  if (!res.content_type.empty()) head += "Content-Type: " + res.content_type + "\r\n";
  head += "Content-Length: " + std::to_string(res.body.size()) + "\r\n";
  for (const auto& [k, v] : res.headers) head += k + ": " + v + "\r\n";
  head += "\r\n";
  FCGX_PutStr(head.data(), static_cast<int>(head.size()), fr.out);
  if (!res.body.empty()) FCGX_PutStr(res.body.data(), static_cast<int>(res.body.size()), fr.out);
}

}  // namespace mdm::fcgi
