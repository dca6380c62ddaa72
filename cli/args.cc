#include "cli/args.h"

#include <charconv>
#include <sstream>

namespace airlock::cli {

bool ParsedArgs::Flag(const std::string& name) const {
  auto it = flags.find(name);
  return it != flags.end() && it->second;
}

bool ParsedArgs::Has(const std::string& name) const { return values.count(name) > 0 || Flag(name); }

std::string ParsedArgs::Value(const std::string& name, const std::string& fallback) const {
  auto it = values.find(name);
  if (it == values.end() || it->second.empty()) return fallback;
  return it->second.back();
}

std::vector<std::string> ParsedArgs::Values(const std::string& name) const {
  auto it = values.find(name);
  return it == values.end() ? std::vector<std::string>{} : it->second;
}

ArgParser::ArgParser(std::string usage, std::string summary)
    : usage_(std::move(usage)), summary_(std::move(summary)) {}

ArgParser& ArgParser::Flag(std::string name, char short_name, std::string help) {
  options_.push_back(OptionSpec{std::move(name), short_name, false, false, "", std::move(help)});
  return *this;
}

ArgParser& ArgParser::Option(std::string name, char short_name, std::string value_name,
                             std::string help) {
  options_.push_back(
      OptionSpec{std::move(name), short_name, true, false, std::move(value_name), std::move(help)});
  return *this;
}

ArgParser& ArgParser::Repeated(std::string name, char short_name, std::string value_name,
                               std::string help) {
  options_.push_back(
      OptionSpec{std::move(name), short_name, true, true, std::move(value_name), std::move(help)});
  return *this;
}

ArgParser& ArgParser::AddIfAbsent(const OptionSpec& spec) {
  if (FindLong(spec.name) != nullptr) return *this;
  OptionSpec copy = spec;
  if (copy.short_name != 0 && FindShort(copy.short_name) != nullptr) copy.short_name = 0;
  options_.push_back(std::move(copy));
  return *this;
}

ArgParser& ArgParser::StopAtFirstPositional() {
  stop_at_first_positional_ = true;
  return *this;
}

const OptionSpec* ArgParser::FindLong(const std::string& name) const {
  for (const auto& o : options_) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

const OptionSpec* ArgParser::FindShort(char c) const {
  for (const auto& o : options_) {
    if (o.short_name == c) return &o;
  }
  return nullptr;
}

namespace {

Error UsageError(const std::string& message) {
  return MakeError(ErrorCode::kInvalidArgument, message);
}

void Store(ParsedArgs& out, const OptionSpec& spec, std::string value) {
  auto& slot = out.values[spec.name];
  if (!spec.repeated) slot.clear();
  slot.push_back(std::move(value));
}

}  // namespace

Result<ParsedArgs> ArgParser::Parse(const std::vector<std::string>& args) const {
  ParsedArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      out.rest.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      return out;
    }
    if (arg == "-h" || arg == "--help") {
      out.help = true;
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      if (stop_at_first_positional_) {
        out.rest.assign(args.begin() + static_cast<long>(i), args.end());
        return out;
      }
      out.positionals.push_back(arg);
      continue;
    }
    if (arg.rfind("--", 0) == 0) {
      std::string name = arg.substr(2);
      std::optional<std::string> inline_value;
      if (auto eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name.resize(eq);
      }
      const OptionSpec* spec = FindLong(name);
      if (spec == nullptr) return UsageError("unknown flag --" + name);
      if (!spec->takes_value) {
        if (inline_value) return UsageError("flag --" + name + " takes no value");
        out.flags[spec->name] = true;
        continue;
      }
      if (!inline_value) {
        if (i + 1 >= args.size()) return UsageError("flag --" + name + " needs a value");
        inline_value = args[++i];
      }
      Store(out, *spec, *inline_value);
      continue;
    }
    // Short options: "-it" bundles booleans; "-nvalue" or "-n value" for one taking a value.
    for (size_t j = 1; j < arg.size(); ++j) {
      const OptionSpec* spec = FindShort(arg[j]);
      if (spec == nullptr) return UsageError(std::string("unknown flag -") + arg[j]);
      if (!spec->takes_value) {
        out.flags[spec->name] = true;
        continue;
      }
      std::string value = arg.substr(j + 1);
      if (value.empty()) {
        if (i + 1 >= args.size()) {
          return UsageError(std::string("flag -") + arg[j] + " needs a value");
        }
        value = args[++i];
      }
      Store(out, *spec, std::move(value));
      break;
    }
  }
  return out;
}

std::string ArgParser::Help() const {
  std::ostringstream os;
  os << "Usage: " << usage_ << "\n";
  if (!summary_.empty()) os << "\n" << summary_ << "\n";
  os << "\nOptions:\n";
  std::vector<std::pair<std::string, std::string>> rows;
  size_t width = 0;
  for (const auto& o : options_) {
    std::string left = o.short_name ? std::string("  -") + o.short_name + ", " : "      ";
    left += "--" + o.name;
    if (o.takes_value) left += " " + o.value_name;
    width = std::max(width, left.size());
    rows.emplace_back(left, o.help + (o.repeated ? " (repeatable)" : ""));
  }
  rows.emplace_back("  -h, --help", "show this help");
  width = std::max(width, rows.back().first.size());
  for (const auto& [left, help] : rows) {
    os << left << std::string(width - left.size() + 3, ' ') << help << "\n";
  }
  return os.str();
}

Result<std::pair<std::string, std::string>> ParseKeyValue(const std::string& text,
                                                          const std::string& what) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "parse " + what + " \"" + text + "\": want KEY=VALUE");
  }
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

Result<int64_t> ParseSeconds(const std::string& text, const std::string& what) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end || v < 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "parse " + what + " \"" + text + "\": want a whole number of seconds >= 0");
  }
  return v;
}

}  // namespace airlock::cli
