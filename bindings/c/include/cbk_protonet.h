/* cbk_protonet.h — the C API of prototype networks (cbk_protonet_*, API version 6).
 * Part of the C API manual: included by cbk.h (include cbk.h, not this file), so every program that
 * includes cbk.h sees these declarations; kept apart so that each model family reads on its own. */
#ifndef CBK_PROTONET_H
#define CBK_PROTONET_H

#include "cbk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Prototype networks (API version 6) -----------------------------------------------------
 * A CBK_KIND_PROTONET model (Li, Liu, Chen & Rudin, "Deep Learning for Case-Based Reasoning
 * through Prototypes", AAAI 2018) explains each decision by learned prototypes: an encoder of
 * convolutions maps an image to a latent vector z, d_j = ||z - p_j||^2 is its squared distance to
 * each of the m prototypes, logits = d . W (W: m x classes, no bias), and a decoder renders any
 * latent, e.g. a prototype, as an image. A baseline file of the same family has no prototypes
 * (m = 0, a linear head instead): it classifies, and the prototype functions return
 * CBK_STATUS_UNSUPPORTED.
 *
 *   cbk_protonet* net;
 *   CHECK(cbk_protonet_create(model, &net));
 *   int32_t predicted;
 *   CHECK(cbk_protonet_classify(net, pixels, 28 * 28, &predicted));  // floats in [0, 1]
 *   float d[15]; size_t m;
 *   CHECK(cbk_protonet_distances(net, d, 15, &m));
 *   int32_t nearest; size_t n;
 *   CHECK(cbk_protonet_nearest(net, &nearest, 1, &n));   // BUFFER_TOO_SMALL reports all m in n
 *
 * Images and latents are float arrays: an image has image_channels x image_height x image_width
 * values (channel-major), a latent latent_dim; a length that differs is INVALID_ARGUMENT, a NaN or
 * infinite value NON_FINITE_VALUE. Output arrays take a capacity; a smaller one returns
 * BUFFER_TOO_SMALL (with the needed count in *count_out where there is one).
 *
 * A cbk_protonet holds its own copy of the prototypes and class weights: the edits below change
 * that copy only (never the shared model), so other cbk_protonet handles of the model are not
 * affected. One handle per thread; handles of one model may run in parallel. On a model of another
 * kind every function returns CBK_STATUS_WRONG_MODEL_KIND. */
typedef struct cbk_protonet cbk_protonet;

typedef struct cbk_protonet_info {
  size_t struct_size;       /* caller sets sizeof(cbk_protonet_info) */
  uint32_t image_channels;
  uint32_t image_height;
  uint32_t image_width;
  uint32_t latent_dim;      /* floats of z */
  uint32_t prototypes;      /* m; 0 for a baseline (linear head, no decoder) */
  uint32_t classes;
} cbk_protonet_info;

/* Shapes of a prototype-network model. Errors: INVALID_ARGUMENT (NULL, struct_size),
 * WRONG_MODEL_KIND. */
CBK_API cbk_status cbk_model_protonet_info(const cbk_model* model, cbk_protonet_info* out);
/* Name of class `cls` (owned by the model). Errors: INVALID_ARGUMENT, WRONG_MODEL_KIND,
 * OUT_OF_RANGE. */
CBK_API cbk_status cbk_protonet_class_name(const cbk_model* model, uint32_t cls, const char** name_out);

/* A handle with the model's prototypes and class weights (it keeps the model alive; the model may
 * be freed first). Errors: INVALID_ARGUMENT, WRONG_MODEL_KIND, OUT_OF_MEMORY. */
CBK_API cbk_status cbk_protonet_create(const cbk_model* model, cbk_protonet** out);
/* NULL is a no-op. */
CBK_API void cbk_protonet_free(cbk_protonet* net);
/* The handle's last error message ("" when none); valid until its next call. "" for NULL. */
CBK_API const char* cbk_protonet_last_error(const cbk_protonet* net);

/* Classifies one image and keeps the result for the readers below (until the next classify).
 * predicted_out (may be NULL) receives the argmax of the logits (ties to the lower class).
 * Errors: INVALID_ARGUMENT (NULL net/image, n_floats), NON_FINITE_VALUE. */
CBK_API cbk_status cbk_protonet_classify(cbk_protonet* net, const float* image, size_t n_floats,
                                         int32_t* predicted_out);
/* The last classification's results, each into out[0..capacity) with the count in *count_out
 * (count_out may be NULL):
 *   distances:     m values, d_j = ||z - p_j||^2; +infinity for a removed prototype;
 *   nearest:       the active prototypes' ids by ascending distance (ties to the lower id);
 *   logits:        classes values; probabilities: their softmax;
 *   latent:        latent_dim values, z.
 * Errors: INVALID_ARGUMENT (NULL net, NULL out with capacity > 0), WRONG_STATE (nothing classified
 * yet, or an edit since: edits change the distances), BUFFER_TOO_SMALL. */
CBK_API cbk_status cbk_protonet_distances(const cbk_protonet* net, float* out, size_t capacity, size_t* count_out);
CBK_API cbk_status cbk_protonet_nearest(const cbk_protonet* net, int32_t* out, size_t capacity, size_t* count_out);
CBK_API cbk_status cbk_protonet_logits(const cbk_protonet* net, float* out, size_t capacity, size_t* count_out);
CBK_API cbk_status cbk_protonet_probabilities(const cbk_protonet* net, float* out, size_t capacity,
                                              size_t* count_out);
CBK_API cbk_status cbk_protonet_latent(const cbk_protonet* net, float* out, size_t capacity, size_t* count_out);

/* Renders: the decoder applied to prototype `id` (its current value in this handle), to any latent,
 * or to the latent of an image (a reconstruction). image_out holds image floats (capacity).
 * Errors: INVALID_ARGUMENT (NULL, lengths), NON_FINITE_VALUE, OUT_OF_RANGE (id), WRONG_STATE (a
 * removed prototype), UNSUPPORTED (baseline), BUFFER_TOO_SMALL. */
CBK_API cbk_status cbk_protonet_render_prototype(cbk_protonet* net, uint32_t id, float* image_out, size_t capacity);
CBK_API cbk_status cbk_protonet_decode(cbk_protonet* net, const float* latent, size_t n_floats, float* image_out,
                                       size_t capacity);
CBK_API cbk_status cbk_protonet_reconstruct(cbk_protonet* net, const float* image, size_t n_floats,
                                            float* image_out, size_t capacity);
/* Reads prototype `id`'s latent (latent_dim floats) or class weights (classes floats) as this
 * handle has them; *removed_out (may be NULL) is 1 for a removed prototype (whose values stay
 * readable). Errors: INVALID_ARGUMENT, OUT_OF_RANGE, UNSUPPORTED, BUFFER_TOO_SMALL. */
CBK_API cbk_status cbk_protonet_prototype(const cbk_protonet* net, uint32_t id, float* latent_out, size_t capacity,
                                          int* removed_out);
CBK_API cbk_status cbk_protonet_prototype_weights(const cbk_protonet* net, uint32_t id, float* out, size_t capacity);

/* Edits (this handle only). Replacing a prototype (by a latent or by an image's latent, "make this
 * drawing a prototype") also brings back a removed one. interpolate sets prototype `target` to
 * (1 - t) p_a + t p_b (a and b active; t finite, outside [0, 1] extrapolates). set_class_weights
 * replaces row `id` of W (classes floats). remove excludes a prototype from the distances'
 * ranking and the logits; the last active one cannot be removed. reset restores the model's
 * prototypes and weights. Errors: INVALID_ARGUMENT (NULL, lengths), NON_FINITE_VALUE,
 * OUT_OF_RANGE (an id), WRONG_STATE (a removed a/b/id, removing the last), UNSUPPORTED. */
CBK_API cbk_status cbk_protonet_set_prototype(cbk_protonet* net, uint32_t id, const float* latent, size_t n_floats);
CBK_API cbk_status cbk_protonet_set_prototype_from_image(cbk_protonet* net, uint32_t id, const float* image,
                                                         size_t n_floats);
CBK_API cbk_status cbk_protonet_interpolate(cbk_protonet* net, uint32_t target, uint32_t a, uint32_t b, float t);
CBK_API cbk_status cbk_protonet_set_class_weights(cbk_protonet* net, uint32_t id, const float* weights,
                                                  size_t n_floats);
CBK_API cbk_status cbk_protonet_remove_prototype(cbk_protonet* net, uint32_t id);
CBK_API cbk_status cbk_protonet_reset(cbk_protonet* net);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* CBK_PROTONET_H */
