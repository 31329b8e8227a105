// Helpers of the serve tests: a temporary model repository built from the C++ test
// models (tests/support/test_models.h).
#pragma once

#include <filesystem>
#include <string>

#include <onnx/onnx_pb.h>

namespace top::serve::testing {

class TempRepository {
 public:
  TempRepository();
  ~TempRepository();
  const std::string& path() const { return root_; }
  // REPO/name/version/model.onnx
  void add(const std::string& name, int version, const onnx::ModelProto& model);
  void add_file(const std::string& relative, const std::string& contents);
  void remove(const std::string& name);

 private:
  std::string root_;
};

}  // namespace top::serve::testing
