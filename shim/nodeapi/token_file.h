// TokenFile: bearer tokens from a kube-apiserver static token file (--token-auth-file), so
// that a cluster's existing token CSV can be reused on the node:
//
//   token,user,uid,"group1,group2"
//
// Read as kube-apiserver reads it (apiserver tokenfile.go NewCSV, Go encoding/csv with
// FieldsPerRecord = -1): at least 3 columns, the optional 4th column is a comma-separated
// group list (quoted because it contains commas), extra columns are ignored, a record with
// an empty token is skipped, a repeated token keeps its last record, blank lines are skipped
// and there are no comment lines. A presented token is compared with every stored token in
// constant time, so the response time does not tell how many leading bytes were right.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shim/base/result.h"

namespace airlock::nodeapi {

// An authenticated caller: token file record or client certificate (CN, O).
struct UserInfo {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
  bool operator==(const UserInfo&) const = default;
};

struct TokenRecord {
  std::string token;
  UserInfo user;
};

// Splits CSV text into records with Go encoding/csv's rules (RFC 4180 quoting: a field that
// starts with '"' is quoted, '""' inside it is one quote, commas and newlines inside it are
// data; a '"' inside an unquoted field is an error; "\r\n" ends a line like "\n").
// `what` names the input in errors ("parse token file /etc/x.csv: line 3: ...").
Result<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text,
                                                       const std::string& what);

// The token records of a token file's text, with the rules above.
Result<std::vector<TokenRecord>> ParseTokenCsv(std::string_view text, const std::string& what);

// Equal in time that depends only on the length of `presented` (never on where the first
// difference is, nor on the stored token's length).
bool ConstantTimeEquals(std::string_view stored, std::string_view presented);

class TokenFile {
 public:
  // Reads `path`; an unreadable or malformed file is an error (the daemon does not start
  // with an authentication source it cannot read).
  static Result<std::unique_ptr<TokenFile>> Load(const std::string& path);
  // For tests and embedders: a fixed table that never reloads.
  static std::unique_ptr<TokenFile> FromRecords(std::vector<TokenRecord> records);

  // The user of `token`, or nullopt. Rereads the file first when its mtime, size or inode
  // changed (an edited or replaced file applies without a restart); a file that became
  // unreadable or malformed keeps the previous table and logs why.
  std::optional<UserInfo> Authenticate(std::string_view token);

  size_t size();

 private:
  struct Stamp {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };
  TokenFile(std::string path, std::vector<TokenRecord> records, std::optional<Stamp> stamp);
  static Result<Stamp> StampOf(const std::string& path);
  void ReloadIfChangedLocked();

  const std::string path_;  // "" for a fixed table
  std::mutex mu_;
  std::vector<TokenRecord> records_;
  std::optional<Stamp> stamp_;
};

}  // namespace airlock::nodeapi
