#include "serve_test_util.h"

#include <fstream>
#include <random>

namespace top::serve::testing {

namespace fs = std::filesystem;

TempRepository::TempRepository() {
  std::random_device rd;
  root_ = (fs::temp_directory_path() / ("top_serve_repo_" + std::to_string(rd()) + std::to_string(rd()))).string();
  fs::create_directories(root_);
}

TempRepository::~TempRepository() {
  std::error_code ec;
  fs::remove_all(root_, ec);
}

void TempRepository::add(const std::string& name, int version, const onnx::ModelProto& model) {
  std::string bytes;
  model.SerializeToString(&bytes);
  add_file(name + "/" + std::to_string(version) + "/model.onnx", bytes);
}

void TempRepository::add_file(const std::string& relative, const std::string& contents) {
  const fs::path p = fs::path(root_) / relative;
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << contents;
}

void TempRepository::remove(const std::string& name) { fs::remove_all(fs::path(root_) / name); }

}  // namespace top::serve::testing
