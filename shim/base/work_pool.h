// A fixed pool of worker threads for CRI calls that block on the OCI runtime binary or
// the disk (create, start, stop, image import). gRPC's callback threads must not block,
// so handlers post the work here and finish their reactor from the worker.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace airlock {

class WorkPool {
 public:
  explicit WorkPool(size_t threads);
  ~WorkPool();  // runs what is queued, then joins
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  void Post(std::function<void()> job);

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace airlock
