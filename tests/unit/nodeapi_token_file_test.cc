// Token file: kube-apiserver's static token CSV as a cluster admin writes it, and reloads.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "shim/nodeapi/token_file.h"

namespace airlock::nodeapi {
namespace {

using Groups = std::vector<std::string>;

TEST(TokenCsv, ReadsQuotedGroupsAndOptionalColumns) {
  auto records = ParseTokenCsv(
      "s3cr3t,alice,1001,\"dev,ops\"\n"
      "t0k3n,bob,1002\n"
      "x,carol,1003,admins,extra-column,more\n",
      "test");
  ASSERT_TRUE(records.ok()) << records.error().message;
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0].token, "s3cr3t");
  EXPECT_EQ((*records)[0].user, (UserInfo{"alice", "1001", Groups{"dev", "ops"}}));
  EXPECT_EQ((*records)[1].user, (UserInfo{"bob", "1002", Groups{}}));
  EXPECT_EQ((*records)[2].user, (UserInfo{"carol", "1003", Groups{"admins"}}));
}

TEST(TokenCsv, CrLfBlankLinesEscapedQuotesAndNewlinesInQuotes) {
  auto records = ParseTokenCsv(
      "\r\n"
      "a,\"user \"\"q\"\"\",1,\"g1,\r\ng2\"\r\n"
      "\n"
      "b,plain,2",  // no final newline
      "test");
  ASSERT_TRUE(records.ok()) << records.error().message;
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].user.name, "user \"q\"");
  EXPECT_EQ((*records)[0].user.groups, (Groups{"g1", "\ng2"}));
  EXPECT_EQ((*records)[1].user.name, "plain");
}

TEST(TokenCsv, SkipsEmptyTokensAndLaterDuplicateWins) {
  auto records = ParseTokenCsv(",nobody,0\nt,first,1\nt,second,2\n", "test");
  ASSERT_TRUE(records.ok()) << records.error().message;
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].user.name, "second");
}

TEST(TokenCsv, RejectsMalformedInput) {
  auto short_row = ParseTokenCsv("t,alice\n", "token file x.csv");
  ASSERT_FALSE(short_row.ok());
  EXPECT_NE(short_row.error().message.find("at least 3 columns"), std::string::npos);
  EXPECT_NE(short_row.error().message.find("token file x.csv"), std::string::npos);

  EXPECT_FALSE(ParseTokenCsv("t,al\"ice,1\n", "t").ok());          // bare quote
  EXPECT_FALSE(ParseTokenCsv("t,\"alice\"x,1\n", "t").ok());       // text after closing quote
  EXPECT_FALSE(ParseTokenCsv("t,alice,1,\"dev,ops\n", "t").ok());  // never closed
  // A comment is not a thing in this format: it is a record with too few columns.
  EXPECT_FALSE(ParseTokenCsv("# tokens\nt,alice,1\n", "t").ok());
}

TEST(ConstantTimeEquals, ComparesWholeValues) {
  EXPECT_TRUE(ConstantTimeEquals("abcdef", "abcdef"));
  EXPECT_FALSE(ConstantTimeEquals("abcdef", "abcdeg"));
  EXPECT_FALSE(ConstantTimeEquals("abcdef", "abcde"));  // prefix
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcabc"));    // repetition of the stored token
  EXPECT_FALSE(ConstantTimeEquals("abcdef", ""));
  EXPECT_FALSE(ConstantTimeEquals("", ""));  // an empty stored token never matches
  EXPECT_FALSE(ConstantTimeEquals("a", std::string("a\0", 2)));
}

TEST(TokenFile, AuthenticatesExactTokensOnly) {
  auto file = TokenFile::FromRecords(
      {{"tok-alice", {"alice", "1", {"dev"}}}, {"tok-bob", {"bob", "2", {}}}});
  auto alice = file->Authenticate("tok-alice");
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->name, "alice");
  EXPECT_EQ(alice->groups, Groups{"dev"});
  EXPECT_EQ(file->Authenticate("tok-bob")->name, "bob");
  EXPECT_FALSE(file->Authenticate("tok-alic").has_value());
  EXPECT_FALSE(file->Authenticate("tok-alice ").has_value());
  EXPECT_FALSE(file->Authenticate("TOK-ALICE").has_value());
  EXPECT_FALSE(file->Authenticate("").has_value());
}

class TokenFileOnDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/nodeapi-tokens-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/tokens.csv";
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  void Write(const std::string& text) {
    // Through a rename, as config management tools replace files (new inode).
    std::ofstream(path_ + ".new") << text;
    ASSERT_EQ(::rename((path_ + ".new").c_str(), path_.c_str()), 0);
  }
  std::string dir_, path_;
};

TEST_F(TokenFileOnDisk, LoadsAndReloadsWhenTheFileChanges) {
  Write("old-token,alice,1,\"dev\"\n");
  auto file = TokenFile::Load(path_);
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ((*file)->Authenticate("old-token")->name, "alice");

  Write("new-token,alice,1,\"dev,ops\"\n");
  EXPECT_FALSE((*file)->Authenticate("old-token").has_value()) << "revoked token still works";
  auto alice = (*file)->Authenticate("new-token");
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->groups, (Groups{"dev", "ops"}));

  // A broken edit keeps the last good table instead of locking everyone out.
  Write("new-token,alice\n");
  EXPECT_TRUE((*file)->Authenticate("new-token").has_value());
}

TEST_F(TokenFileOnDisk, MissingOrBrokenFileIsALoadError) {
  auto missing = TokenFile::Load(path_);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find(path_), std::string::npos);
  Write("a,\"b\n");
  auto broken = TokenFile::Load(path_);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("line 1"), std::string::npos) << broken.error().message;
}

}  // namespace
}  // namespace airlock::nodeapi
