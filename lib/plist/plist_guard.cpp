#include "plist/plist_guard.h"

#include "core/utf8.h"

#include <cstring>
#include <string>
#include <vector>

namespace mdm::plist {
namespace {

constexpr char kNulMessage[] = "a string in the property list holds a NUL character";
constexpr char kUtf8Message[] = "the property list is not valid UTF-8";

std::string DepthMessage(const PlistLimits& l) {
  return "property list nested deeper than " + std::to_string(l.max_depth) + " levels";
}

std::string ElementsMessage(const PlistLimits& l) {
  return "property list has more than " + std::to_string(l.max_elements) + " elements";
}

std::string StringMessage(const PlistLimits& l) {
  constexpr uint64_t kMiB = uint64_t{1} << 20;
  if (l.max_string_bytes >= kMiB && l.max_string_bytes % kMiB == 0)
    return "a string in the property list is longer than " + std::to_string(l.max_string_bytes / kMiB) + " MiB";
  return "a string in the property list is longer than " + std::to_string(l.max_string_bytes) + " bytes";
}

Status MalformedXml(const char* why) { return Status::Invalid(std::string("malformed XML property list: ") + why); }
Status MalformedBin(const char* why) { return Status::Invalid(std::string("malformed binary property list: ") + why); }

size_t Utf8Length(uint32_t cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

// ---------------------------------------------------------------------------------------------
// XML. A linear scan over tags, mirroring how libplist's parser (xplist.c) splits the
// document, and strict wherever the two could disagree: a construct ends at its first
// terminator and must not hold an odd number of double quotes (libplist skips quoted text when
// looking for the end of a tag, a <?...?> or a DOCTYPE, so balanced quotes make both end at the
// same place); elements are only the plist ones, without attributes (but <plist version=...>);
// closing tags must match; text between containers must be whitespace. Comments are skipped
// (both here and in libplist they end at the first "-->"). CDATA sections, <!ENTITY> and other
// declarations, and a DOCTYPE with an internal subset are refused altogether: Apple never sends
// them, and they are where a scan and a parser most easily disagree.

bool IsWs(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool IsNameEnd(char c) { return IsWs(c) || c == '<' || c == '>' || c == '/'; }

bool AllWs(std::string_view s) {
  for (char c : s)
    if (!IsWs(c)) return false;
  return true;
}

bool EvenQuotes(std::string_view s) {
  size_t q = 0;
  for (char c : s) q += c == '"';
  return q % 2 == 0;
}

enum class Elem { kNone, kDict, kArray, kKey, kString, kInteger, kReal, kTrue, kFalse, kData, kDate };

Elem ElemOf(std::string_view name) {
  static constexpr struct {
    std::string_view name;
    Elem elem;
  } kElems[] = {
      {"dict", Elem::kDict},       {"array", Elem::kArray}, {"key", Elem::kKey},   {"string", Elem::kString},
      {"integer", Elem::kInteger}, {"real", Elem::kReal},   {"true", Elem::kTrue}, {"false", Elem::kFalse},
      {"data", Elem::kData},       {"date", Elem::kDate},
  };
  for (const auto& e : kElems)
    if (e.name == name) return e.elem;
  return Elem::kNone;
}

class XmlCheck {
 public:
  XmlCheck(std::string_view s, const PlistLimits& limits) : s_(s), limits_(limits) {}

  Status Run() {
    switch (CheckUtf8(s_)) {
      case Utf8::kNul: return Status::Invalid(kNulMessage);
      case Utf8::kInvalid: return Status::Invalid(kUtf8Message);
      case Utf8::kOk: break;
    }
    const size_t n = s_.size();
    std::vector<Elem> stack;  // open containers; never longer than max_depth
    uint64_t elements = 0;
    size_t i = 0;
    while (i < n) {
      if (s_[i] != '<') {
        if (!IsWs(s_[i])) return MalformedXml("text outside an element");
        ++i;
        continue;
      }
      if (At(i, "<?")) {  // the XML declaration or another processing instruction
        size_t end = s_.find("?>", i + 1);
        if (end == std::string_view::npos) return MalformedXml("unterminated processing instruction");
        if (!EvenQuotes(s_.substr(i, end - i))) return MalformedXml("unbalanced quotes");
        i = end + 2;
        continue;
      }
      if (At(i, "<!--")) {
        if (Status st = SkipComment(&i); !st.ok()) return st;
        continue;
      }
      if (At(i, "<!DOCTYPE")) {
        size_t end = s_.find('>', i);
        if (end == std::string_view::npos) return MalformedXml("unterminated DOCTYPE");
        std::string_view decl = s_.substr(i + 9, end - i - 9);
        if (decl.find('[') != std::string_view::npos)
          return Status::Invalid("the property list declares a DTD internal subset, which devices never send");
        if (!stack.empty() || decl.find('<') != std::string_view::npos || !EvenQuotes(decl))
          return MalformedXml("bad DOCTYPE");
        i = end + 1;
        continue;
      }
      if (At(i, "<!"))
        return Status::Invalid("the property list holds a CDATA section or a declaration, which devices never send");

      const bool closing = At(i, "</");
      const size_t name_begin = i + (closing ? 2 : 1);
      size_t name_end = name_begin;
      while (name_end < n && !IsNameEnd(s_[name_end])) ++name_end;
      const std::string_view name = s_.substr(name_begin, name_end - name_begin);
      const size_t gt = s_.find('>', name_end);
      if (gt == std::string_view::npos) return MalformedXml("unterminated tag");
      const std::string_view rest = s_.substr(name_end, gt - name_end);  // between name and '>'
      if (rest.find('<') != std::string_view::npos) return MalformedXml("'<' inside a tag");
      i = gt + 1;

      if (name == "plist") {
        if (!stack.empty()) return MalformedXml("<plist> inside a container");
        if (closing ? !AllWs(rest) : (!EvenQuotes(rest) || (!rest.empty() && rest.back() == '/')))
          return MalformedXml("bad <plist> tag");
        continue;
      }
      const Elem elem = ElemOf(name);
      if (closing) {
        if (!AllWs(rest)) return MalformedXml("bad closing tag");
        if (elem != Elem::kDict && elem != Elem::kArray) return MalformedXml("unexpected closing tag");
        if (stack.empty() || stack.back() != elem) return MalformedXml("mismatched closing tag");
        stack.pop_back();
        continue;
      }
      if (elem == Elem::kNone) return MalformedXml("unknown element");
      // No attributes: whitespace, then at most a '/' just before '>'.
      size_t k = 0;
      while (k < rest.size() && IsWs(rest[k])) ++k;
      const bool empty = k + 1 == rest.size() && rest[k] == '/';
      if (!empty && k != rest.size()) return MalformedXml("attributes on an element");

      if (++elements > limits_.max_elements) return Status::Invalid(ElementsMessage(limits_));
      if (elem == Elem::kDict || elem == Elem::kArray) {
        if (!empty) {
          if (stack.size() >= static_cast<size_t>(limits_.max_depth < 0 ? 0 : limits_.max_depth))
            return Status::Invalid(DepthMessage(limits_));
          stack.push_back(elem);
        }
        continue;
      }
      if (empty) continue;
      if (Status st = ScanText(name, elem == Elem::kString || elem == Elem::kKey, &i); !st.ok()) return st;
    }
    if (!stack.empty()) return MalformedXml("a container is not closed");
    return Status::Ok();
  }

 private:
  bool At(size_t i, std::string_view what) const { return s_.substr(i, what.size()) == what; }

  Status SkipComment(size_t* i) const {
    size_t end = s_.find("-->", *i + 4);
    if (end == std::string_view::npos) return MalformedXml("unterminated comment");
    *i = end + 3;
    return Status::Ok();
  }

  // The content of a scalar element, up to its closing tag; *i starts after the opening tag.
  // Comments may sit inside (libplist joins the text around them); no other markup may.
  Status ScanText(std::string_view name, bool measure, size_t* i) const {
    const size_t n = s_.size();
    uint64_t length = 0;  // decoded UTF-8 bytes
    size_t p = *i;
    while (true) {
      size_t q = s_.find_first_of("<&", p);
      if (q == std::string_view::npos) return MalformedXml("an element is not closed");
      length += q - p;
      if (s_[q] == '&') {
        size_t bytes = 0;
        if (Status st = Reference(q, &p, &bytes); !st.ok()) return st;
        length += bytes;
      } else if (At(q, "<!--")) {
        p = q;
        if (Status st = SkipComment(&p); !st.ok()) return st;
      } else if (At(q, "</")) {
        size_t e = q + 2;
        while (e < n && !IsNameEnd(s_[e])) ++e;
        if (s_.substr(q + 2, e - q - 2) != name) return MalformedXml("mismatched closing tag");
        while (e < n && IsWs(s_[e])) ++e;
        if (e >= n || s_[e] != '>') return MalformedXml("bad closing tag");
        p = e + 1;
        break;
      } else if (At(q, "<![CDATA[")) {
        return Status::Invalid("the property list holds a CDATA section or a declaration, which devices never send");
      } else {
        return MalformedXml("markup inside a scalar element");
      }
      if (measure && length > limits_.max_string_bytes) return Status::Invalid(StringMessage(limits_));
    }
    if (measure && length > limits_.max_string_bytes) return Status::Invalid(StringMessage(limits_));
    *i = p;
    return Status::Ok();
  }

  // An entity or character reference at s_[at] == '&': the five predefined entities, &#N; or
  // &#xH; with at most 8 digits, naming a Unicode scalar value other than NUL. libplist decodes
  // numeric references with strtoull, which also takes signs, spaces and "0x": only the strict
  // forms pass here. Sets *next after the ';' and *bytes to the decoded UTF-8 length.
  Status Reference(size_t at, size_t* next, size_t* bytes) const {
    constexpr size_t kMaxDigits = 8;
    const size_t n = s_.size();
    size_t semi = at + 1;
    while (semi < n && semi <= at + 3 + kMaxDigits && s_[semi] != ';') ++semi;
    if (semi >= n || s_[semi] != ';') return MalformedXml("bad character reference");
    const std::string_view body = s_.substr(at + 1, semi - at - 1);
    *next = semi + 1;
    if (body == "amp" || body == "lt" || body == "gt" || body == "quot" || body == "apos") {
      *bytes = 1;
      return Status::Ok();
    }
    if (body.size() < 2 || body[0] != '#') return MalformedXml("bad character reference");
    const bool hex = body[1] == 'x';
    std::string_view digits = body.substr(hex ? 2 : 1);
    if (digits.empty() || digits.size() > kMaxDigits) return MalformedXml("bad character reference");
    uint64_t v = 0;
    for (char c : digits) {
      int d = c >= '0' && c <= '9'                ? c - '0'
              : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
              : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                  : -1;
      if (d < 0) return MalformedXml("bad character reference");
      v = v * (hex ? 16 : 10) + static_cast<uint64_t>(d);
    }
    if (v == 0) return Status::Invalid(kNulMessage);
    if ((v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
      return Status::Invalid("a character reference in the property list is not a valid Unicode character");
    *bytes = Utf8Length(static_cast<uint32_t>(v));
    return Status::Ok();
  }

  std::string_view s_;
  const PlistLimits& limits_;
};

// ---------------------------------------------------------------------------------------------
// Binary (bplist00). The layout: "bplist00", objects, an offset table (one offset per object,
// offset_int_size bytes each, big-endian), and a 32-byte trailer: 6 unused bytes,
// offset_int_size, object_ref_size, num_objects, top_object, offset_table_offset (8 bytes
// each, big-endian). Objects start with a marker byte: high nibble the type, low nibble a
// size or a count (0xF: the count follows as an integer object).
//
// The walk from the top object uses an explicit stack of open containers (never deeper than
// max_depth) and counts each visit, so shared references are counted as often as libplist
// would copy them and the walk stops at max_elements; strings are checked once per object
// (remembered), so the work is linear in the input plus max_elements.

uint64_t ReadBE(const unsigned char* p, size_t size) {
  uint64_t v = 0;
  for (size_t k = 0; k < size; ++k) v = (v << 8) | p[k];
  return v;
}

class BinaryCheck {
 public:
  BinaryCheck(std::string_view s, const PlistLimits& limits)
      : b_(reinterpret_cast<const unsigned char*>(s.data())), n_(s.size()), limits_(limits) {}

  Status Run() {
    constexpr size_t kHeader = 8, kTrailer = 32;
    if (n_ < kHeader + kTrailer || std::memcmp(b_, "bplist00", kHeader) != 0) return MalformedBin("truncated");
    const unsigned char* t = b_ + n_ - kTrailer;
    offset_size_ = t[6];
    ref_size_ = t[7];
    num_objects_ = ReadBE(t + 8, 8);
    const uint64_t top = ReadBE(t + 16, 8);
    table_ = ReadBE(t + 24, 8);
    if (offset_size_ < 1 || offset_size_ > 8 || ref_size_ < 1 || ref_size_ > 8 || num_objects_ == 0 ||
        top >= num_objects_)
      return MalformedBin("bad trailer");
    const uint64_t table_end = n_ - kTrailer;
    if (table_ < kHeader || table_ > table_end || num_objects_ > (table_end - table_) / offset_size_)
      return MalformedBin("offset table out of range");
    for (uint64_t k = 0; k < num_objects_; ++k) {
      uint64_t off = Offset(k);
      if (off < kHeader || off >= table_) return MalformedBin("object offset out of range");
    }
    state_.assign(num_objects_, 0);  // num_objects_ <= n_: the table holds that many offsets

    if (Status st = Visit(top, false); !st.ok()) return st;
    while (!stack_.empty()) {
      Frame& f = stack_.back();
      if (f.next == f.refs) {
        state_[f.object] &= static_cast<uint8_t>(~kOnPath);
        stack_.pop_back();
        continue;
      }
      const uint64_t j = f.next++;
      const bool key = f.dict && j < f.refs / 2;  // a dict's key refs come before its value refs
      const uint64_t ref = ReadBE(b_ + f.at + j * ref_size_, ref_size_);
      if (ref >= num_objects_) return MalformedBin("object reference out of range");
      if (Status st = Visit(ref, key); !st.ok()) return st;  // may grow stack_: f is stale now
    }
    return Status::Ok();
  }

 private:
  static constexpr uint8_t kChecked = 1;  // the object's content was checked once
  static constexpr uint8_t kOnPath = 2;   // a container between the top object and here

  struct Frame {
    uint64_t object;
    uint64_t at;    // file offset of its first reference
    uint64_t refs;  // references to visit (a dict: keys, then values)
    uint64_t next;
    bool dict;
  };

  uint64_t Offset(uint64_t index) const { return ReadBE(b_ + table_ + index * offset_size_, offset_size_); }

  // The count of the object at `at` whose marker's low nibble is `low`; *begin is set after
  // the marker (and the count's integer object when there is one).
  Status Count(uint64_t at, unsigned low, uint64_t* count, uint64_t* begin) const {
    if (low != 0xF) {
      *count = low;
      *begin = at + 1;
      return Status::Ok();
    }
    if (table_ - at < 2) return MalformedBin("object runs into the offset table");
    const unsigned char m = b_[at + 1];
    if ((m >> 4) != 0x1 || (m & 0xF) > 3) return MalformedBin("bad object length");
    const uint64_t size = uint64_t{1} << (m & 0xF);
    if (table_ - at - 2 < size) return MalformedBin("object runs into the offset table");
    *count = ReadBE(b_ + at + 2, size);
    *begin = at + 2 + size;
    return Status::Ok();
  }

  Status Visit(uint64_t index, bool key) {
    if (++elements_ > limits_.max_elements) return Status::Invalid(ElementsMessage(limits_));
    const uint64_t at = Offset(index);
    const unsigned char marker = b_[at];
    const unsigned type = marker >> 4, low = marker & 0xF;
    const uint64_t room = table_ - at - 1;  // bytes after the marker, before the offset table
    if (key && type != 0x5 && type != 0x6) return MalformedBin("a dictionary key is not a string");
    switch (type) {
      case 0x0:  // null, false, true, fill
        if (low != 0x0 && low != 0x8 && low != 0x9 && low != 0xF) return MalformedBin("unknown object type");
        return Status::Ok();
      case 0x1:  // integer of 2^low bytes
        if (low > 4) return MalformedBin("bad integer size");
        if (room < (uint64_t{1} << low)) return MalformedBin("object runs into the offset table");
        return Status::Ok();
      case 0x2:  // real: float or double
        if (low != 2 && low != 3) return MalformedBin("bad real size");
        if (room < (uint64_t{1} << low)) return MalformedBin("object runs into the offset table");
        return Status::Ok();
      case 0x3:  // date: a double
        if (low != 3) return MalformedBin("bad date size");
        if (room < 8) return MalformedBin("object runs into the offset table");
        return Status::Ok();
      case 0x8:  // UID of low+1 bytes
        if (low > 7) return MalformedBin("bad UID size");
        if (room < low + 1u) return MalformedBin("object runs into the offset table");
        return Status::Ok();
      case 0x4:
      case 0x5:
      case 0x6: {
        uint64_t count = 0, begin = 0;
        if (Status st = Count(at, low, &count, &begin); !st.ok()) return st;
        const uint64_t unit = type == 0x6 ? 2 : 1;
        if (count > (table_ - begin) / unit) return MalformedBin("object runs into the offset table");
        if (type == 0x4 || (state_[index] & kChecked)) return Status::Ok();
        Status st = type == 0x5 ? Ascii(begin, count) : Utf16(begin, count);
        if (!st.ok()) return st;
        state_[index] |= kChecked;
        return Status::Ok();
      }
      case 0xA:  // array
      case 0xC:  // set
      case 0xD: {  // dict
        uint64_t count = 0, begin = 0;
        if (Status st = Count(at, low, &count, &begin); !st.ok()) return st;
        const uint64_t unit = ref_size_ * (type == 0xD ? 2u : 1u);
        if (count > (table_ - begin) / unit) return MalformedBin("object runs into the offset table");
        if (state_[index] & kOnPath) return MalformedBin("an array or dictionary contains itself");
        if (stack_.size() >= static_cast<size_t>(limits_.max_depth < 0 ? 0 : limits_.max_depth))
          return Status::Invalid(DepthMessage(limits_));
        if (count == 0) return Status::Ok();
        state_[index] |= kOnPath;
        stack_.push_back(Frame{index, begin, count * (type == 0xD ? 2 : 1), 0, type == 0xD});
        return Status::Ok();
      }
      default:
        return MalformedBin("unknown object type");
    }
  }

  // Every byte 0x01..0x7F: libplist copies the bytes as they are, so a byte above 0x7F would
  // be a string that is not UTF-8, and a NUL one that aborts the reader.
  Status Ascii(uint64_t begin, uint64_t count) const {
    if (count > limits_.max_string_bytes) return Status::Invalid(StringMessage(limits_));
    for (uint64_t k = 0; k < count; ++k) {
      const unsigned char c = b_[begin + k];
      if (c == 0) return Status::Invalid(kNulMessage);
      if (c >= 0x80) return MalformedBin("an ASCII string holds a byte above 0x7F");
    }
    return Status::Ok();
  }

  // UTF-16BE code units: no NUL, surrogates only in high-low pairs; counts the UTF-8 length.
  Status Utf16(uint64_t begin, uint64_t count) const {
    uint64_t utf8 = 0;
    for (uint64_t k = 0; k < count; ++k) {
      const uint32_t u = static_cast<uint32_t>(ReadBE(b_ + begin + 2 * k, 2));
      if (u == 0) return Status::Invalid(kNulMessage);
      if (u >= 0xD800 && u <= 0xDBFF) {
        const uint32_t next = k + 1 < count ? static_cast<uint32_t>(ReadBE(b_ + begin + 2 * (k + 1), 2)) : 0;
        if (next < 0xDC00 || next > 0xDFFF) return Status::Invalid("a string in the property list is not valid UTF-16");
        ++k;
        utf8 += 4;
      } else if (u >= 0xDC00 && u <= 0xDFFF) {
        return Status::Invalid("a string in the property list is not valid UTF-16");
      } else {
        utf8 += Utf8Length(u);
      }
      if (utf8 > limits_.max_string_bytes) return Status::Invalid(StringMessage(limits_));
    }
    return Status::Ok();
  }

  const unsigned char* b_;
  size_t n_;
  const PlistLimits& limits_;
  unsigned offset_size_ = 0, ref_size_ = 0;
  uint64_t num_objects_ = 0, table_ = 0;
  uint64_t elements_ = 0;
  std::vector<uint8_t> state_;
  std::vector<Frame> stack_;
};

}  // namespace

Status CheckXmlPlist(std::string_view bytes, const PlistLimits& limits) { return XmlCheck(bytes, limits).Run(); }

Status CheckBinaryPlist(std::string_view bytes, const PlistLimits& limits) {
  return BinaryCheck(bytes, limits).Run();
}

Status CheckPlistBytes(std::string_view bytes, const PlistLimits& limits) {
  // plist_is_binary: at least 8 bytes starting with "bplist00"; anything else goes to the XML
  // parser.
  if (bytes.size() >= 8 && bytes.substr(0, 8) == "bplist00") return CheckBinaryPlist(bytes, limits);
  return CheckXmlPlist(bytes, limits);
}

}  // namespace mdm::plist
