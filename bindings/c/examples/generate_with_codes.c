/* generate_with_codes: load a model (default: models/tokfsm.cbk), generate greedily while showing
 * the code each generated token selects in one codebook, then generate again with a different code
 * forced into that codebook and print what changed.
 *
 *   generate_with_codes [MODEL.cbk [PROMPT]]
 *
 * Exit status: 0 on success, 1 on any API error or if the forced code is not the one the trace shows. */
#include <cbk.h>

#include <stdio.h>
#include <string.h>

#define MAX_TOKENS 128
#define NEW_TOKENS 12

#define CHECK(x)                                                                             \
  do {                                                                                       \
    cbk_status st_ = (x);                                                                    \
    if (st_ != CBK_STATUS_OK) {                                                              \
      fprintf(stderr, "%s failed: %s: %s\n", #x, cbk_status_string(st_), cbk_last_error_message()); \
      return 1;                                                                              \
    }                                                                                        \
  } while (0)

/* Runs prompt + NEW_TOKENS greedy tokens on `session`, storing the generated ids and the slot-0 code
 * of codebook `book` (group 0) at every generated position. */
static int generate(cbk_session* session, const int32_t* prompt, size_t n_prompt, size_t book, int32_t* out_tokens,
                    int32_t* out_codes) {
  cbk_sampling_params greedy = cbk_sampling_default_params();
  const int32_t* ids;
  size_t n_slots, i;
  greedy.temperature = 0.0f;
  CHECK(cbk_session_prefill(session, prompt, n_prompt));
  for (i = 0; i < NEW_TOKENS; ++i) {
    CHECK(cbk_session_sample(session, &greedy, &out_tokens[i]));
    CHECK(cbk_session_decode(session, out_tokens[i]));
    CHECK(cbk_session_codes(session, book, 0, n_prompt + i, &ids, NULL, &n_slots));
    out_codes[i] = ids[0];
  }
  return 0;
}

static void print_run(const cbk_model* model, const char* title, const int32_t* tokens, const int32_t* codes) {
  char text[16];
  size_t i, len;
  printf("%s\n  token:", title);
  for (i = 0; i < NEW_TOKENS; ++i)
    printf(" %4s", cbk_detokenize(model, &tokens[i], 1, text, sizeof text, &len) == CBK_STATUS_OK ? text : "?");
  printf("\n  code: ");
  for (i = 0; i < NEW_TOKENS; ++i) printf(" %4d", codes[i]);
  printf("\n");
}

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "models/tokfsm.cbk";
  const char* prompt_text = argc > 2 ? argv[2] : "0123";
  cbk_model* model = NULL;
  cbk_session* session = NULL;
  cbk_session_params sp = cbk_session_default_params();
  cbk_codebook_info book_info;
  int32_t prompt[MAX_TOKENS], tokens[2][NEW_TOKENS], codes[2][NEW_TOKENS];
  size_t n_prompt = 0, book = 0, i, changed_tokens = 0;
  int32_t forced;
  cbk_target target;
  cbk_positions generated;

  CHECK(cbk_check_api_version(CBK_API_VERSION));
  CHECK(cbk_model_load_file(path, NULL, &model));
  CHECK(cbk_tokenize(model, prompt_text, strlen(prompt_text), CBK_TOKENIZE_ADD_BOS, prompt, MAX_TOKENS, &n_prompt));
  book_info.struct_size = sizeof book_info;
  if (cbk_model_codebook_count(model) == 0) {
    fprintf(stderr, "%s has no codebooks\n", path);
    return 1;
  }
  book = cbk_model_codebook_count(model) - 1; /* the last codebook: closest to the output */
  CHECK(cbk_model_codebook_info(model, book, &book_info));
  printf("model %s, prompt \"%s\" (%u tokens); codes of codebook %u (layer %u %s, group 0, slot 0)\n", path,
         prompt_text, (unsigned)n_prompt, (unsigned)book, book_info.layer, cbk_site_name(book_info.site));

  sp.trace = 1;
  CHECK(cbk_session_create(model, &sp, &session));
  if (generate(session, prompt, n_prompt, book, tokens[0], codes[0]) != 0) return 1;
  print_run(model, "plain:", tokens[0], codes[0]);

  /* Force a code the plain run did not choose into every slot of every group, at generated positions. */
  forced = (codes[0][0] + 1) % (int32_t)book_info.codes;
  target.layer = book_info.layer;
  target.site = book_info.site;
  target.group = -1;
  generated.kind = CBK_POSITIONS_GENERATED;
  generated.first = generated.end = 0;
  CHECK(cbk_session_reset(session));
  CHECK(cbk_steer_force(session, &target, forced, &generated, CBK_FORCE_ALL, 0, 1.0f));
  if (generate(session, prompt, n_prompt, book, tokens[1], codes[1]) != 0) return 1;
  print_run(model, "forced:", tokens[1], codes[1]);

  for (i = 0; i < NEW_TOKENS; ++i) {
    if (codes[1][i] != forced) { /* every decoded token sits at a generated position */
      fprintf(stderr, "the trace shows code %d at generated token %u, expected the forced %d\n", codes[1][i],
              (unsigned)i, forced);
      return 1;
    }
    changed_tokens += tokens[0][i] != tokens[1][i];
  }
  printf("forced code %d (layer %u %s): %u of %d generated tokens differ\n", forced, book_info.layer,
         cbk_site_name(book_info.site), (unsigned)changed_tokens, NEW_TOKENS);
  cbk_session_free(session);
  cbk_model_free(model);
  return 0;
}
