// Import from ONNX protobufs built here in C++, and the errors users see for bad
// models and bad inputs. Models are tiny so these stay unit tests.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "ir/onnx_import.h"
#include "top/model.h"
#include "top/session.h"

namespace top {
namespace {

onnx::ModelProto relu_model(int opset = 13, const std::string& op = "Relu", const std::string& domain = "") {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("test");
  auto* imp = m.add_opset_import();
  imp->set_domain("");
  imp->set_version(opset);
  if (!domain.empty()) {
    auto* d = m.add_opset_import();
    d->set_domain(domain);
    d->set_version(1);
  }
  auto* g = m.mutable_graph();
  g->set_name("g");
  auto add_vi = [](onnx::ValueInfoProto* vi, const std::string& name, bool symbolic) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    auto* d0 = tt->mutable_shape()->add_dim();
    if (symbolic) d0->set_dim_param("batch");
    else d0->set_dim_value(2);
    tt->mutable_shape()->add_dim()->set_dim_value(3);
  };
  add_vi(g->add_input(), "x", true);
  add_vi(g->add_output(), "y", true);
  auto* n = g->add_node();
  n->set_name("act");
  n->set_op_type(op);
  n->set_domain(domain);
  n->add_input("x");
  n->add_output("y");
  return m;
}

Result<Model> load(const onnx::ModelProto& m) {
  std::string bytes = m.SerializeAsString();
  return Model::load_from_memory(bytes.data(), bytes.size());
}

TEST(OnnxImport, ReadsInputsOutputsAndSymbolicBatch) {
  auto model = load(relu_model());
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  ASSERT_EQ(model->inputs().size(), 1u);
  EXPECT_EQ(model->inputs()[0].name, "x");
  EXPECT_EQ(model->inputs()[0].shape, (Shape{-1, 3}));
  EXPECT_EQ(model->inputs()[0].dim_names[0], "batch");
  EXPECT_EQ(model->opset(), 13);
}

TEST(OnnxImport, UnknownOpNamesTypeDomainOpsetAndNode) {
  auto model = load(relu_model(13, "FrobnicateTensor"));
  ASSERT_FALSE(model.ok());
  // The checker sees no schema; whichever layer reports it must name the op.
  EXPECT_NE(model.status().message().find("FrobnicateTensor"), std::string::npos) << model.status().to_string();

  auto custom = load(relu_model(13, "MyOp", "com.example"));
  ASSERT_FALSE(custom.ok());
  EXPECT_EQ(custom.status().code(), StatusCode::kUnsupported) << custom.status().to_string();
  const std::string& msg = custom.status().message();
  EXPECT_NE(msg.find("MyOp"), std::string::npos) << msg;
  EXPECT_NE(msg.find("com.example"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'act'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("opset 1"), std::string::npos) << msg;
}

TEST(OnnxImport, CycleIsReportedWithoutChecker) {
  onnx::ModelProto m = relu_model();
  auto* g = m.mutable_graph();
  // y = Relu(z), z = Relu(y): a cycle, and the graph output y depends on it.
  g->mutable_node(0)->set_input(0, "z");
  auto* n2 = g->add_node();
  n2->set_name("back");
  n2->set_op_type("Relu");
  n2->add_input("y");
  n2->add_output("z");
  std::string bytes = m.SerializeAsString();
  ir::ImportOptions opts;
  opts.run_checker = false;
  auto r = ir::import_onnx_bytes(bytes.data(), bytes.size(), ".", opts);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cycle"), std::string::npos) << r.status().to_string();
  // With the checker, the same file is rejected as unsorted: still a clear error.
  EXPECT_FALSE(load(m).ok());
}

TEST(OnnxImport, GarbageTruncationAndEmpty) {
  EXPECT_EQ(Model::load_from_memory("", 0).status().code(), StatusCode::kInvalidModel);
  std::string text = "this is a text file, not a model\n";
  EXPECT_FALSE(Model::load_from_memory(text.data(), text.size()).ok());
  std::string bytes = relu_model().SerializeAsString();
  for (size_t cut = 1; cut < bytes.size(); cut += 3) {
    auto r = Model::load_from_memory(bytes.data(), cut);
    if (!r.ok()) { EXPECT_FALSE(r.status().message().empty()); }
  }
  std::mt19937 rng(11);
  for (int i = 0; i < 200; ++i) {
    std::string junk(1 + rng() % 4096, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    auto r = Model::load_from_memory(junk.data(), junk.size());
    if (!r.ok()) { EXPECT_FALSE(r.status().message().empty()); }
  }
  EXPECT_EQ(Model::load("/nonexistent/dir/model.onnx").status().code(), StatusCode::kNotFound);
}

TEST(OnnxImport, IrVersions9And10LoadAndRunWithEveryStructuralCheck) {
  for (int64_t ir : {9, 10}) {
    SCOPED_TRACE("IR " + std::to_string(ir));
    onnx::ModelProto m = relu_model();
    m.set_ir_version(ir);
    auto model = load(m);
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    auto session = Session::create(*model, {});
    ASSERT_TRUE(session.ok());
    auto out = (*session)->run({Tensor::from_vector<float>({2, 3}, {-1, 2, -3, 4, -5, 6})});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].data<float>()[1], 2.0f);

    // The checker still runs: a node reading a value nothing defines is refused by it.
    onnx::ModelProto broken = m;
    broken.mutable_graph()->mutable_node(0)->set_input(0, "nowhere");
    auto b = load(broken);
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.status().code(), StatusCode::kInvalidModel) << b.status().to_string();
    EXPECT_NE(b.status().message().find("ONNX checker"), std::string::npos) << b.status().to_string();

    // What IR 9 and 10 add, element types, is refused by name.
    onnx::ModelProto f8 = m;
    auto* t = f8.mutable_graph()->add_initializer();
    t->set_name("w8");
    t->set_data_type(ir == 9 ? 17 : 22);
    t->add_dims(1);
    t->set_raw_data(std::string(1, '\1'));
    auto r = load(f8);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find(ir == 9 ? "FLOAT8E4M3FN" : "INT4"), std::string::npos) << r.status().to_string();
  }
  onnx::ModelProto m11 = relu_model();
  m11.set_ir_version(11);
  EXPECT_EQ(load(m11).status().code(), StatusCode::kUnsupported);
}

TEST(OnnxImport, InitializerWithWrongByteCountIsInvalid) {
  onnx::ModelProto m = relu_model();
  auto* t = m.mutable_graph()->add_initializer();
  t->set_name("w");
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(4);
  t->set_raw_data(std::string(7, '\0'));
  auto r = load(m);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'w'"), std::string::npos) << r.status().to_string();
}

// x + w, with w stored in an external-data file next to the model.
TEST(OnnxImport, ExternalDataIsReadRelativeToTheModel) {
  onnx::ModelProto m = relu_model();
  auto* g = m.mutable_graph();
  g->mutable_node(0)->set_op_type("Add");
  g->mutable_node(0)->add_input("w");
  auto* t = g->add_initializer();
  t->set_name("w");
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(3);
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  auto kv = [&](const char* k, const std::string& v) {
    auto* e = t->add_external_data();
    e->set_key(k);
    e->set_value(v);
  };
  kv("location", "weights.bin");
  kv("offset", "8");
  kv("length", "12");
  std::string dir = ::testing::TempDir() + "/extdata";
  std::filesystem::create_directories(dir);
  const float w[5] = {0, 0, 1.5f, -2.0f, 4.0f};  // the first 8 bytes are skipped by offset
  {
    std::ofstream f(dir + "/weights.bin", std::ios::binary);
    f.write(reinterpret_cast<const char*>(w), sizeof(w));
  }
  {
    std::ofstream f(dir + "/model.onnx", std::ios::binary);
    f << m.SerializeAsString();
  }
  auto model = Model::load(dir + "/model.onnx");
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  auto session = Session::create(*model, {});
  ASSERT_TRUE(session.ok());
  auto out = (*session)->run({Tensor::from_vector<float>({1, 3}, {1, 2, 3})});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].data<float>()[0], 2.5f);
  EXPECT_EQ((*out)[0].data<float>()[1], 0.0f);
  EXPECT_EQ((*out)[0].data<float>()[2], 7.0f);

  // A file too short for the declared length, and a location escaping the folder.
  {
    std::ofstream f(dir + "/weights.bin", std::ios::binary);
    f.write(reinterpret_cast<const char*>(w), 10);
  }
  auto short_file = Model::load(dir + "/model.onnx");
  ASSERT_FALSE(short_file.ok());
  EXPECT_NE(short_file.status().message().find("too short"), std::string::npos) << short_file.status().to_string();
  t->mutable_external_data(0)->set_value("../../etc/passwd");
  std::string bytes = m.SerializeAsString();
  auto escaping = Model::load_from_memory(bytes.data(), bytes.size(), dir);
  EXPECT_FALSE(escaping.ok());
}

TEST(Session, WrongShapeDtypeAndMissingInputAreClearErrors) {
  auto model = load(relu_model());
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  auto session = Session::create(*model, {});
  ASSERT_TRUE(session.ok());
  Tensor good = Tensor::from_vector<float>({2, 3}, {-1, 2, -3, 4, -5, 6});
  auto out = (*session)->run({good});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].data<float>()[0], 0.0f);
  EXPECT_EQ((*out)[0].data<float>()[1], 2.0f);

  auto bad_shape = (*session)->run({Tensor::zeros(DataType::kFloat32, {2, 4})});
  EXPECT_EQ(bad_shape.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_shape.status().message().find("'x'"), std::string::npos);
  auto bad_dtype = (*session)->run({Tensor::zeros(DataType::kInt64, {2, 3})});
  EXPECT_EQ(bad_dtype.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_dtype.status().message().find("float32"), std::string::npos);
  auto missing = (*session)->run({});
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  auto unknown = (*session)->run_named({{"x", good}, {"extra", good}});
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  // Another batch size on the symbolic dim plans again and works.
  auto batch5 = (*session)->run({Tensor::zeros(DataType::kFloat32, {5, 3})});
  ASSERT_TRUE(batch5.ok()) << batch5.status().to_string();
  EXPECT_EQ((*batch5)[0].shape(), (Shape{5, 3}));
}

}  // namespace
}  // namespace top
