// The check that runs on property list bytes before libplist 2.2 parses them
// (lib/plist/plist_guard.h), and plist::Parse, which goes through it. Every hostile input here
// is built in C++; tests/fixtures/hostile/make_fixtures.py writes the same ones as files.
#include <catch2/catch.hpp>

#include <plist/plist.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plist/plist_guard.h"
#include "plist/property_list.h"

namespace {

using mdm::plist::CheckPlistBytes;
using mdm::plist::PlistLimits;

const std::string kNul = "a string in the property list holds a NUL character";
const std::string kUtf8 = "the property list is not valid UTF-8";
const std::string kDepth = "property list nested deeper than 32 levels";
const std::string kElements = "property list has more than 250000 elements";
const std::string kLong = "a string in the property list is longer than 1 MiB";
const std::string kUtf16 = "a string in the property list is not valid UTF-16";

std::string Xml(std::string_view body) {
  return std::string(
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
             "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
             "<plist version=\"1.0\">\n") +
         std::string(body) + "\n</plist>\n";
}

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// Message of the check, or "ok".
std::string Check(std::string_view bytes, const PlistLimits& limits = {}) {
  mdm::Status s = CheckPlistBytes(bytes, limits);
  return s.ok() ? "ok" : s.message();
}

bool StartsWith(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

// --- binary plists by hand ---------------------------------------------------------------

std::string BE(uint64_t v, unsigned size) {
  std::string out(size, '\0');
  for (unsigned k = 0; k < size; ++k) out[size - 1 - k] = static_cast<char>((v >> (8 * k)) & 0xFF);
  return out;
}

// A marker byte with its count, the count as a following integer object when it is 15 or more.
std::string Marker(unsigned type, uint64_t count) {
  std::string m(1, static_cast<char>(type << 4 | (count < 15 ? count : 0xF)));
  if (count < 15) return m;
  if (count <= 0xFF) m += '\x10' + BE(count, 1);
  else if (count <= 0xFFFF) m += '\x11' + BE(count, 2);
  else if (count <= 0xFFFFFFFF) m += '\x12' + BE(count, 4);
  else m += '\x13' + BE(count, 8);
  return m;
}

std::string BArray(const std::vector<uint64_t>& refs, unsigned ref_size) {
  std::string out = Marker(0xA, refs.size());
  for (uint64_t r : refs) out += BE(r, ref_size);
  return out;
}

std::string BDict(const std::vector<uint64_t>& keys, const std::vector<uint64_t>& values, unsigned ref_size) {
  std::string out = Marker(0xD, keys.size());
  for (uint64_t r : keys) out += BE(r, ref_size);
  for (uint64_t r : values) out += BE(r, ref_size);
  return out;
}

std::string BAscii(std::string_view s) { return Marker(0x5, s.size()) + std::string(s); }

std::string BUtf16(const std::vector<uint16_t>& units) {
  std::string out = Marker(0x6, units.size());
  for (uint16_t u : units) out += BE(u, 2);
  return out;
}

const std::string kBTrue = "\x09";

unsigned BytesFor(uint64_t v) {
  unsigned n = 1;
  while (n < 8 && (v >> (8 * n)) != 0) ++n;
  return n;
}

// "bplist00", the objects, the offset table (smallest offset size), the trailer.
std::string Bplist(const std::vector<std::string>& objects, uint64_t top, unsigned ref_size) {
  std::string out = "bplist00";
  std::vector<uint64_t> offsets;
  for (const auto& o : objects) {
    offsets.push_back(out.size());
    out += o;
  }
  const uint64_t table = out.size();
  const unsigned offset_size = BytesFor(offsets.empty() ? 0 : offsets.back());
  for (uint64_t o : offsets) out += BE(o, offset_size);
  out += std::string(6, '\0');
  out += static_cast<char>(offset_size);
  out += static_cast<char>(ref_size);
  out += BE(objects.size(), 8) + BE(top, 8) + BE(table, 8);
  return out;
}

// n arrays, each holding the next; the last one empty.
std::string DeepBplist(size_t n) {
  const unsigned ref_size = BytesFor(n);
  std::vector<std::string> objects;
  objects.reserve(n);
  for (size_t i = 0; i + 1 < n; ++i) objects.push_back(BArray({i + 1}, ref_size));
  objects.push_back(BArray({}, ref_size));
  return Bplist(objects, 0, ref_size);
}

// levels arrays, each holding the next one twice, then `true`: 2^(levels+1)-1 nodes once expanded.
std::string SharedRefsBplist(size_t levels) {
  std::vector<std::string> objects;
  for (size_t i = 0; i < levels; ++i) objects.push_back(BArray({i + 1, i + 1}, 1));
  objects.push_back(kBTrue);
  return Bplist(objects, 0, 1);
}

std::string ToBin(plist_t node) { return mdm::plist::ToBinary(node); }

double Ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

std::string AuthenticateXml() {
  return Xml(R"(<dict>
	<key>BuildVersion</key>
	<string>21F90</string>
	<key>DeviceName</key>
	<string>Anna’s iPhone</string>
	<key>IMEI</key>
	<string>35 391108 215476 2</string>
	<key>MEID</key>
	<string>35391108215476</string>
	<key>MessageType</key>
	<string>Authenticate</string>
	<key>Model</key>
	<string>iPhone15,2</string>
	<key>ModelName</key>
	<string>iPhone</string>
	<key>OSVersion</key>
	<string>17.5.1</string>
	<key>ProductName</key>
	<string>iPhone15,2</string>
	<key>SerialNumber</key>
	<string>F2LZK0AAPLKM</string>
	<key>Topic</key>
	<string>com.apple.mgmt.External.2b1c3a5e-8f3d-4f0e-9d8e-1a2b3c4d5e6f</string>
	<key>UDID</key>
	<string>00008120-001A2B3C4D5E6F70</string>
</dict>)");
}

std::string InstalledApplicationListXml(int apps) {
  std::string body =
      "<dict>\n\t<key>CommandUUID</key>\n\t<string>0A3E8C52-7D1B-4B8E-9F7A-2C5D6E7F8091</string>\n"
      "\t<key>InstalledApplicationList</key>\n\t<array>\n";
  for (int i = 0; i < apps; ++i) {
    std::string n = std::to_string(i);
    body += "\t\t<dict>\n"
            "\t\t\t<key>AdHocCodeSigned</key><false/>\n"
            "\t\t\t<key>AppStoreVendable</key><true/>\n"
            "\t\t\t<key>BetaApp</key><false/>\n"
            "\t\t\t<key>BundleSize</key><integer>" + std::to_string(10000000 + i) + "</integer>\n"
            "\t\t\t<key>DeviceBasedVPP</key><false/>\n"
            "\t\t\t<key>DynamicSize</key><integer>" + std::to_string(200000 + i) + "</integer>\n"
            "\t\t\t<key>ExternalVersionIdentifier</key><integer>8650" + n + "</integer>\n"
            "\t\t\t<key>HasUpdateAvailable</key><false/>\n"
            "\t\t\t<key>Identifier</key><string>com.example.app" + n + "</string>\n"
            "\t\t\t<key>Installing</key><false/>\n"
            "\t\t\t<key>IsAppClip</key><false/>\n"
            "\t\t\t<key>IsValidated</key><true/>\n"
            "\t\t\t<key>Name</key><string>Example App " + n + " — Édition</string>\n"
            "\t\t\t<key>ShortVersion</key><string>4.2." + n + "</string>\n"
            "\t\t\t<key>Version</key><string>42" + n + "</string>\n"
            "\t\t</dict>\n";
  }
  body += "\t</array>\n\t<key>Status</key>\n\t<string>Acknowledged</string>\n"
          "\t<key>UDID</key>\n\t<string>00008120-001A2B3C4D5E6F70</string>\n</dict>";
  return Xml(body);
}

}  // namespace

TEST_CASE("plist guard: valid XML and binary property lists pass") {
  const std::string xml = Xml(R"(<dict>
	<!-- a comment, <array> inside it does not count -->
	<key>String</key>
	<string>caf&#xe9; &amp; &lt;tea&gt; &quot;&apos; &#233; &#x1F600; ✓</string>
	<key>Empty</key>
	<string/>
	<key>Int</key>
	<integer>-42</integer>
	<key>Real</key>
	<real>3.25</real>
	<key>Yes</key>
	<true/>
	<key>No</key>
	<false/>
	<key>Data</key>
	<data>
	AAECAw==
	</data>
	<key>Date</key>
	<date>2024-05-01T12:00:00Z</date>
	<key>Nested</key>
	<array >
		<dict/>
		<array/>
		<dict><key>k</key><string>v<!-- inside --></string></dict>
	</array >
</dict>)");
  CHECK(Check(xml) == "ok");
  auto parsed = mdm::plist::Parse(xml);
  REQUIRE(parsed.ok());
  CHECK(mdm::plist::GetString(parsed->get(), "String") == "café & <tea> \"' é \xF0\x9F\x98\x80 ✓");
  CHECK(mdm::plist::GetData(parsed->get(), "Data") == std::string("\0\1\2\3", 4));
  CHECK(mdm::plist::GetInt(parsed->get(), "Int") == -42);

  // Binary, written by libplist: non-ASCII strings become UTF-16, nesting, every scalar type.
  const std::string bin = ToBin(parsed->get());
  REQUIRE(StartsWith(bin, "bplist00"));
  CHECK(Check(bin) == "ok");
  auto reparsed = mdm::plist::Parse(bin);
  REQUIRE(reparsed.ok());
  CHECK(mdm::plist::GetString(reparsed->get(), "String") == "café & <tea> \"' é \xF0\x9F\x98\x80 ✓");
  CHECK(mdm::plist::ToJson(reparsed->get()) == mdm::plist::ToJson(parsed->get()));

  // The hand-made builder makes plists libplist reads.
  const std::string hand = Bplist({BDict({1, 2}, {3, 4}, 1), BAscii("a"), BUtf16({0x00E9, 0xD83D, 0xDE00}),
                                   kBTrue, BArray({3, 3}, 1)},
                                  0, 1);
  CHECK(Check(hand) == "ok");
  auto h = mdm::plist::Parse(hand);
  REQUIRE(h.ok());
  CHECK(mdm::plist::GetBool(h->get(), "a") == true);
  CHECK(mdm::plist::ToJson(h->get()) == "{\"a\":true,\"\xC3\xA9\xF0\x9F\x98\x80\":[true,true]}");
}

TEST_CASE("plist guard: NUL characters in strings and keys are refused") {
  using namespace std::string_literals;
  for (const std::string& s : {"a\0b"s, "a&#0;b"s, "a&#x0;b"s, "a&#x00;b"s, "&#00000000;"s, "&#x00000000;"s}) {
    INFO("string " << s);
    CHECK(Check(Xml("<string>" + s + "</string>")) == kNul);
    CHECK(Check(Xml("<dict><key>" + s + "</key><true/></dict>")) == kNul);
    auto parsed = mdm::plist::Parse(Xml("<dict><key>" + s + "</key><string>" + s + "</string></dict>"));
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().message() == kNul);
  }
  // What libplist's strtoull would also read as 0 (signs, spaces, "0x", too many digits).
  for (const char* s : {"&#-0;", "&#+0;", "&# 0;", "&#x 0;", "&#x0x0;", "&#X0;", "&#;", "&#x;", "&#000000000;",
                        "&#x000000041;", "&nul;", "a & b", "&amp"}) {
    INFO("reference " << s);
    CHECK(StartsWith(Check(Xml(std::string("<string>") + s + "</string>")), "malformed XML property list"));
  }
  // Raw NUL anywhere, not only inside strings.
  CHECK(Check(Xml(std::string("<array>\0</array>", 16))) == kNul);
}

TEST_CASE("plist guard: invalid UTF-8 and invalid character references are refused") {
  for (const char* s : {"\xFF", "\xC0\x80", "\xC1\xBF", "\xED\xA0\x80", "\xED\xBF\xBF", "\xE0\x80\xAF",
                        "\xF0\x80\x80\xAF", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\x80", "\xE2\x82",
                        "\xC3"}) {
    INFO("bytes " << s);
    CHECK(Check(Xml(std::string("<string>x") + s + "</string>")) == kUtf8);
  }
  CHECK(Check(Xml("<string>\xE2\x82</string>")) == kUtf8);  // truncated sequence before '<'
  CHECK(Check("\xEF\xBB\xBF" + Xml("<true/>")) != "ok");     // a BOM is text outside an element
  for (const char* s : {"&#xD800;", "&#xDFFF;", "&#55296;", "&#x110000;", "&#1114112;", "&#99999999;"}) {
    INFO("reference " << s);
    CHECK(Check(Xml(std::string("<string>") + s + "</string>")) ==
          "a character reference in the property list is not a valid Unicode character");
  }
  CHECK(Check(Xml("<string>&#x10FFFF;&#xFFFD;&#1;</string>")) == "ok");
}

TEST_CASE("plist guard: deep binary nesting is refused") {
  const std::string deep = DeepBplist(100000);
  auto start = std::chrono::steady_clock::now();
  CHECK(Check(deep) == kDepth);
  WARN("check of a 100,000-deep bplist (" << deep.size() << " bytes): " << Ms(start) << " ms");
  auto parsed = mdm::plist::Parse(deep);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().message() == kDepth);

  CHECK(Check(DeepBplist(32)) == "ok");
  CHECK(mdm::plist::Parse(DeepBplist(32)).ok());
  CHECK(Check(DeepBplist(33)) == kDepth);
  PlistLimits shallow;
  shallow.max_depth = 3;
  CHECK(Check(DeepBplist(3), shallow) == "ok");
  CHECK(Check(DeepBplist(4), shallow) == "property list nested deeper than 3 levels");
  CHECK(mdm::plist::Parse(DeepBplist(4), shallow).status().message() == "property list nested deeper than 3 levels");
}

TEST_CASE("plist guard: deep XML nesting is refused") {
  const std::string deep = Xml(Repeat("<array>", 100000) + Repeat("</array>", 100000));
  CHECK(Check(deep) == kDepth);
  CHECK(mdm::plist::Parse(deep).status().message() == kDepth);
  CHECK(Check(Xml(Repeat("<array>", 100000))) == kDepth);  // unclosed

  CHECK(Check(Xml(Repeat("<array>", 32) + Repeat("</array>", 32))) == "ok");
  CHECK(mdm::plist::Parse(Xml(Repeat("<array>", 32) + Repeat("</array>", 32))).ok());
  CHECK(Check(Xml(Repeat("<array>", 33) + Repeat("</array>", 33))) == kDepth);
  CHECK(Check(Xml(Repeat("<dict><key>k</key>", 33) + Repeat("</dict>", 33))) == kDepth);
  // Self-closing containers do not nest.
  CHECK(Check(Xml("<array>" + Repeat("<array/><dict/><array />", 1000) + "</array>")) == "ok");
  // Spellings libplist reads as containers count too.
  CHECK(Check(Xml(Repeat("<array >", 33) + Repeat("</array >", 33))) == kDepth);
  CHECK(Check(Xml(Repeat("<array\n>", 33) + Repeat("</array\t>", 33))) == kDepth);
}

TEST_CASE("plist guard: XML markup that could hide or fake containers is refused") {
  auto malformed = [](const std::string& body) {
    INFO("body " << body);
    CHECK(StartsWith(Check(Xml(body)), "malformed XML property list"));
  };
  CHECK(Check(Xml("<string><![CDATA[<array>]]></string>")) ==
        "the property list holds a CDATA section or a declaration, which devices never send");
  CHECK(Check(Xml("<![CDATA[x]]><true/>")) ==
        "the property list holds a CDATA section or a declaration, which devices never send");
  CHECK(Check("<!DOCTYPE plist [<!ENTITY a \"&#0;\">]><plist><string>&a;</string></plist>") ==
        "the property list declares a DTD internal subset, which devices never send");
  CHECK(Check("<!ENTITY a \"b\"><plist><true/></plist>") ==
        "the property list holds a CDATA section or a declaration, which devices never send");
  malformed("<array a=\">\"><true/></array>");           // attributes on containers
  malformed("<array><true/></dict>");                    // mismatched closing tag
  malformed("<dict></array>");
  malformed("</array><array><true/></array>");
  malformed("<array><foo/></array>");                    // unknown element
  malformed("<Array></Array>");
  malformed("<array>junk</array>");                      // text outside an element
  malformed("<string>a<array>b</array></string>");       // markup inside a scalar
  malformed("<string>a</key>");
  malformed("<string>never closed");
  malformed("<array><!-- never closed </array>");
  malformed("<array/ >");
  malformed("<array><plist><true/></plist></array>");
  CHECK(StartsWith(Check("<?xml version=\"1.0?>\" <array><array>?><plist><true/></plist>"),
                   "malformed XML property list"));  // a processing instruction with odd quotes
  CHECK(StartsWith(Check("<plist version=\"1.0><array>\"><true/></plist>"), "malformed XML property list"));
  // Containers inside comments are not containers, for libplist either.
  CHECK(Check(Xml("<!--" + Repeat("<array>", 1000) + "--><true/>")) == "ok");
}

TEST_CASE("plist guard: shared references and cycles in binary plists are bounded") {
  // 40 levels: 2^41 nodes once expanded; deeper than the limit first.
  CHECK(Check(SharedRefsBplist(40)) == kDepth);
  // 24 levels: within the depth limit, 2^25 nodes.
  const std::string shared = SharedRefsBplist(24);
  auto start = std::chrono::steady_clock::now();
  CHECK(Check(shared) == kElements);
  WARN("check of a shared-refs bplist (" << shared.size() << " bytes, 2^25 nodes expanded): " << Ms(start)
                                         << " ms");
  CHECK(mdm::plist::Parse(shared).status().message() == kElements);
  CHECK(Check(SharedRefsBplist(10)) == "ok");  // 2047 nodes: sharing itself is fine

  const std::string cycle = "malformed binary property list: an array or dictionary contains itself";
  CHECK(Check(Bplist({BArray({0}, 1)}, 0, 1)) == cycle);
  CHECK(mdm::plist::Parse(Bplist({BArray({0}, 1)}, 0, 1)).status().message() == cycle);
  CHECK(Check(Bplist({BArray({1}, 1), BArray({0}, 1)}, 0, 1)) == cycle);
  CHECK(Check(Bplist({BDict({1}, {0}, 1), BAscii("k")}, 0, 1)) == cycle);
  CHECK(Check(Bplist({BArray({1, 1}, 1), BArray({2}, 1), BArray({1}, 1)}, 0, 1)) == cycle);
}

TEST_CASE("plist guard: strings in binary plists are checked") {
  CHECK(Check(Bplist({BAscii(std::string("a\0b", 3))}, 0, 1)) == kNul);
  CHECK(Check(Bplist({BArray({1}, 1), BAscii(std::string("\0", 1))}, 0, 1)) == kNul);
  CHECK(Check(Bplist({BDict({1}, {2}, 1), BAscii(std::string("k\0", 2)), kBTrue}, 0, 1)) == kNul);
  CHECK(mdm::plist::Parse(Bplist({BDict({1}, {2}, 1), BAscii(std::string("k\0", 2)), kBTrue}, 0, 1))
            .status()
            .message() == kNul);
  CHECK(Check(Bplist({BAscii("caf\xE9")}, 0, 1)) ==
        "malformed binary property list: an ASCII string holds a byte above 0x7F");
  CHECK(Check(Bplist({BUtf16({'a', 0x0000, 'b'})}, 0, 1)) == kNul);
  CHECK(Check(Bplist({BDict({1}, {2}, 1), BUtf16({0x0000}), kBTrue}, 0, 1)) == kNul);
  CHECK(Check(Bplist({BUtf16({'a', 0xD800, 'b'})}, 0, 1)) == kUtf16);  // lone high surrogate
  CHECK(Check(Bplist({BUtf16({'a', 0xD800})}, 0, 1)) == kUtf16);       // high surrogate at the end
  CHECK(Check(Bplist({BUtf16({0xDC00, 'a'})}, 0, 1)) == kUtf16);       // lone low surrogate
  CHECK(Check(Bplist({BUtf16({0xDBFF, 0xDFFF, 0xFFFD})}, 0, 1)) == "ok");
  CHECK(Check(Bplist({BDict({1}, {2}, 1), kBTrue, kBTrue}, 0, 1)) ==
        "malformed binary property list: a dictionary key is not a string");
}

TEST_CASE("plist guard: malformed binary structure is refused") {
  using namespace std::string_literals;
  const std::string good = Bplist({BArray({1, 2}, 1), BAscii("hello"), std::string("\x10\x07", 2)}, 0, 1);
  REQUIRE(Check(good) == "ok");
  auto with = [&](size_t at, std::string bytes) { return std::string(good).replace(at, bytes.size(), bytes); };
  const size_t trailer = good.size() - 32;

  CHECK(Check("bplist00") == "malformed binary property list: truncated");
  CHECK(Check(good.substr(0, good.size() - 1)) != "ok");  // truncated trailer
  CHECK(Check(good.substr(0, 39)) == "malformed binary property list: truncated");
  CHECK(Check(with(trailer + 6, std::string(1, '\0'))) == "malformed binary property list: bad trailer");
  CHECK(Check(with(trailer + 6, "\x09")) == "malformed binary property list: bad trailer");
  CHECK(Check(with(trailer + 7, "\x09")) == "malformed binary property list: bad trailer");
  CHECK(Check(with(trailer + 8, BE(0, 8))) == "malformed binary property list: bad trailer");
  CHECK(Check(with(trailer + 16, BE(3, 8))) == "malformed binary property list: bad trailer");  // top
  CHECK(Check(with(trailer + 8, BE(uint64_t{1} << 62, 8))) ==
        "malformed binary property list: offset table out of range");
  CHECK(Check(with(trailer + 24, BE(good.size(), 8))) == "malformed binary property list: offset table out of range");
  CHECK(Check(with(trailer + 24, BE(~uint64_t{0}, 8))) == "malformed binary property list: offset table out of range");
  CHECK(Check(with(trailer + 24, BE(4, 8))) == "malformed binary property list: offset table out of range");
  const size_t table = trailer - 3;
  CHECK(Check(with(table + 1, BE(table, 1))) == "malformed binary property list: object offset out of range");
  CHECK(Check(with(table + 1, BE(3, 1))) == "malformed binary property list: object offset out of range");
  CHECK(Check(with(9, "\x07")) == "malformed binary property list: object reference out of range");
  CHECK(Check(with(11, "\x5F\x10\xFF")) == "malformed binary property list: object runs into the offset table");
  CHECK(Check(with(11, "\x5F\x13\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF")) != "ok");
  CHECK(Check(Bplist({std::string("\x5F\x13", 2) + BE(~uint64_t{0}, 8)}, 0, 1)) ==
        "malformed binary property list: object runs into the offset table");
  CHECK(Check(Bplist({std::string("\x6F\x13", 2) + BE(uint64_t{1} << 63, 8)}, 0, 1)) ==
        "malformed binary property list: object runs into the offset table");
  CHECK(Check(Bplist({std::string("\xAF\x13", 2) + BE(uint64_t{1} << 62, 8)}, 0, 1)) ==
        "malformed binary property list: object runs into the offset table");
  CHECK(Check(Bplist({"\x5F\x14" + std::string(16, '\0')}, 0, 1)) == "malformed binary property list: bad object length");
  CHECK(Check(Bplist({"\x5F\x40"}, 0, 1)) == "malformed binary property list: bad object length");
  CHECK(Check(Bplist({"\xA2\x01"}, 0, 1)) == "malformed binary property list: object runs into the offset table");
  CHECK(Check(Bplist({"\x13\x00\x00"s}, 0, 1)) == "malformed binary property list: object runs into the offset table");
  CHECK(Check(Bplist({"\x15" + std::string(32, '\0')}, 0, 1)) == "malformed binary property list: bad integer size");
  CHECK(Check(Bplist({"\x21\0\0\0\0"s}, 0, 1)) == "malformed binary property list: bad real size");
  CHECK(Check(Bplist({"\x32\0\0\0\0"s}, 0, 1)) == "malformed binary property list: bad date size");
  for (const char* marker : {"\x01", "\x07", "\x70", "\x90", "\xB0", "\xE0", "\xF0"}) {
    INFO("marker " << int(static_cast<unsigned char>(*marker)));
    CHECK(Check(Bplist({std::string(marker, 1) + std::string(8, '\0')}, 0, 1)) ==
          "malformed binary property list: unknown object type");
  }
  // What passes: null, fill, UIDs, 16-byte integers, float reals, dates, data, sets.
  CHECK(Check(Bplist({BArray({1, 2, 3, 4, 5, 6, 7, 8}, 1), "\x00"s, "\x0F"s, "\x80\x05"s, "\x14"s + std::string(16, '\1'),
                      "\x22\x3F\x80\0\0"s, "\x33"s + std::string(8, '\0'), "\x42\x01\x02"s, "\xC1\x01"s},
                     0, 1)) == "ok");
}

TEST_CASE("plist guard: strings longer than 1 MiB are refused") {
  const std::string mib(size_t{1} << 20, 'x');
  CHECK(Check(Xml("<string>" + mib + "</string>")) == "ok");
  CHECK(Check(Xml("<string>" + mib + "x</string>")) == kLong);
  CHECK(Check(Xml("<dict><key>" + mib + "x</key><true/></dict>")) == kLong);
  CHECK(mdm::plist::Parse(Xml("<string>" + mib + "x</string>")).status().message() == kLong);
  // Length is counted after decoding: &amp; is one byte, &#x10000; four.
  CHECK(Check(Xml("<string>" + mib.substr(10) + Repeat("&amp;", 10) + "</string>")) == "ok");
  CHECK(Check(Xml("<string>" + mib.substr(10) + Repeat("&amp;", 11) + "</string>")) == kLong);
  CHECK(Check(Xml("<string>" + mib.substr(4) + "&#x10000;x</string>")) == kLong);
  // Data is not a string.
  CHECK(Check(Xml("<data>" + Repeat("QUFB", 400000) + "</data>")) == "ok");

  CHECK(Check(Bplist({BAscii(mib)}, 0, 1)) == "ok");
  CHECK(Check(Bplist({BAscii(mib + "x")}, 0, 1)) == kLong);
  // UTF-16: U+20AC is 2 bytes there, 3 in UTF-8.
  CHECK(Check(Bplist({BUtf16(std::vector<uint16_t>((size_t{1} << 20) / 3 + 1, 0x20AC))}, 0, 1)) == kLong);
  CHECK(Check(Bplist({BUtf16(std::vector<uint16_t>((size_t{1} << 20) / 3, 0x20AC))}, 0, 1)) == "ok");
  CHECK(Check(Bplist({BArray({1, 1, 1}, 1), BAscii(mib + "x")}, 0, 1)) == kLong);
  CHECK(Check(Bplist({std::string(1, '\x44') + "abcd"}, 0, 1)) == "ok");  // data
}

TEST_CASE("plist guard: more than 250000 elements are refused") {
  // The array is an element too: 249,999 + 1 pass, 250,000 + 1 do not.
  CHECK(Check(Xml("<array>" + Repeat("<true/>", 249999) + "</array>")) == "ok");
  CHECK(Check(Xml("<array>" + Repeat("<true/>", 250000) + "</array>")) == kElements);
  CHECK(Check(Xml("<dict>" + Repeat("<key>k</key><string>v</string>", 125000) + "</dict>")) == kElements);
  CHECK(Check(Xml("<array>" + Repeat("<string>v</string>", 250000) + "</array>")) == kElements);

  std::vector<uint64_t> refs(249999, 1);
  CHECK(Check(Bplist({BArray(refs, 1), kBTrue}, 0, 1)) == "ok");
  refs.push_back(1);
  CHECK(Check(Bplist({BArray(refs, 1), kBTrue}, 0, 1)) == kElements);
  CHECK(mdm::plist::Parse(Bplist({BArray(refs, 1), kBTrue}, 0, 1)).status().message() == kElements);
  // 500 x 500 through one shared array.
  CHECK(Check(Bplist({BArray(std::vector<uint64_t>(500, 1), 1), BArray(std::vector<uint64_t>(500, 2), 1), kBTrue},
                     0, 1)) == kElements);
}

TEST_CASE("plist guard: Parse accepts an Authenticate message and a 2,000-app InstalledApplicationList") {
  auto auth = mdm::plist::ParseDict(AuthenticateXml());
  REQUIRE(auth.ok());
  CHECK(mdm::plist::GetString(auth->get(), "MessageType") == "Authenticate");
  CHECK(mdm::plist::GetString(auth->get(), "DeviceName") == "Anna’s iPhone");
  CHECK(mdm::plist::ParseDict(ToBin(auth->get())).ok());

  const std::string xml = InstalledApplicationListXml(2000);
  auto start = std::chrono::steady_clock::now();
  CHECK(Check(xml) == "ok");
  const double check_ms = Ms(start);
  start = std::chrono::steady_clock::now();
  auto report = mdm::plist::ParseDict(xml);
  const double parse_ms = Ms(start);
  REQUIRE(report.ok());
  plist_t list = mdm::plist::Get(report->get(), "InstalledApplicationList");
  REQUIRE(plist_array_get_size(list) == 2000);
  CHECK(mdm::plist::GetString(plist_array_get_item(list, 1999), "Name") == "Example App 1999 — Édition");
  const std::string bin = ToBin(report->get());
  CHECK(Check(bin) == "ok");
  CHECK(mdm::plist::ParseDict(bin).ok());
  WARN("InstalledApplicationList of 2,000 apps: " << xml.size() << " bytes XML, " << bin.size()
                                                  << " bytes binary; check " << check_ms
                                                  << " ms, Parse (check + libplist) " << parse_ms << " ms");
}

TEST_CASE("plist guard: an 8 MB flat XML plist is checked and parsed in linear time") {
  std::string body = "<array>\n";
  for (int i = 0; i < 200000; ++i)
    body += "\t<string>com.example.app." + std::to_string(1000000 + i) + "</string>\n";
  body += "</array>";
  const std::string xml = Xml(body);
  REQUIRE(xml.size() > 8000000);

  auto start = std::chrono::steady_clock::now();
  CHECK(Check(xml) == "ok");
  const double check_ms = Ms(start);
  start = std::chrono::steady_clock::now();
  plist_t root = nullptr;
  plist_from_xml(xml.data(), static_cast<uint32_t>(xml.size()), &root);
  const double libplist_ms = Ms(start);
  mdm::plist::Owned owned(root);
  REQUIRE(root);
  CHECK(plist_array_get_size(root) == 200000);
  start = std::chrono::steady_clock::now();
  CHECK(mdm::plist::Parse(xml).ok());
  const double parse_ms = Ms(start);
  WARN("flat XML plist of 200,000 strings, " << xml.size() << " bytes: check " << check_ms << " ms, libplist "
                                             << libplist_ms << " ms, Parse " << parse_ms << " ms");

  const std::string bin = ToBin(root);
  start = std::chrono::steady_clock::now();
  CHECK(Check(bin) == "ok");
  const double bin_check_ms = Ms(start);
  start = std::chrono::steady_clock::now();
  CHECK(mdm::plist::Parse(bin).ok());
  WARN("the same as a binary plist, " << bin.size() << " bytes: check " << bin_check_ms << " ms, Parse "
                                      << Ms(start) << " ms");
}

TEST_CASE("plist guard: StringValue reads a string holding NUL without aborting") {
  // Defence in depth for trees that did not come through Parse: libplist keeps the NUL of a
  // UTF-16 string (an ASCII one it cuts at the NUL), and plist_get_string_val would assert.
  const std::string bin = Bplist({BUtf16({'a', 0, 'b'})}, 0, 1);
  plist_t root = nullptr;
  plist_from_bin(bin.data(), static_cast<uint32_t>(bin.size()), &root);
  mdm::plist::Owned owned(root);
  REQUIRE(plist_get_node_type(root) == PLIST_STRING);
  CHECK(mdm::plist::StringValue(root) == "ab");
  CHECK(mdm::plist::ToJson(root) == "\"ab\"");

  // The XML parser copies text with strncpy, so what follows a raw NUL becomes NULs too.
  const std::string xml = Xml(std::string("<string>a\0b</string>", 20));
  plist_t xroot = nullptr;
  plist_from_xml(xml.data(), static_cast<uint32_t>(xml.size()), &xroot);
  mdm::plist::Owned xowned(xroot);
  REQUIRE(plist_get_node_type(xroot) == PLIST_STRING);
  uint64_t len = 0;
  plist_get_string_ptr(xroot, &len);
  CHECK(len == 3);
  CHECK(mdm::plist::StringValue(xroot) == "a");
}
