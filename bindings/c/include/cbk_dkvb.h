/* cbk_dkvb.h — the C API of Discrete Key-Value Bottleneck models (cbk_dkvb_*, API version 6).
 * Part of the C API manual: included by cbk.h (include cbk.h, not this file), so every program that
 * includes cbk.h sees these declarations; kept apart so that each model family reads on its own. */
#ifndef CBK_DKVB_H
#define CBK_DKVB_H

#include "cbk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- DKVB classifiers (API version 6) ---------------------------------------------------------
 * A Discrete Key-Value Bottleneck model (Träuble et al., ICML 2023; cbk_model_kind CBK_KIND_DKVB)
 * classifies a vector x of input_dim floats:
 *   z = encoder(x)                  an MLP with ReLU between its layers, or the identity;
 *   q_c = P_c z, c < heads          a fixed projection into `heads` queries of key_dim floats (or,
 *                                   without a projection, q_c is the c-th key_dim slice of z);
 *   id_c = argmin_j ||q_c - K_c[j]||^2   per head, over its own `pairs` keys; ties go to the lower
 *                                   pair id; pairs the file marks unused are skipped;
 *   logits = mean_c V_c[id_c]        "voting" (classes = value_dim), or
 *   logits = W concat_c V_c[id_c] + b   the linear decoder.
 * The pair ids (one per head) say which memory each head used. Keys are fixed after an unsupervised
 * pass and only the values are trained, so a new class changes only the values its inputs select:
 * the model learns new classes without forgetting old ones. tools/python/dkvb trains such models.
 *
 * A cbk_dkvb holds the steering and the scratch of one user of a model: it is used by one thread at
 * a time (several on one model may run concurrently); steering changes only that cbk_dkvb, never the
 * model. Usage:
 *   cbk_dkvb* d = NULL;
 *   CHECK(cbk_dkvb_create(model, &d));
 *   int32_t keys[HEADS]; float logits[CLASSES];
 *   CHECK(cbk_dkvb_classify(d, x, 1, INPUT_DIM, keys, HEADS, logits, CLASSES));
 *   CHECK(cbk_dkvb_force_key(d, 0, 17));      (head 0 now always uses pair 17)
 *   cbk_dkvb_free(d);
 */
typedef enum cbk_dkvb_decoder CBK_ENUM_BASE {
  CBK_DKVB_VOTING = 0,  /* logits = the mean of the picked values over the heads */
  CBK_DKVB_LINEAR = 1   /* logits = a linear layer over the concatenated picked values */
} cbk_dkvb_decoder;

typedef struct cbk_dkvb_info {
  size_t struct_size;        /* caller sets sizeof(cbk_dkvb_info) */
  uint32_t input_dim;        /* floats per input vector */
  uint32_t embed_dim;        /* floats of the encoder's output z */
  uint32_t encoder_layers;   /* 0: the identity */
  uint32_t heads;            /* key-value codebooks; one picked pair id each */
  uint32_t pairs;            /* key-value pairs per head */
  uint32_t key_dim;
  uint32_t value_dim;
  uint32_t classes;          /* logits per input */
  cbk_dkvb_decoder decoder;
  int has_projection;        /* 0: each head reads its key_dim slice of z */
  int has_used_pairs;        /* the file marks pairs never selected in training (skipped) */
  uint64_t used_pairs;       /* pairs searchable under the file's mask, over all heads */
} cbk_dkvb_info;

/* Fills *out. Errors: INVALID_ARGUMENT (NULL, struct_size), WRONG_MODEL_KIND (not a DKVB model). */
CBK_API cbk_status cbk_model_dkvb_info(const cbk_model* model, cbk_dkvb_info* out);

/* Key `key` of head `head` (key_dim floats) into out[capacity]. Thread-safe. Errors:
 * INVALID_ARGUMENT (NULL), WRONG_MODEL_KIND, OUT_OF_RANGE (head, key), BUFFER_TOO_SMALL (capacity
 * below key_dim; nothing written). */
CBK_API cbk_status cbk_model_dkvb_key(const cbk_model* model, uint32_t head, int32_t key, float* out,
                                      size_t capacity);

/* One user's classifier state (steering, scratch). */
typedef struct cbk_dkvb cbk_dkvb;

/* Creates a classifier on `model` (which it keeps alive; the model may be freed first). Errors:
 * INVALID_ARGUMENT (NULL), WRONG_MODEL_KIND (not a DKVB model), OUT_OF_MEMORY. */
CBK_API cbk_status cbk_dkvb_create(const cbk_model* model, cbk_dkvb** dkvb_out);
/* NULL is a no-op. */
CBK_API void cbk_dkvb_free(cbk_dkvb* dkvb);
/* The message of the last failing call on this classifier, or ""; "" for NULL. */
CBK_API const char* cbk_dkvb_last_error(const cbk_dkvb* dkvb);

/* Classifies n_rows inputs, row-major [n_rows x row_width] floats (row_width must equal input_dim;
 * n_rows = 1 for one vector). Writes each row's picked pair id per head to keys_out
 * [n_rows x heads] and its logits to logits_out [n_rows x classes]; either output may be NULL
 * (with capacity 0). Capacities count elements. The steering of this classifier applies. Errors:
 * INVALID_ARGUMENT (NULL dkvb, NULL inputs with n_rows > 0, row_width != input_dim: the message
 * names both), BUFFER_TOO_SMALL (a capacity below n_rows x heads or n_rows x classes; nothing
 * written), NON_FINITE_VALUE (an input is NaN or infinite; the message names row and entry;
 * nothing written). */
CBK_API cbk_status cbk_dkvb_classify(cbk_dkvb* dkvb, const float* inputs, size_t n_rows, size_t row_width,
                                     int32_t* keys_out, size_t keys_capacity, float* logits_out,
                                     size_t logits_capacity);

/* Steering. Each call changes this classifier only and affects later cbk_dkvb_classify calls; on
 * error nothing changes. */

/* Head `head` uses pair `key` for every input (its search is skipped; a forced pair is used even
 * when masked). key = -1 lets the head search again. Errors: INVALID_ARGUMENT (NULL), OUT_OF_RANGE
 * (head, key). */
CBK_API cbk_status cbk_dkvb_force_key(cbk_dkvb* dkvb, uint32_t head, int32_t key);

/* Excludes (masked nonzero) or re-admits (masked 0) the pairs keys[0..n_keys) of `head` (-1 = the
 * same pairs of every head) from the search, e.g. to "unlearn" a class by masking the pairs its
 * inputs select. Errors: INVALID_ARGUMENT (NULL dkvb, NULL keys with n_keys > 0, a change that
 * would leave a head with no searchable pair), OUT_OF_RANGE (head, a key), OUT_OF_MEMORY. */
CBK_API cbk_status cbk_dkvb_mask_pairs(cbk_dkvb* dkvb, int32_t head, const int32_t* keys, size_t n_keys,
                                       int masked);

/* Applies (nonzero, the default) or ignores (0) the file's used-pair mask (pairs never selected in
 * training). Errors: INVALID_ARGUMENT (NULL, or no searchable pair would be left in a head). */
CBK_API cbk_status cbk_dkvb_use_file_mask(cbk_dkvb* dkvb, int enabled);

/* *searchable_out = 1 when the search of `head` may pick `key` now (both masks applied), else 0.
 * Errors: INVALID_ARGUMENT (NULL), OUT_OF_RANGE (head, key). */
CBK_API cbk_status cbk_dkvb_pair_searchable(const cbk_dkvb* dkvb, uint32_t head, int32_t key,
                                            int* searchable_out);

/* Replaces the value of pair (head, key) with value[0..n) for this classifier; n must equal
 * value_dim. The first override copies the value table (heads x pairs x value_dim floats). Errors:
 * INVALID_ARGUMENT (NULL, n != value_dim), OUT_OF_RANGE (head, key), NON_FINITE_VALUE,
 * OUT_OF_MEMORY. */
CBK_API cbk_status cbk_dkvb_set_value(cbk_dkvb* dkvb, uint32_t head, int32_t key, const float* value, size_t n);

/* The value of pair (head, key) this classifier uses (value_dim floats, overrides included) into
 * out[capacity]. Errors: INVALID_ARGUMENT (NULL), OUT_OF_RANGE (head, key), BUFFER_TOO_SMALL. */
CBK_API cbk_status cbk_dkvb_value(const cbk_dkvb* dkvb, uint32_t head, int32_t key, float* out, size_t capacity);

/* Removes all steering: no forced keys, no masked pairs, the file's mask applied, the file's values.
 * Errors: INVALID_ARGUMENT (NULL). */
CBK_API cbk_status cbk_dkvb_clear_steering(cbk_dkvb* dkvb);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* CBK_DKVB_H */
