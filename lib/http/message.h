// A request and a response as plain data: what the FastCGI adapter hands to lib and gets back.
// Tests build these directly, without a web server.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mdm::http {

struct Request {
  std::string method;       // "GET", "PUT", ...
  std::string path;         // PATH_INFO below /api-mdm.php, e.g. "/checkin"
  // The same path as the client sent it, still %-escaped (from REQUEST_URI), when it decodes to
  // `path` exactly (no dot segments or doubled slashes nginx resolved); else empty. Routes whose
  // path holds names (the admin API) read it, so a name with '/' or '%' stays one name.
  std::string raw_path;
  std::string query;        // QUERY_STRING, undecoded
  std::map<std::string, std::string> headers;  // lower-case names; repeats joined with ", "
  std::vector<std::string> repeated_headers;   // names that came more than once
  std::string body;
  std::string client_cert;  // URL-escaped PEM from nginx ($ssl_client_escaped_cert), if any
  std::string remote_addr;

  // The header's value, or nullptr. `name` is lower-case.
  const std::string* header(std::string_view name) const {
    auto it = headers.find(std::string(name));
    return it == headers.end() ? nullptr : &it->second;
  }
  std::string content_type() const {
    const std::string* v = header("content-type");
    return v ? *v : std::string();
  }
};

struct Response {
  int status = 200;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // For the log line only; never sent.
  std::string enrollment_id;
  std::string reason;

  static Response Text(int status, std::string text, std::string reason = {}) {
    Response r;
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::move(text);
    if (!r.body.empty() && r.body.back() != '\n') r.body.push_back('\n');
    if (reason.empty() && status >= 400) reason = r.body.substr(0, r.body.size() - 1);
    r.reason = std::move(reason);
    return r;
  }
  static Response Empty(int status = 200) {
    Response r;
    r.status = status;
    return r;
  }
};

// "200 OK", "404 Not Found", ...: the reason phrase for a status line.
const char* ReasonPhrase(int status);

// RFC 3986: unreserved characters stay, every other byte becomes %XX (upper-case hex).
std::string UrlEncode(std::string_view in);

// Decodes %XX and '+' (for query strings); false on a malformed escape.
bool UrlDecode(std::string_view in, std::string* out, bool plus_is_space);

// The value of `key` in a query string ("a=1&b=2"), decoded; false when absent or malformed
// (a bad escape, or a value that is not UTF-8 or holds a NUL).
bool QueryParam(std::string_view query, std::string_view key, std::string* out);

// Every key=value of a query string, decoded, in order; parts that are malformed (a bad escape,
// not UTF-8, a NUL) are left out.
std::vector<std::pair<std::string, std::string>> QueryParams(std::string_view query);

// The value of one raw header line of a response ("Retry-After: 120\r\n", as libcurl hands them
// over) when its name is `name` (given with the colon, matched in any case): without the spaces
// after the colon and the line end. nullopt for another header, or `name` with nothing after it.
std::optional<std::string_view> HeaderLineValue(std::string_view line, std::string_view name);

}  // namespace mdm::http
