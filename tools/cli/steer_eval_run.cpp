// The model-driven part of `cbk steer-eval`: every condition's continuations sampled on worker
// threads (one session each) with the same sampling path as `cbk generate`, then each sample's
// continuation scored by a fresh, unsteered batched pass.
#include <mutex>
#include <new>

#include "tools/cli/api_util.hpp"
#include "tools/cli/progress.hpp"
#include "tools/cli/sampling.hpp"
#include "tools/cli/steer_eval.hpp"

namespace cbk::cli::steer {
namespace {

// The prompts' ids. An empty prompt that the tokenizer leaves empty starts from BOS alone (what the
// reference's generate does with ""); without a BOS it cannot be run.
ApiError prompt_ids(const cbk_model* model, const cbk_tokenizer_info& tok, const std::vector<std::string>& prompts,
                    std::vector<std::vector<std::int32_t>>* out) {
  out->clear();
  for (const std::string& p : prompts) {
    std::vector<std::int32_t> ids;
    if (ApiError e = check(tokenize(model, p, tok.add_bos != 0, &ids)); !e.ok()) return e;
    if (ids.empty() && tok.bos >= 0) ids.push_back(tok.bos);
    if (ids.empty())
      return ApiError{CBK_STATUS_INVALID_ARGUMENT, "the prompt \"" + p + "\" encodes to no tokens and the model has no BOS"};
    out->push_back(std::move(ids));
  }
  return ApiError();
}

// Sum of the continuation's losses under the unsteered model (batched prefill of the whole sample).
ApiError score(cbk_session* s, std::size_t vocab, std::vector<float>* logits, Sample* x) {
  x->nll = 0.0;
  x->loss_tokens = x->tokens.size() - x->n_prompt;
  if (x->loss_tokens == 0) return ApiError();
  logits->resize(x->tokens.size() * vocab);
  if (ApiError e = check(cbk_steer_clear(s)); !e.ok()) return e;
  if (ApiError e = check(cbk_session_reset(s)); !e.ok()) return e;
  if (ApiError e = check(cbk_session_prefill_logits(s, x->tokens.data(), x->tokens.size(), logits->data(), logits->size()));
      !e.ok())
    return e;
  for (std::size_t i = x->n_prompt; i < x->tokens.size(); ++i)
    x->nll += token_nll(logits->data() + (i - 1) * vocab, vocab, x->tokens[i]);
  return ApiError();
}

// Generates sample *x (prompt, seed and prompt ids set) under `steering`, then scores it.
ApiError sample(const cbk_model* model, cbk_session* s, const std::vector<SteerFlag>& steering,
                const cbk_sampling_params& sampling, const Options& opt, std::int32_t eos, std::size_t vocab,
                std::vector<float>* logits, Sample* x) {
  if (ApiError e = check(cbk_steer_clear(s)); !e.ok()) return e;
  if (ApiError e = check(apply_steering(s, steering)); !e.ok()) return e;
  if (ApiError e = check(cbk_session_reset(s)); !e.ok()) return e;
  if (ApiError e = check(cbk_session_set_seed(s, x->seed)); !e.ok()) return e;
  if (ApiError e = check(sample_continuation(s, sampling, opt.new_tokens, eos, &x->tokens, &x->stop)); !e.ok())
    return e;
  std::vector<std::int32_t> continuation(x->tokens.begin() + static_cast<std::ptrdiff_t>(x->n_prompt), x->tokens.end());
  if (std::string(x->stop) == "eos") continuation.pop_back();
  std::string text;
  if (ApiError e = check(detokenize(model, continuation, &text)); !e.ok()) return e;
  x->text = valid_utf8(opt.prompts[x->prompt] + text);
  return score(s, vocab, logits, x);
}

}  // namespace

double mean_loss(const std::vector<Sample>& samples, std::size_t* tokens) {
  double nll = 0.0;
  *tokens = 0;
  for (const Sample& x : samples) {
    nll += x.nll;
    *tokens += x.loss_tokens;
  }
  return *tokens ? nll / static_cast<double>(*tokens) : 0.0;
}

ApiError run(const cbk_model* model, const std::vector<Topic>& topics, const Options& opt, bool progress, Run* out) {
  try {
    cbk_tokenizer_info tok = sized<cbk_tokenizer_info>();
    cbk_architecture arch = sized<cbk_architecture>();
    if (ApiError e = check(cbk_model_tokenizer_info(model, &tok)); !e.ok()) return e;
    if (ApiError e = check(cbk_model_architecture(model, &arch)); !e.ok()) return e;
    std::vector<std::vector<std::int32_t>> prompts;
    if (ApiError e = prompt_ids(model, tok, opt.prompts, &prompts); !e.ok()) return e;

    std::vector<std::vector<SteerFlag>> steering(1 + topics.size());  // [0]: baseline, none
    for (std::size_t t = 0; t < topics.size(); ++t) steering[1 + t] = topic_steering(topics[t]);
    const std::size_t per = prompts.size() * opt.samples_per_prompt;
    out->conditions.assign(steering.size(), std::vector<Sample>(per));

    cbk_sampling_params sampling = cbk_sampling_default_params();  // no top-k / top-p, as the tutorial
    sampling.temperature = opt.temperature;
    cbk_session_params sp = cbk_session_default_params();
    const unsigned threads = opt.threads ? opt.threads : 1;
    std::vector<std::vector<float>> logits(threads);
    std::mutex mu;
    Progress bar("cbk steer-eval", steering.size() * per);
    std::size_t done = 0;
    auto tick = [&] {
      std::lock_guard<std::mutex> lock(mu);
      if (progress) bar.update(++done);
    };
    return parallel_items(model, sp, threads, steering.size() * per, tick, [&](cbk_session* s, unsigned t, std::size_t item) {
      const std::size_t c = item / per, i = item % per;
      Sample& x = out->conditions[c][i];
      x.prompt = i / opt.samples_per_prompt;
      x.seed = opt.seed + i;
      try {  // on a worker thread: nothing may escape
        x.tokens = prompts[x.prompt];
        x.n_prompt = x.tokens.size();
        return sample(model, s, steering[c], sampling, opt, tok.eos, arch.vocab_size, &logits[t], &x);
      } catch (const std::bad_alloc&) {
        return ApiError{CBK_STATUS_OUT_OF_MEMORY, "out of memory"};
      }
    });
  } catch (const std::bad_alloc&) {
    return ApiError{CBK_STATUS_OUT_OF_MEMORY, "out of memory"};
  }
}

}  // namespace cbk::cli::steer
