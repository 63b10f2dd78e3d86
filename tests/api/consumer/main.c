/* A plain C program using the installed cbk package: load a model, run a prompt, print the codes
 * of its last token and one greedy token. Usage: consumer MODEL.cbk */
#include <cbk.h>

#include <stdio.h>

#define CHECK(x)                                                                      \
  do {                                                                                \
    cbk_status st_ = (x);                                                             \
    if (st_ != CBK_STATUS_OK) {                                                       \
      fprintf(stderr, "%s: %s\n", cbk_status_string(st_), cbk_last_error_message()); \
      return 1;                                                                       \
    }                                                                                 \
  } while (0)

int main(int argc, char** argv) {
  cbk_model* model = NULL;
  cbk_session* session = NULL;
  cbk_session_params sp = cbk_session_default_params();
  cbk_sampling_params greedy = cbk_sampling_default_params();
  int32_t tokens[32];
  size_t n_tokens = 0, n_slots = 0, i;
  const int32_t* ids = NULL;
  int32_t next = 0;

  if (argc != 2) return 2;
  CHECK(cbk_check_api_version(CBK_API_VERSION));
  CHECK(cbk_model_load_file(argv[1], NULL, &model));
  CHECK(cbk_tokenize(model, "hello", 5, 0, tokens, 32, &n_tokens));
  sp.trace = 1;
  CHECK(cbk_session_create(model, &sp, &session));
  CHECK(cbk_session_prefill(session, tokens, n_tokens));
  CHECK(cbk_session_codes(session, 0, 0, n_tokens - 1, &ids, NULL, &n_slots));
  greedy.temperature = 0.0f;
  CHECK(cbk_session_sample(session, &greedy, &next));
  printf("cbk %s consumer: %u tokens, codes", cbk_version(), (unsigned)n_tokens);
  for (i = 0; i < n_slots; ++i) printf(" %d", ids[i]);
  printf(", next token %d\n", next);
  cbk_session_free(session);
  cbk_model_free(model);
  return 0;
}
