/* cbk.h from a C translation unit, compiled as C99 with -Wall -Wextra -Werror -pedantic: the header
 * must be pure C, and the static archive must link into a C program. Exercises calls that need no
 * model; exits non-zero on any mismatch. */
#include "cbk.h"

#include <stdio.h>
#include <string.h>

static int failures = 0;
#define EXPECT(cond)                                               \
  do {                                                             \
    if (!(cond)) {                                                 \
      fprintf(stderr, "%s:%d: EXPECT(%s) failed\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                  \
    }                                                              \
  } while (0)

int main(void) {
  cbk_model_params mp = cbk_model_default_params();
  cbk_session_params sp = cbk_session_default_params();
  cbk_sampling_params samp = cbk_sampling_default_params();
  cbk_model* model = NULL;
  cbk_site site = CBK_SITE_ATTN;

  EXPECT(mp.struct_size == sizeof(cbk_model_params));
  EXPECT(sp.struct_size == sizeof(cbk_session_params) && sp.prefill_chunk == 64);
  EXPECT(sp.max_memory_bytes == 0 && cbk_session_memory(NULL) == 0); /* API version 4 */
  EXPECT(samp.struct_size == sizeof(cbk_sampling_params));
  EXPECT(strcmp(cbk_status_string(CBK_STATUS_OUT_OF_RANGE), "out_of_range") == 0);
  EXPECT(strcmp(cbk_status_string(CBK_STATUS_BUFFER_TOO_SMALL), "buffer_too_small") == 0);
  EXPECT(strcmp(cbk_status_string(-1), "unknown") == 0);
  EXPECT(cbk_model_load_file(NULL, &mp, &model) == CBK_STATUS_INVALID_ARGUMENT && model == NULL);
  EXPECT(strstr(cbk_last_error_message(), "path") != NULL);
  EXPECT(cbk_site_from_name("mlp_mid", &site) == CBK_STATUS_OK && site == CBK_SITE_MLP_MID);
  EXPECT(strcmp(cbk_site_name(CBK_SITE_QKV), "qkv") == 0);
  cbk_model_free(NULL);
  cbk_session_free(NULL);
  return failures == 0 ? 0 : 1;
}
