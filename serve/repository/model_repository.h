// A model repository on disk, laid out as Triton's and KServe's are:
//
//   REPO/
//     resnet50/
//       config.json        optional (repository/model_config.h)
//       1/model.onnx
//       2/model.onnx       versions: folders named by positive integers
//     bert/
//       1/model.onnx       (+ external data files next to it)
//
// scan_repository() only reads the folder tree and config files; loading the ONNX files
// is the server's job. A problem with one model (bad config, no version folder, missing
// file) is recorded on that model and never stops the scan.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "serve/repository/model_config.h"
#include "top/status.h"

namespace top::serve {

struct RepositoryVersion {
  int64_t version = 0;
  std::string path;  // the model file
};

struct RepositoryModel {
  std::string name;
  ModelConfig config;
  std::vector<RepositoryVersion> versions;  // those the version policy selects, ascending
  Status problem;             // why the model cannot be served (versions then empty)
  // Changes whenever a served model file or the config changes (size and mtime): the
  // poller reloads a model whose fingerprint moved.
  std::string fingerprint;
};

// Model folder names the server accepts: [A-Za-z0-9_.-]+, not starting with '.'.
bool valid_model_name(const std::string& name);

// Every model folder of `root`, by name. NotFound / InvalidArgument when `root` itself
// is not a readable folder.
Result<std::vector<RepositoryModel>> scan_repository(const std::string& root);

// One model folder (NotFound when `root/name` is not a folder).
Result<RepositoryModel> scan_model(const std::string& root, const std::string& name);

}  // namespace top::serve
