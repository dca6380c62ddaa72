// A plain main() for the fuzz targets, for compilers and CI stages without libFuzzer.
//
// It runs every input of the checked-in seed corpus, then mutates those seeds for a bounded
// time (or run count) with a seeded PRNG. Mutated input number i depends only on the seed,
// the corpus and i, so any failure can be regenerated with --replay=i. There is no coverage
// feedback — that is what the clang/libFuzzer build (AIRLOCK_FUZZ) is for; this driver makes
// sure the targets' invariants hold on every CI run, including the ASan/UBSan stage.
//
// Usage: fuzz_<target> [--seconds=S] [--runs=N] [--max-len=L] [--seed=K]
//                      [--replay=I] [--artifact-prefix=P] CORPUS_DIR_OR_FILE...
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Present only in sanitizer builds: lets the driver save the input before ASan exits.
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

namespace {

struct Options {
  double seconds = 3;
  uint64_t runs = 10'000'000;
  size_t max_len = 4096;
  uint64_t seed = 1;
  int64_t replay = -1;
  std::string artifact_prefix = "./";
  std::vector<std::string> paths;
};

// What the crash handlers save. Plain globals, because a signal handler can reach nothing
// else; they are written only by the single driver thread.
const uint8_t* g_input = nullptr;
size_t g_input_size = 0;
char g_artifact[4096] = {};

void WriteAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n <= 0) return;
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void WriteStderr(const char* text) { WriteAll(STDERR_FILENO, text, std::strlen(text)); }

// Async-signal-safe: only open/write/close.
void SaveCurrentInput() {
  if (g_input == nullptr || g_artifact[0] == '\0') return;
  const int fd = ::open(g_artifact, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  WriteAll(fd, g_input, g_input_size);
  ::close(fd);
  WriteStderr("fuzz driver: input saved to ");
  WriteStderr(g_artifact);
  WriteStderr("\n");
}

void OnDeadlySignal(int sig) {
  if (sig == SIGALRM) WriteStderr("fuzz driver: one input ran for more than 10 s (hang)\n");
  SaveCurrentInput();
  ::signal(sig, SIG_DFL);
  ::raise(sig == SIGALRM ? SIGABRT : sig);
}

void InstallHandlers() {
  if (__sanitizer_set_death_callback != nullptr) __sanitizer_set_death_callback(SaveCurrentInput);
  // Under ASan the sanitizer owns SEGV/BUS/FPE (its report is better); abort() from a
  // FUZZ_CHECK and our hang alarm are ours either way.
  std::vector<int> signals = {SIGABRT, SIGALRM};
  if (__sanitizer_set_death_callback == nullptr) {
    signals.insert(signals.end(), {SIGSEGV, SIGBUS, SIGFPE, SIGILL});
  }
  for (int sig : signals) {
    struct sigaction sa = {};
    sa.sa_handler = OnDeadlySignal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(sig, &sa, nullptr);
  }
}

void RunOne(const std::string& input) {
  g_input = reinterpret_cast<const uint8_t*>(input.data());
  g_input_size = input.size();
  ::alarm(10);
  LLVMFuzzerTestOneInput(g_input, g_input_size);
  ::alarm(0);
  g_input = nullptr;
}

bool ParseArgs(int argc, char** argv, Options& opt) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string_view flag) -> const char* {
      return arg.substr(0, flag.size()) == flag ? argv[i] + flag.size() : nullptr;
    };
    if (const char* v = value("--seconds=")) {
      opt.seconds = std::atof(v);
    } else if (const char* v = value("--runs=")) {
      opt.runs = std::strtoull(v, nullptr, 10);
    } else if (const char* v = value("--max-len=")) {
      opt.max_len = std::strtoull(v, nullptr, 10);
    } else if (const char* v = value("--seed=")) {
      opt.seed = std::strtoull(v, nullptr, 10);
    } else if (const char* v = value("--replay=")) {
      opt.replay = std::strtoll(v, nullptr, 10);
    } else if (const char* v = value("--artifact-prefix=")) {
      opt.artifact_prefix = v;
    } else if (arg.substr(0, 2) == "--") {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return false;
    } else {
      opt.paths.emplace_back(arg);
    }
  }
  return true;
}

bool ReadWholeFile(const std::filesystem::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

// Files in sorted order, so that input numbering does not depend on directory order.
std::vector<std::filesystem::path> ListInputs(const std::vector<std::string>& paths) {
  std::vector<std::filesystem::path> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      for (const auto& entry : std::filesystem::directory_iterator(p, ec)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else {
      files.emplace_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Values that sit on the edges of length fields and counters.
uint64_t InterestingValue(std::mt19937_64& rng, size_t size) {
  static constexpr uint64_t kValues[] = {
      0,       1,        2,         3,          4,          7,          8,          125,
      126,     127,      128,       255,        256,        0x7fff,     0x8000,     0xffff,
      0x10000, 0xffffff, 0x1000000, 0x7fffffff, 0x80000000, 0xffffffff, 1ull << 63, ~0ull};
  if (rng() % 4 == 0) return size + (rng() % 9) - 4;  // near the input's own length
  return kValues[rng() % std::size(kValues)];
}

void Mutate(std::string& data, const std::vector<std::string>& corpus, std::mt19937_64& rng,
            size_t max_len) {
  const int steps = 1 + static_cast<int>(rng() % 6);
  for (int s = 0; s < steps; ++s) {
    const size_t n = data.size();
    switch (rng() % 10) {
      case 0:  // flip one bit
        if (n > 0) data[rng() % n] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1:  // random byte
        if (n > 0) data[rng() % n] = static_cast<char>(rng());
        break;
      case 2: {  // insert a few random bytes
        std::string bytes(1 + rng() % 8, '\0');
        for (char& c : bytes) c = static_cast<char>(rng());
        data.insert(n == 0 ? 0 : rng() % (n + 1), bytes);
        break;
      }
      case 3:  // erase a range
        if (n > 0) {
          const size_t at = rng() % n;
          data.erase(at, 1 + rng() % std::min<size_t>(16, n - at));
        }
        break;
      case 4:  // copy a range somewhere else (repeats frames)
        if (n > 0) {
          const size_t from = rng() % n;
          const std::string piece = data.substr(from, 1 + rng() % std::min<size_t>(64, n - from));
          data.insert(rng() % (n + 1), piece);
        }
        break;
      case 5:
      case 6: {  // an edge value in a 1/2/4/8-byte field, either byte order
        const size_t width = size_t{1} << (rng() % 4);
        if (n < width) break;
        const uint64_t v = InterestingValue(rng, n);
        const size_t at = rng() % (n - width + 1);
        const bool big = rng() % 2 == 0;
        for (size_t i = 0; i < width; ++i) {
          const size_t shift = 8 * (big ? width - 1 - i : i);
          data[at + i] = static_cast<char>(v >> shift);
        }
        break;
      }
      case 7: {  // splice with another seed
        const std::string& other = corpus[rng() % corpus.size()];
        const size_t cut = n == 0 ? 0 : rng() % (n + 1);
        const size_t from = other.empty() ? 0 : rng() % (other.size() + 1);
        data = data.substr(0, cut) + other.substr(from);
        break;
      }
      case 8:  // truncate
        if (n > 0) data.resize(rng() % n);
        break;
      case 9:  // append another seed whole (more frames after these)
        data += corpus[rng() % corpus.size()];
        break;
    }
  }
  if (data.size() > max_len) data.resize(max_len);
}

// Mutated input number `iteration` depends only on (seed, corpus, iteration).
std::string MakeInput(const std::vector<std::string>& corpus, const Options& opt,
                      uint64_t iteration) {
  std::mt19937_64 rng(opt.seed * 0x9e3779b97f4a7c15ull + iteration);
  std::string data = corpus[rng() % corpus.size()];
  Mutate(data, corpus, rng, std::max(opt.max_len, data.size()));
  return data;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!ParseArgs(argc, argv, opt)) return 2;
  const std::string name = std::filesystem::path(argv[0]).filename().string();
  InstallHandlers();

  std::vector<std::string> corpus;
  for (const auto& file : ListInputs(opt.paths)) {
    std::string data;
    if (!ReadWholeFile(file, data)) {
      std::fprintf(stderr, "%s: read input %s: cannot open\n", name.c_str(), file.c_str());
      return 2;
    }
    std::snprintf(
        g_artifact, sizeof(g_artifact), "%s",
        (opt.artifact_prefix + "crash-" + name + "-seed-" + file.filename().string()).c_str());
    if (opt.replay < 0) RunOne(data);
    corpus.push_back(std::move(data));
  }
  if (corpus.empty()) corpus.emplace_back();

  if (opt.replay >= 0) {
    std::snprintf(
        g_artifact, sizeof(g_artifact), "%s",
        (opt.artifact_prefix + "replay-" + name + "-" + std::to_string(opt.replay)).c_str());
    const std::string input = MakeInput(corpus, opt, static_cast<uint64_t>(opt.replay));
    g_input = reinterpret_cast<const uint8_t*>(input.data());
    g_input_size = input.size();
    SaveCurrentInput();
    RunOne(input);
    std::printf("%s: replayed input %lld (%zu bytes)\n", name.c_str(),
                static_cast<long long>(opt.replay), input.size());
    return 0;
  }

  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(opt.seconds);
  uint64_t iteration = 0;
  for (; iteration < opt.runs; ++iteration) {
    // Reading the clock every 64 inputs keeps it out of the profile.
    if (iteration % 64 == 0 && std::chrono::steady_clock::now() >= deadline) break;
    std::snprintf(
        g_artifact, sizeof(g_artifact), "%s",
        (opt.artifact_prefix + "crash-" + name + "-" + std::to_string(iteration)).c_str());
    RunOne(MakeInput(corpus, opt, iteration));
  }
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s: %zu corpus inputs, %llu mutated inputs in %.1f s (seed %llu): no failure\n",
              name.c_str(), corpus.size(), static_cast<unsigned long long>(iteration), took,
              static_cast<unsigned long long>(opt.seed));
  return 0;
}
