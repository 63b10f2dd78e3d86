/* native_bench.c — the native side of web/bench/bench.mjs: prefill and greedy decode of a model
 * through the C API, one thread, timed per repetition in wall time AND thread CPU time (on a
 * shared, loaded machine CPU time is the stable measure). Same protocol as the WASM side: prompt
 * ids (i * 7 + 1) % vocab as `cbk bench` uses, trace off, one warm-up repetition first.
 *
 *   native_bench MODEL PROMPT DECODE REPS   -> one JSON object per repetition on stdout */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cbk.h"

static double now(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int fail(cbk_status st) {
  fprintf(stderr, "native_bench: %s: %s\n", cbk_status_string(st), cbk_last_error_message());
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: native_bench MODEL PROMPT DECODE REPS\n");
    return 2;
  }
  const size_t n_prompt = (size_t)atol(argv[2]);
  const int n_decode = atoi(argv[3]);
  const int reps = atoi(argv[4]);
  cbk_model* model = NULL;
  cbk_status st = cbk_model_load_file(argv[1], NULL, &model);
  if (st) return fail(st);
  cbk_architecture arch;
  arch.struct_size = sizeof arch;
  if ((st = cbk_model_architecture(model, &arch))) return fail(st);
  int32_t* tokens = malloc(n_prompt * sizeof *tokens);
  if (!tokens) return 1;
  for (size_t i = 0; i < n_prompt; ++i) tokens[i] = (int32_t)((i * 7 + 1) % arch.vocab_size);
  cbk_session* s = NULL;
  if ((st = cbk_session_create(model, NULL, &s))) return fail(st);
  cbk_sampling_params greedy = cbk_sampling_default_params();
  greedy.temperature = 0.0f;
  for (int r = -1; r < reps; ++r) {  /* r = -1: warm-up, not reported */
    if ((st = cbk_session_reset(s))) return fail(st);
    double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID);
    if ((st = cbk_session_prefill(s, tokens, n_prompt))) return fail(st);
    double w1 = now(CLOCK_MONOTONIC), c1 = now(CLOCK_THREAD_CPUTIME_ID);
    for (int i = 0; i < n_decode; ++i) {
      int32_t next;
      if ((st = cbk_session_sample(s, &greedy, &next)) || (st = cbk_session_decode(s, next))) return fail(st);
    }
    double w2 = now(CLOCK_MONOTONIC), c2 = now(CLOCK_THREAD_CPUTIME_ID);
    if (r >= 0)
      printf("{\"prefill_wall\": %.9f, \"prefill_cpu\": %.9f, \"decode_wall\": %.9f, \"decode_cpu\": %.9f}\n", w1 - w0,
             c1 - c0, w2 - w1, c2 - c1);
  }
  cbk_session_free(s);
  cbk_model_free(model);
  free(tokens);
  return 0;
}
