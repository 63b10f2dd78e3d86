/* The native cbk contender of bench/peers, through the C API only. One run = one process: load,
 * the greedy check (tokens and every code id), then the timed phases; one JSON line on stdout.
 *
 *   cbk_peer_runner MODEL CHECK_NEW PREFILL_LEN DECODE_PROMPT DECODE_NEW [--no-timing]
 *
 * Protocol shared by every contender (bench/peers/README.md): prompt ids (i * 7 + 1) % vocab,
 * greedy = first maximal logit; check = 16-token prompt then CHECK_NEW greedy tokens, each decoded;
 * prefill = one PREFILL_LEN-token prompt; decode = DECODE_PROMPT-token prompt (its time is the time
 * to first token), then DECODE_NEW greedy tokens. One untimed warm-up of each phase first. The trace
 * is off in the timed phases; the same phases also run with the trace on first (code-trace overhead).
 * Sessions hold max(16 + CHECK_NEW, PREFILL_LEN, DECODE_PROMPT + DECODE_NEW) positions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cbk.h"

typedef struct {
  double wall, cpu;
} stamp;

static stamp now(void) {
  struct timespec w, c;
  clock_gettime(CLOCK_MONOTONIC, &w);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
  stamp s = {w.tv_sec + 1e-9 * w.tv_nsec, c.tv_sec + 1e-9 * c.tv_nsec};
  return s;
}

static void print_span(const char* name, stamp a, stamp b) {
  printf("\"%s\":{\"wall\":%.6f,\"cpu\":%.6f},", name, b.wall - a.wall, b.cpu - a.cpu);
}

static void die(const char* what, cbk_status st) {
  fprintf(stderr, "cbk_peer_runner: %s: %s (%s)\n", what, cbk_status_string(st), cbk_last_error_message());
  exit(1);
}

#define CHECK(call)                     \
  do {                                  \
    cbk_status st_ = (call);            \
    if (st_ != CBK_STATUS_OK) die(#call, st_); \
  } while (0)

static int32_t argmax(const cbk_session* s) {
  const float* logits;
  size_t n;
  CHECK(cbk_session_logits(s, &logits, &n));
  size_t best = 0;
  for (size_t i = 1; i < n; ++i)
    if (logits[i] > logits[best]) best = i;
  return (int32_t)best;
}

static int32_t* prompt(size_t n, uint32_t vocab) {
  int32_t* p = malloc(n * sizeof *p);
  if (!p) exit(1);
  for (size_t i = 0; i < n; ++i) p[i] = (int32_t)((i * 7 + 1) % vocab);
  return p;
}

/* Prefill `n_prompt` tokens, then `n_new` greedy tokens, each decoded. Returns the first token's
 * stamp in *first (time to first token). */
static void run(cbk_session* s, const int32_t* ids, size_t n_prompt, size_t n_new, int32_t* out, stamp* first) {
  CHECK(cbk_session_reset(s));
  CHECK(cbk_session_prefill(s, ids, n_prompt));
  for (size_t i = 0; i < n_new; ++i) {
    int32_t t = argmax(s);
    if (i == 0 && first) *first = now();
    if (out) out[i] = t;
    CHECK(cbk_session_decode(s, t));
  }
}

static void timed_phases(cbk_session* s, uint32_t vocab, size_t prefill_len, size_t dprompt, size_t dnew,
                         const char* suffix) {
  int32_t* pf = prompt(prefill_len, vocab);
  int32_t* dp = prompt(dprompt, vocab);
  char name[64];
  run(s, pf, prefill_len, 0, NULL, NULL); /* warm-up */
  run(s, dp, dprompt, 4, NULL, NULL);
  stamp a = now();
  run(s, pf, prefill_len, 0, NULL, NULL);
  (void)argmax(s);
  stamp b = now();
  snprintf(name, sizeof name, "prefill%s", suffix);
  print_span(name, a, b);
  stamp first = a;
  a = now();
  run(s, dp, dprompt, dnew, NULL, &first);
  b = now();
  snprintf(name, sizeof name, "ttft%s", suffix);
  print_span(name, a, first);
  snprintf(name, sizeof name, "decode%s", suffix);
  print_span(name, first, b);
  free(pf);
  free(dp);
}

int main(int argc, char** argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: cbk_peer_runner MODEL CHECK_NEW PREFILL_LEN DECODE_PROMPT DECODE_NEW [--no-timing]\n");
    return 2;
  }
  const size_t check_new = strtoul(argv[2], NULL, 10), prefill_len = strtoul(argv[3], NULL, 10);
  const size_t dprompt = strtoul(argv[4], NULL, 10), dnew = strtoul(argv[5], NULL, 10);
  const int timing = !(argc > 6 && strcmp(argv[6], "--no-timing") == 0);
  printf("{");
  stamp a = now();
  cbk_model* model;
  CHECK(cbk_model_load_file(argv[1], NULL, &model));
  stamp b = now();
  print_span("load", a, b);
  cbk_architecture arch;
  memset(&arch, 0, sizeof arch);
  arch.struct_size = sizeof arch;
  CHECK(cbk_model_architecture(model, &arch));

  /* The check: tokens and every code id of every position, trace on. */
  size_t ctx = 16 + check_new;
  if (prefill_len > ctx) ctx = prefill_len;
  if (dprompt + dnew > ctx) ctx = dprompt + dnew;
  cbk_session_params sp = cbk_session_default_params();
  sp.max_context = (uint32_t)ctx; /* the KV cache the runs need, as an application would size it */
  sp.trace = 1;
  cbk_session* traced;
  CHECK(cbk_session_create(model, &sp, &traced));
  int32_t* ids = prompt(16, arch.vocab_size);
  int32_t* toks = malloc((check_new + 1) * sizeof *toks);
  run(traced, ids, 16, check_new, toks, NULL);
  printf("\"tokens\":[");
  for (size_t i = 0; i < check_new; ++i) printf("%s%d", i ? "," : "", toks[i]);
  printf("],\"codes\":[");
  for (size_t c = 0; c < cbk_model_codebook_count(model); ++c) {
    cbk_codebook_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    CHECK(cbk_model_codebook_info(model, c, &info));
    printf("%s[", c ? "," : "");
    for (uint32_t g = 0; g < info.groups; ++g) {
      const int32_t* tr;
      size_t rows, slots;
      CHECK(cbk_session_trace(traced, c, g, &tr, NULL, &rows, &slots));
      printf("%s[", g ? "," : "");
      for (size_t r = 0; r < rows; ++r) {
        printf("%s[", r ? "," : "");
        for (size_t k = 0; k < slots; ++k) printf("%s%d", k ? "," : "", tr[r * slots + k]);
        printf("]");
      }
      printf("]");
    }
    printf("]");
  }
  printf("],");
  free(ids);
  free(toks);

  if (timing) timed_phases(traced, arch.vocab_size, prefill_len, dprompt, dnew, "_trace");
  cbk_session_free(traced);
  if (timing) {
    sp.trace = 0;
    cbk_session* plain;
    CHECK(cbk_session_create(model, &sp, &plain));
    timed_phases(plain, arch.vocab_size, prefill_len, dprompt, dnew, "");
    cbk_session_free(plain);
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("\"rss_kb\":%ld,\"runtime\":\"cbk %s\"}\n", ru.ru_maxrss, cbk_version());
  cbk_model_free(model);
  return 0;
}
