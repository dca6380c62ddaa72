#include "shim/monitor/json_text.h"

namespace airlock::monitor {
namespace {

// Decodes the JSON string body that starts at text[pos] (just after the opening quote).
// \uXXXX escapes outside ASCII are kept as '?': error text only needs to stay readable.
std::string DecodeJsonString(std::string_view text, size_t pos) {
  std::string out;
  while (pos < text.size() && text[pos] != '"') {
    char c = text[pos++];
    if (c != '\\' || pos >= text.size()) {
      out.push_back(c);
      continue;
    }
    char e = text[pos++];
    switch (e) {
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'u': {
        unsigned v = 0;
        size_t digits = 0;
        for (; digits < 4 && pos < text.size(); ++digits, ++pos) {
          char h = text[pos];
          int nibble = h >= '0' && h <= '9'   ? h - '0'
                       : h >= 'a' && h <= 'f' ? h - 'a' + 10
                       : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                              : -1;
          if (nibble < 0) break;
          v = v * 16 + static_cast<unsigned>(nibble);
        }
        if (digits == 4) out.push_back(v < 0x80 ? static_cast<char>(v) : '?');
        break;
      }
      default:
        out.push_back(e);
        break;  // \" \\ \/
    }
  }
  return out;
}

std::string FieldValue(std::string_view line, std::string_view key) {
  std::string pattern = "\"" + std::string(key) + "\":\"";
  size_t at = line.find(pattern);
  if (at == std::string_view::npos) return "";
  return DecodeJsonString(line, at + pattern.size());
}

}  // namespace

void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  for (char c : text) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out->append("\\u00");
          out->push_back(kHex[(c >> 4) & 0xf]);
          out->push_back(kHex[c & 0xf]);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

std::string ExtractRuntimeErrors(std::string_view json_lines) {
  std::string joined;
  while (!json_lines.empty()) {
    size_t nl = json_lines.find('\n');
    std::string_view line = json_lines.substr(0, nl);
    json_lines.remove_prefix(nl == std::string_view::npos ? json_lines.size() : nl + 1);
    std::string level = FieldValue(line, "level");
    if (level != "error" && level != "fatal") continue;
    std::string msg = FieldValue(line, "msg");
    if (msg.empty()) continue;
    if (!joined.empty()) joined.append("; ");
    joined.append(msg);
  }
  return joined;
}

}  // namespace airlock::monitor
