# CBK_SANITIZE=address;undefined instruments every target. UBSan is made fatal so that a test
# which triggers undefined behaviour fails instead of printing and passing.
if(CBK_SANITIZE)
  string(REPLACE ";" "," _cbk_san "${CBK_SANITIZE}")
  add_compile_options(-fsanitize=${_cbk_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_cbk_san})
endif()

# Fuzz builds (CBK_BUILD_FUZZ=ON with clang, see tests/fuzz): every target gets libFuzzer's coverage
# instrumentation, so the fuzzers are guided by the library's branches, not only the harness's.
# Only sources compiled by clang get it (a C compiler left at gcc does not know the flag).
if(CBK_BUILD_FUZZ AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  add_compile_options($<$<COMPILE_LANG_AND_ID:CXX,Clang>:-fsanitize=fuzzer-no-link>
                      $<$<COMPILE_LANG_AND_ID:C,Clang>:-fsanitize=fuzzer-no-link>)
endif()
