/* The header's version macros equal the library's run-time version and the CMake project version
 * (CBK_EXPECTED_VERSION, passed by the build), and the API-version check accepts this header. */
#include "cbk.h"

#include <stdio.h>
#include <string.h>

int main(void) {
  int failures = 0;
  char from_macros[32];
  snprintf(from_macros, sizeof from_macros, "%d.%d.%d", CBK_VERSION_MAJOR, CBK_VERSION_MINOR, CBK_VERSION_PATCH);
  if (strcmp(cbk_version(), from_macros) != 0 || strcmp(cbk_version(), CBK_VERSION_STRING) != 0) {
    fprintf(stderr, "cbk_version() %s, macros %s / %s\n", cbk_version(), from_macros, CBK_VERSION_STRING);
    ++failures;
  }
  if (strcmp(cbk_version(), CBK_EXPECTED_VERSION) != 0) {
    fprintf(stderr, "cbk_version() %s, CMake project version %s\n", cbk_version(), CBK_EXPECTED_VERSION);
    ++failures;
  }
  if (cbk_version_number() != CBK_VERSION_NUMBER) {
    fprintf(stderr, "cbk_version_number() %u, CBK_VERSION_NUMBER %d\n", cbk_version_number(), CBK_VERSION_NUMBER);
    ++failures;
  }
  if (cbk_api_version() != CBK_API_VERSION || cbk_check_api_version(CBK_API_VERSION) != CBK_STATUS_OK) {
    fprintf(stderr, "API version %u, header %d\n", cbk_api_version(), CBK_API_VERSION);
    ++failures;
  }
  if (cbk_check_api_version(CBK_API_VERSION + 1) != CBK_STATUS_UNSUPPORTED ||
      strstr(cbk_last_error_message(), "API version") == NULL) {
    fprintf(stderr, "a newer header's API version was not refused: %s\n", cbk_last_error_message());
    ++failures;
  }
  printf("cbk %s (API %u)\n", cbk_version(), cbk_api_version());
  return failures == 0 ? 0 : 1;
}
