# `cmake --install`: the public headers, libtop.a (and libtop_kernels.a with the CUDA
# backend), lib/cmake/top/topConfig.cmake (the imported target top::top, components cpu
# and cuda), lib/pkgconfig/top.pc and toprt. docs/packaging.md shows how to use them.
# Included from the top-level CMakeLists.txt once every target exists. Not installed:
# src/ (internal headers), tests, benchmarks, rl/, serve/ and their libraries.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TOP_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/top CACHE STRING
    "Where topConfig.cmake is installed, relative to the prefix")
mark_as_advanced(TOP_INSTALL_CMAKEDIR)

# ---- usage requirements that point into this machine's build ---------------------
# The targets carry absolute paths that are right here and wrong after installation:
# the source and build trees' include folders, OpenBLAS and cuDNN as library files. In
# the export they become the installed include/ and imported targets that topConfig.cmake
# finds on the user's machine (BLAS::BLAS from FindBLAS, top::cudnn). In this build
# nothing changes: the same paths stay, behind $<BUILD_INTERFACE:...>.
function(_top_build_only target property)
  get_target_property(_items ${target} ${property})
  if(NOT _items)
    return()
  endif()
  set(_out "")
  foreach(_item IN LISTS _items)
    if(_item MATCHES "^\\$<(BUILD|INSTALL)_INTERFACE:")
      list(APPEND _out "${_item}")
    else()
      list(APPEND _out "$<BUILD_INTERFACE:${_item}>")
    endif()
  endforeach()
  set_property(TARGET ${target} PROPERTY ${property} "${_out}")
endfunction()

foreach(_prop INTERFACE_INCLUDE_DIRECTORIES INTERFACE_SYSTEM_INCLUDE_DIRECTORIES)
  _top_build_only(top ${_prop})
  if(TARGET top_kernels)
    _top_build_only(top_kernels ${_prop})
  endif()
endforeach()
# Users include <top/model.h>, <top/version.h>, ... from the installed include/.
target_include_directories(top INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

# Library files in the link interface: OpenBLAS (${BLAS_LIBRARIES}) and cuDNN.
get_target_property(_top_iface top INTERFACE_LINK_LIBRARIES)
set(_top_file_libs ${BLAS_LIBRARIES})
if(TOP_CUDA_ENABLED)
  list(APPEND _top_file_libs ${CUDNN_LIBRARY})
endif()
set(_top_new_iface "")
foreach(_item IN LISTS _top_iface)
  set(_lib "${_item}")
  if(_lib MATCHES "^\\$<LINK_ONLY:(.*)>$")
    set(_lib "${CMAKE_MATCH_1}")
  endif()
  if(_lib IN_LIST _top_file_libs)
    list(APPEND _top_new_iface "$<BUILD_INTERFACE:${_item}>")
  else()
    list(APPEND _top_new_iface "${_item}")
  endif()
endforeach()
list(APPEND _top_new_iface "$<INSTALL_INTERFACE:$<LINK_ONLY:BLAS::BLAS>>")
if(TOP_CUDA_ENABLED)
  list(APPEND _top_new_iface "$<INSTALL_INTERFACE:top::cudnn>")
endif()
set_property(TARGET top PROPERTY INTERFACE_LINK_LIBRARIES "${_top_new_iface}")

# ---- headers, libraries, the export --------------------------------------------
# The public API is include/top/*.h (and the generated version.h), nothing else.
file(GLOB TOP_PUBLIC_HEADERS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/include/top/*.h)
install(FILES ${TOP_PUBLIC_HEADERS} ${CMAKE_CURRENT_BINARY_DIR}/include/top/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/top COMPONENT top_dev)

set(_top_install_targets top)
if(TARGET top_kernels)
  list(APPEND _top_install_targets top_kernels)
endif()
set_target_properties(top PROPERTIES EXPORT_NAME top)
install(TARGETS ${_top_install_targets} EXPORT topTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT top_dev
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT top_dev)
install(EXPORT topTargets NAMESPACE top:: DESTINATION ${TOP_INSTALL_CMAKEDIR} COMPONENT top_dev)

# ---- topConfig.cmake, topConfigVersion.cmake -----------------------------------------
# What the config needs to know about this build (booleans, so `if()` reads them).
if(TOP_CUDA_ENABLED)
  set(TOP_PACKAGE_WITH_CUDA ON)
  get_filename_component(TOP_PACKAGE_CUDNN_HINT "${CUDNN_LIBRARY}" DIRECTORY)
else()
  set(TOP_PACKAGE_WITH_CUDA OFF)
  set(TOP_PACKAGE_CUDNN_HINT "")
endif()
if(TOP_ONEDNN_ENABLED)
  set(TOP_PACKAGE_WITH_ONEDNN ON)
else()
  set(TOP_PACKAGE_WITH_ONEDNN OFF)
endif()
# The BLAS that FindBLAS picked here, so that the user's FindBLAS picks the same one.
set(TOP_PACKAGE_BLA_VENDOR "")
if(BLA_VENDOR)
  set(TOP_PACKAGE_BLA_VENDOR "${BLA_VENDOR}")
elseif(BLAS_LIBRARIES MATCHES "openblas")
  set(TOP_PACKAGE_BLA_VENDOR OpenBLAS)
endif()

configure_package_config_file(cmake/topConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/topConfig.cmake
  INSTALL_DESTINATION ${TOP_INSTALL_CMAKEDIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/topConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/topConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/topConfigVersion.cmake
  DESTINATION ${TOP_INSTALL_CMAKEDIR} COMPONENT top_dev)

# ---- top.pc --------------------------------------------------------------------------
# libtop is static, so Libs lists everything a program needs to link (the same with or
# without --static): libtop, libtop_kernels, then each dependency as -L/-l. Library
# files come from the imported targets' locations; shared libraries bring their own
# dependencies, so only the direct ones are listed.
function(_top_pc_location target out)
  set(_loc "")
  string(TOUPPER "${CMAKE_BUILD_TYPE}" _cfg)
  get_target_property(_configs ${target} IMPORTED_CONFIGURATIONS)
  set(_suffixes "")
  if(_cfg)
    list(APPEND _suffixes _${_cfg})
  endif()
  foreach(_c IN LISTS _configs)
    list(APPEND _suffixes _${_c})
  endforeach()
  list(APPEND _suffixes "")
  foreach(_s IN LISTS _suffixes)
    get_target_property(_loc ${target} IMPORTED_LOCATION${_s})
    if(_loc)
      break()
    endif()
  endforeach()
  set(${out} "${_loc}" PARENT_SCOPE)
endfunction()

# Appends the flags that link `item` (a target, a library file, a name or a flag).
function(_top_pc_flags item out_var)
  set(_flags ${${out_var}})
  if(TARGET ${item})
    get_target_property(_aliased ${item} ALIASED_TARGET)
    if(_aliased)
      set(item ${_aliased})
    endif()
    get_target_property(_type ${item} TYPE)
    get_target_property(_imported ${item} IMPORTED)
    if(_type STREQUAL "INTERFACE_LIBRARY")
      set(_file "")  # header-only (nlohmann_json) or a group: its own link interface below
    elseif(_imported)
      _top_pc_location(${item} _file)
      if(NOT _file)
        message(WARNING "top.pc: no library file for ${item}; it is left out of Libs")
      endif()
    else()
      set(_file "")  # one of ours, installed beside libtop.a
      get_target_property(_base ${item} OUTPUT_NAME)
      if(NOT _base)
        set(_base ${item})
      endif()
      list(APPEND _flags "-l${_base}")
    endif()
    if(_type STREQUAL "INTERFACE_LIBRARY")
      get_target_property(_sub ${item} INTERFACE_LINK_LIBRARIES)
      foreach(_s IN LISTS _sub)
        if(_s)
          _top_pc_flags(${_s} _flags)
        endif()
      endforeach()
    endif()
  elseif(item MATCHES "^-")
    set(_file "")
    list(APPEND _flags "${item}")
  elseif(IS_ABSOLUTE "${item}")
    set(_file "${item}")
  else()
    set(_file "")
    list(APPEND _flags "-l${item}")
  endif()
  if(_file)
    get_filename_component(_dir "${_file}" DIRECTORY)
    get_filename_component(_name "${_file}" NAME)
    if(NOT _dir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES AND NOT _dir MATCHES "^/(usr/)?lib(64)?$")
      list(APPEND _flags "-L${_dir}")
    endif()
    # libfoo.so.1 -> -lfoo where libfoo.so (or .a) is beside it, else -l:libfoo.so.1.
    set(_short "")
    if(_name MATCHES "^lib(.+)\\.(so|a)(\\.[0-9.]+)?$")
      set(_short "${CMAKE_MATCH_1}")
    endif()
    if(_short AND (EXISTS "${_dir}/lib${_short}.so" OR EXISTS "${_dir}/lib${_short}.a"))
      list(APPEND _flags "-l${_short}")
    else()
      list(APPEND _flags "-l:${_name}")
    endif()
  endif()
  set(${out_var} ${_flags} PARENT_SCOPE)
endfunction()

set(_top_pc_libs "")
if(TARGET top_kernels)
  _top_pc_flags(top_kernels _top_pc_libs)
endif()
foreach(_dep onnx onnx_proto protobuf::libprotobuf spdlog::spdlog fmt::fmt ${BLAS_LIBRARIES})
  _top_pc_flags(${_dep} _top_pc_libs)
endforeach()
if(TOP_ONEDNN_ENABLED)
  _top_pc_flags(DNNL::dnnl _top_pc_libs)
  _top_pc_flags(gomp _top_pc_libs)
endif()
set(TOP_PC_CFLAGS "")
if(TOP_CUDA_ENABLED)
  foreach(_dep CUDA::cudart CUDA::cublas CUDA::cublasLt ${CUDNN_LIBRARY})
    _top_pc_flags(${_dep} _top_pc_libs)
  endforeach()
  set(TOP_PC_CFLAGS " -DTOP_WITH_CUDA=1")
endif()
list(REMOVE_DUPLICATES _top_pc_libs)
list(APPEND _top_pc_libs -pthread)
list(JOIN _top_pc_libs " " TOP_PC_LIBS)

# prefix from the file's own place (pkg-config's ${pcfiledir}), so `cmake --install
# --prefix anywhere` and DESTDIR give a working file.
set(_top_pc_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${_top_pc_dir}")
  set(TOP_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _rel "/prefix/${_top_pc_dir}" "/prefix")
  string(REGEX REPLACE "/$" "" _rel "${_rel}")
  set(TOP_PC_PREFIX "\${pcfiledir}/${_rel}")
endif()
foreach(_d LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_d}}")
    set(TOP_PC_${_d} "${CMAKE_INSTALL_${_d}}")
  else()
    set(TOP_PC_${_d} "\${prefix}/${CMAKE_INSTALL_${_d}}")
  endif()
endforeach()
configure_file(cmake/top.pc.in ${CMAKE_CURRENT_BINARY_DIR}/top.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/top.pc DESTINATION ${_top_pc_dir} COMPONENT top_dev)

# ---- toprt ---------------------------------------------------------------------------
if(TARGET toprt)
  # Non-system library folders (the CUDA toolkit's) stay reachable after installation.
  set_target_properties(toprt PROPERTIES INSTALL_RPATH_USE_LINK_PATH TRUE)
  install(TARGETS toprt RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT top_tools)
  # The committed checkpoints of the learned policies, where an installed toprt looks
  # first (rl/checkpoint/checkpoint.h: committed_checkpoint).
  install(FILES rl/checkpoints/top.json rl/checkpoints/top.bin rl/checkpoints/gpg.json rl/checkpoints/gpg.bin
          DESTINATION ${CMAKE_INSTALL_DATADIR}/top/checkpoints COMPONENT top_tools)
endif()
