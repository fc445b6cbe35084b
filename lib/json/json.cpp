#include "json/json.h"

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace mdm::json {
namespace {

// Iterative: the reader keeps its own heap stack instead of recursing. The encoding is checked
// byte by byte as strings are read. Not kParseFullPrecisionFlag: in rapidjson 1.1 its path reads
// a zero significand with an exponent ("0e53") as garbage (DiyFp::Normalize of 0, found by
// tests/fuzz/json_fuzz); the default path is correct to within an ulp, which no value of ours
// needs.
constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

enum class Refusal { kNone, kDepth, kNul, kLength, kSurrogate };

// Checks each SAX event against the limits and hands it to the Document being built; returning
// false stops the reader (kParseErrorTermination) with nothing deeper than the limit built.
class CheckingHandler {
 public:
  CheckingHandler(rapidjson::Document& doc, const Limits& limits) : doc_(doc), limits_(limits) {}

  Refusal refusal() const { return refusal_; }

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(int64_t i) { return doc_.Int64(i); }
  bool Uint64(uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  // Only with kParseNumbersAsStringsFlag, which we do not set; the reader's template needs it.
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) { return doc_.RawNumber(s, n, copy); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return Check(s, n) && doc_.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return Check(s, n) && doc_.Key(s, n, copy); }
  bool StartObject() { return Deeper() && doc_.StartObject(); }
  bool EndObject(rapidjson::SizeType members) {
    --depth_;
    return doc_.EndObject(members);
  }
  bool StartArray() { return Deeper() && doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) {
    --depth_;
    return doc_.EndArray(elements);
  }

 private:
  bool Refuse(Refusal r) {
    refusal_ = r;
    return false;
  }
  bool Deeper() { return ++depth_ <= limits_.max_depth || Refuse(Refusal::kDepth); }
  bool Check(const char* s, rapidjson::SizeType n) {
    if (n > limits_.max_string_bytes) return Refuse(Refusal::kLength);
    const std::string_view v(s, n);
    if (v.find('\0') != std::string_view::npos) return Refuse(Refusal::kNul);
    // The text's bytes were checked as UTF-8, and rapidjson refuses a high surrogate escape
    // without its pair; a lone low one (\uDC00..\uDFFF) still comes out as ED B0..BF xx, which
    // PostgreSQL refuses. In valid UTF-8, ED is a lead byte followed by 80..9F.
    for (size_t i = v.find('\xED'); i != std::string_view::npos; i = v.find('\xED', i + 1))
      if (i + 1 < v.size() && static_cast<unsigned char>(v[i + 1]) >= 0xA0) return Refuse(Refusal::kSurrogate);
    return true;
  }

  rapidjson::Document& doc_;
  const Limits& limits_;
  int depth_ = 0;
  Refusal refusal_ = Refusal::kNone;
};

std::string At(size_t offset) { return " at offset " + std::to_string(offset); }

// rapidjson's "Missing a comma or ']' after an array element." as part of our sentence.
std::string ReaderMessage(rapidjson::ParseErrorCode code) {
  std::string m = rapidjson::GetParseError_En(code);
  if (!m.empty() && m.back() == '.') m.pop_back();
  if (!m.empty()) m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
  return m;
}

}  // namespace

Status Parse(std::string_view text, rapidjson::Document* doc, const Limits& limits) {
  doc->SetNull();
  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0)
    return Status::Invalid("the JSON starts with a byte order mark: save it as UTF-8 without one");
  // The reader's stream answers '\0' at its end, so a raw NUL byte would end the text early and
  // hide whatever follows it. (Inside a string it is an error anyway.)
  if (size_t nul = text.find('\0'); nul != std::string_view::npos)
    return Status::Invalid("not valid JSON: a NUL byte" + At(nul));

  // MemoryStream reads exactly text.size() bytes; no NUL terminator needed. (Not
  // EncodedInputStream, which skips any of EF, BB, BF at the start, one by one.)
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::Reader reader;
  CheckingHandler handler(*doc, limits);
  rapidjson::ParseResult result;
  auto generate = [&](rapidjson::Document& d) {
    (void)d;  // the handler holds it
    result = reader.Parse<kFlags>(stream, handler);
    return !result.IsError();
  };
  // Populate moves the finished root into *doc; on failure it drops the partial values.
  doc->Populate(generate);
  if (!result.IsError()) return Status::Ok();
  doc->SetNull();
  size_t offset = result.Offset();
  switch (handler.refusal()) {
    case Refusal::kDepth:
      return Status::Invalid("the JSON is nested deeper than " + std::to_string(limits.max_depth) + " levels" +
                             At(offset));
    case Refusal::kNul:
      return Status::Invalid("a JSON string holds a NUL character (\\u0000)" + At(offset));
    case Refusal::kLength:
      return Status::Invalid("a JSON string is longer than " + std::to_string(limits.max_string_bytes) + " bytes" +
                             At(offset));
    case Refusal::kSurrogate:
      return Status::Invalid("the JSON is not valid UTF-8 (an unpaired surrogate \\uDC00..\\uDFFF)" + At(offset));
    case Refusal::kNone:
      break;
  }
  if (result.Code() == rapidjson::kParseErrorStringInvalidEncoding)
    return Status::Invalid("the JSON is not valid UTF-8" + At(offset));
  return Status::Invalid("not valid JSON: " + ReaderMessage(result.Code()) + At(offset));
}

std::string Quote(std::string_view text) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace mdm::json
