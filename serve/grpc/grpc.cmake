# serve/grpc: the gRPC face of the v2 inference protocol (inference.GRPCInferenceService),
# included from the top-level CMakeLists.txt after top_serve is defined.
#
# Needs gRPC's C++ library and code generator (Debian: libgrpc++-dev, protobuf-compiler,
# protobuf-compiler-grpc). Defines top_serve_grpc: the generated messages and stubs of
# grpc_predict_v2.proto (headers under the build folder, on its include path as
# "grpc_predict_v2.grpc.pb.h") and GrpcFrontend (serve/grpc/grpc_frontend.h).

find_package(gRPC CONFIG REQUIRED)
if(NOT TARGET protobuf::libprotobuf)
  find_package(Protobuf REQUIRED)
endif()

# protoc: the one found by FindProtobuf (its runtime must match libprotobuf's headers).
if(TARGET protobuf::protoc)
  set(TOP_PROTOC $<TARGET_FILE:protobuf::protoc>)
elseif(Protobuf_PROTOC_EXECUTABLE)
  set(TOP_PROTOC ${Protobuf_PROTOC_EXECUTABLE})
else()
  find_program(TOP_PROTOC protoc REQUIRED)
endif()
if(TARGET gRPC::grpc_cpp_plugin)
  set(TOP_GRPC_CPP_PLUGIN $<TARGET_FILE:gRPC::grpc_cpp_plugin>)
else()
  find_program(TOP_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
endif()

set(TOP_GRPC_PROTO_DIR ${CMAKE_CURRENT_SOURCE_DIR}/serve/grpc)
set(TOP_GRPC_GEN_DIR ${CMAKE_CURRENT_BINARY_DIR}/serve/grpc/generated)
set(TOP_GRPC_GENERATED
    ${TOP_GRPC_GEN_DIR}/grpc_predict_v2.pb.cc
    ${TOP_GRPC_GEN_DIR}/grpc_predict_v2.pb.h
    ${TOP_GRPC_GEN_DIR}/grpc_predict_v2.grpc.pb.cc
    ${TOP_GRPC_GEN_DIR}/grpc_predict_v2.grpc.pb.h)
file(MAKE_DIRECTORY ${TOP_GRPC_GEN_DIR})
add_custom_command(
  OUTPUT ${TOP_GRPC_GENERATED}
  COMMAND ${TOP_PROTOC} -I ${TOP_GRPC_PROTO_DIR} --cpp_out ${TOP_GRPC_GEN_DIR} --grpc_out ${TOP_GRPC_GEN_DIR}
          --plugin=protoc-gen-grpc=${TOP_GRPC_CPP_PLUGIN} ${TOP_GRPC_PROTO_DIR}/grpc_predict_v2.proto
  DEPENDS ${TOP_GRPC_PROTO_DIR}/grpc_predict_v2.proto
  COMMENT "Generating C++ messages and gRPC stubs from serve/grpc/grpc_predict_v2.proto"
  VERBATIM)

add_library(top_serve_grpc STATIC ${TOP_GRPC_GENERATED} ${TOP_GRPC_PROTO_DIR}/grpc_frontend.cpp)
target_include_directories(top_serve_grpc PUBLIC ${TOP_GRPC_GEN_DIR})
target_link_libraries(top_serve_grpc PUBLIC top_serve gRPC::grpc++ protobuf::libprotobuf)
# What links it (toprt, the serve tests) knows it has the gRPC front end.
target_compile_definitions(top_serve_grpc PUBLIC TOP_WITH_GRPC=1)
# Generated code: -O1 (it is message parsing and copying; grpc_predict_v2.pb.cc compiles in
# about 6 s instead of 8 s at -O3) and none of the project's warnings.
set_source_files_properties(${TOP_GRPC_GEN_DIR}/grpc_predict_v2.pb.cc ${TOP_GRPC_GEN_DIR}/grpc_predict_v2.grpc.pb.cc
                            PROPERTIES COMPILE_OPTIONS "-O1;-w")
message(STATUS "TOP runtime: serve/grpc (gRPC ${gRPC_VERSION}) ON")
