// Helpers for tests that feed the loader hostile files: a private temporary folder,
// file writing, and loading under a time limit so that a loader that blocks (on a
// FIFO, say) fails the test instead of hanging the suite.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "top/model.h"

namespace top::testing {

// A fresh folder (mkdtemp), removed with everything in it when the object goes.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "/top_hostile_XXXXXX";
    if (::mkdtemp(&tmpl[0]) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& str() const { return path_; }

 private:
  std::string path_;
};

// Writes `bytes` to `path`, creating the folders on the way.
inline void write_file(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Runs `load` on its own thread and gives up after `limit` (a test failure, and
// nullopt); an exception is a failure too. A thread that timed out is left behind
// blocked; the caller may release it (release_fifo).
template <class F>
std::optional<Result<Model>> load_within(F load, std::chrono::seconds limit = std::chrono::seconds(10)) {
  auto task = std::make_shared<std::packaged_task<Result<Model>()>>(std::move(load));
  std::future<Result<Model>> done = task->get_future();
  std::thread([task] { (*task)(); }).detach();
  if (done.wait_for(limit) != std::future_status::ready) {
    ADD_FAILURE() << "loading did not finish within " << limit.count() << " s";
    return std::nullopt;
  }
  try {
    return done.get();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "loading threw " << e.what();
  } catch (...) {
    ADD_FAILURE() << "loading threw";
  }
  return std::nullopt;
}

// A FIFO's reader blocks in open() until a writer comes; opening the write end
// (non-blocking, so this never waits itself) releases a loader stuck there.
inline void release_fifo(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK);
  if (fd >= 0) ::close(fd);
}

}  // namespace top::testing
