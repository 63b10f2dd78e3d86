# Header-only dependencies (xsimd, FlatBuffers, Catch2) exposed through one INTERFACE target.
#
# Debian's xsimd CMake package links a nonexistent `xtl` library, so we take only its include
# directory. Under Emscripten the toolchain file hides host packages and /usr/include must never be
# put on the include path (glibc headers would shadow musl), so we expose symlinks to just these
# three header trees instead.
find_program(CBK_FLATC flatc REQUIRED)

add_library(cbk_deps INTERFACE)
if(EMSCRIPTEN OR CBK_CROSS_HOST_HEADERS)
  set(_cbk_host_inc ${CMAKE_BINARY_DIR}/host_headers)
  file(MAKE_DIRECTORY ${_cbk_host_inc})
  foreach(_dir xsimd flatbuffers catch2)
    if(NOT EXISTS ${_cbk_host_inc}/${_dir})
      file(CREATE_LINK /usr/include/${_dir} ${_cbk_host_inc}/${_dir} SYMBOLIC)
    endif()
  endforeach()
  target_include_directories(cbk_deps SYSTEM INTERFACE ${_cbk_host_inc})
else()
  find_package(xsimd 8 REQUIRED)
  find_package(FlatBuffers REQUIRED)
  get_target_property(_cbk_xsimd_inc xsimd INTERFACE_INCLUDE_DIRECTORIES)
  target_include_directories(cbk_deps SYSTEM INTERFACE ${_cbk_xsimd_inc})
endif()
