// Hook of the shared test main (tests/test_main.cpp).
#pragma once

// Defined (strongly) by a test program that must be skipped when its inputs are missing: returns
// the reason, or nullptr to run the tests. The default returns nullptr.
const char* cbk_test_skip_reason();
