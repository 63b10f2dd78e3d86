// Prototype networks through the C API (cbk_protonet_*): shapes, classification results, renders
// and edits checked against what they must equal by construction (an image made a prototype is at
// distance 0 from it; logits are d . W; an edit changes the logits by its term only; other handles
// keep the model's prototypes), and every misuse with its status. Numeric agreement with the
// trainer is tests/parity/test_protonet_parity.cpp.
#include "tests/api/api_test_support.hpp"

#include <cmath>
#include <limits>
#include <vector>

namespace {

constexpr size_t kImage = 64, kLatent = 8, kProtos = 5, kClasses = 3;

struct Net {
  cbk::model_ptr model;
  cbk_protonet* net = nullptr;
  explicit Net(const char* name = "api_protonet") : model(cbk_api_test::load_fixture(name)) {
    REQUIRE(cbk_protonet_create(model.get(), &net) == CBK_STATUS_OK);
  }
  ~Net() { cbk_protonet_free(net); }
};

std::vector<float> image(unsigned seed) {
  std::vector<float> img(kImage);
  for (size_t i = 0; i < kImage; ++i) img[i] = static_cast<float>((i * 7 + seed * 13) % 17) / 16.0f;
  return img;
}

struct Result {
  std::vector<float> d = std::vector<float>(kProtos), logits = std::vector<float>(kClasses);
  std::vector<int32_t> nearest = std::vector<int32_t>(kProtos);
  size_t n_nearest = 0;
};

Result classify(cbk_protonet* net, const std::vector<float>& img) {
  Result r;
  REQUIRE(cbk_protonet_classify(net, img.data(), img.size(), nullptr) == CBK_STATUS_OK);
  REQUIRE(cbk_protonet_distances(net, r.d.data(), r.d.size(), nullptr) == CBK_STATUS_OK);
  REQUIRE(cbk_protonet_logits(net, r.logits.data(), r.logits.size(), nullptr) == CBK_STATUS_OK);
  REQUIRE(cbk_protonet_nearest(net, r.nearest.data(), r.nearest.size(), &r.n_nearest) == CBK_STATUS_OK);
  return r;
}

std::vector<float> weights_of(cbk_protonet* net, uint32_t id) {
  std::vector<float> w(kClasses);
  REQUIRE(cbk_protonet_prototype_weights(net, id, w.data(), w.size()) == CBK_STATUS_OK);
  return w;
}

bool close(float a, double b) { return std::fabs(a - b) <= 1e-4 * std::max(1.0, std::fabs(b)); }

}  // namespace

TEST_CASE("protonet: shapes, class names and the d . W logits", "[api][protonet]") {
  Net t;
  cbk_protonet_info info{};
  info.struct_size = sizeof(info);
  REQUIRE(cbk_model_protonet_info(t.model.get(), &info) == CBK_STATUS_OK);
  CHECK(info.image_channels == 1);
  CHECK(info.image_height == 8);
  CHECK(info.image_width == 8);
  CHECK(info.latent_dim == kLatent);
  CHECK(info.prototypes == kProtos);
  CHECK(info.classes == kClasses);
  const char* name = nullptr;
  REQUIRE(cbk_protonet_class_name(t.model.get(), 2, &name) == CBK_STATUS_OK);
  CHECK(std::string(name) == "two");

  const std::vector<float> img = image(1);
  int32_t predicted = -1;
  REQUIRE(cbk_protonet_classify(t.net, img.data(), img.size(), &predicted) == CBK_STATUS_OK);
  const Result r = classify(t.net, img);
  // Distances against the prototypes read back, logits against d . W, nearest sorted ascending.
  std::vector<float> z(kLatent);
  REQUIRE(cbk_protonet_latent(t.net, z.data(), z.size(), nullptr) == CBK_STATUS_OK);
  std::vector<double> want_logits(kClasses, 0.0);
  for (uint32_t j = 0; j < kProtos; ++j) {
    std::vector<float> p(kLatent);
    REQUIRE(cbk_protonet_prototype(t.net, j, p.data(), p.size(), nullptr) == CBK_STATUS_OK);
    double d = 0.0;
    for (size_t i = 0; i < kLatent; ++i) d += (double(z[i]) - p[i]) * (double(z[i]) - p[i]);
    CHECK(close(r.d[j], d));
    const std::vector<float> w = weights_of(t.net, j);
    for (size_t c = 0; c < kClasses; ++c) want_logits[c] += d * w[c];
  }
  for (size_t c = 0; c < kClasses; ++c) CHECK(close(r.logits[c], want_logits[c]));
  REQUIRE(r.n_nearest == kProtos);
  for (size_t i = 1; i < kProtos; ++i) CHECK(r.d[size_t(r.nearest[i - 1])] <= r.d[size_t(r.nearest[i])]);
  int32_t argmax = 0;
  for (int32_t c = 1; c < int32_t(kClasses); ++c) if (r.logits[size_t(c)] > r.logits[size_t(argmax)]) argmax = c;
  CHECK(predicted == argmax);
  std::vector<float> probs(kClasses);
  REQUIRE(cbk_protonet_probabilities(t.net, probs.data(), probs.size(), nullptr) == CBK_STATUS_OK);
  CHECK(std::fabs(probs[0] + probs[1] + probs[2] - 1.0f) < 1e-5f);
}

TEST_CASE("protonet: make an image a prototype, render it, interpolate, reweight, remove, reset",
          "[api][protonet]") {
  Net t, other;
  const std::vector<float> img = image(2);
  const Result before = classify(t.net, img);

  // "Make this drawing a prototype": the image is then at distance 0 from prototype 3, its nearest.
  REQUIRE(cbk_protonet_set_prototype_from_image(t.net, 3, img.data(), img.size()) == CBK_STATUS_OK);
  const Result made = classify(t.net, img);
  CHECK(made.d[3] == 0.0f);
  CHECK(made.nearest[0] == 3);
  // Rendering the prototype equals decoding the image's latent (a reconstruction).
  std::vector<float> render(kImage), recon(kImage);
  REQUIRE(cbk_protonet_render_prototype(t.net, 3, render.data(), render.size()) == CBK_STATUS_OK);
  REQUIRE(cbk_protonet_reconstruct(t.net, img.data(), img.size(), recon.data(), recon.size()) == CBK_STATUS_OK);
  CHECK(render == recon);
  for (float v : render) CHECK((v >= 0.0f && v <= 1.0f));  // sigmoid output

  // Other handles keep the model's prototypes.
  const Result untouched = classify(other.net, img);
  CHECK(untouched.d == before.d);

  // Interpolation: prototype 0 = 0.75 p1 + 0.25 p4.
  std::vector<float> p1(kLatent), p4(kLatent), p0(kLatent);
  REQUIRE(cbk_protonet_prototype(t.net, 1, p1.data(), kLatent, nullptr) == CBK_STATUS_OK);
  REQUIRE(cbk_protonet_prototype(t.net, 4, p4.data(), kLatent, nullptr) == CBK_STATUS_OK);
  REQUIRE(cbk_protonet_interpolate(t.net, 0, 1, 4, 0.25f) == CBK_STATUS_OK);
  REQUIRE(cbk_protonet_prototype(t.net, 0, p0.data(), kLatent, nullptr) == CBK_STATUS_OK);
  for (size_t i = 0; i < kLatent; ++i) CHECK(close(p0[i], 0.75 * p1[i] + 0.25 * p4[i]));
  // t = 1 copies p4 exactly, so the two are at the same distance.
  REQUIRE(cbk_protonet_interpolate(t.net, 0, 1, 4, 1.0f) == CBK_STATUS_OK);
  const Result copied = classify(t.net, img);
  CHECK(copied.d[0] == copied.d[4]);

  // New class weights for prototype 2 change the logits by d_2 (w' - w).
  const Result r0 = classify(t.net, img);
  const std::vector<float> w2 = weights_of(t.net, 2);
  const float new_w[kClasses] = {1.5f, -2.0f, 0.25f};
  REQUIRE(cbk_protonet_set_class_weights(t.net, 2, new_w, kClasses) == CBK_STATUS_OK);
  CHECK(weights_of(t.net, 2) == std::vector<float>(new_w, new_w + kClasses));
  const Result r1 = classify(t.net, img);
  for (size_t c = 0; c < kClasses; ++c) CHECK(close(r1.logits[c], double(r0.logits[c]) + r0.d[2] * (new_w[c] - w2[c])));

  // Removing prototype 1: +infinity distance, out of the ranking, its term gone from the logits.
  REQUIRE(cbk_protonet_remove_prototype(t.net, 1) == CBK_STATUS_OK);
  const Result r2 = classify(t.net, img);
  CHECK(std::isinf(r2.d[1]));
  CHECK(r2.n_nearest == kProtos - 1);
  for (size_t i = 0; i < r2.n_nearest; ++i) CHECK(r2.nearest[i] != 1);
  const std::vector<float> w1 = weights_of(t.net, 1);
  for (size_t c = 0; c < kClasses; ++c) CHECK(close(r2.logits[c], double(r1.logits[c]) - r1.d[1] * w1[c]));
  int removed = 0;
  REQUIRE(cbk_protonet_prototype(t.net, 1, p1.data(), kLatent, &removed) == CBK_STATUS_OK);
  CHECK(removed == 1);
  CHECK_FAILS(cbk_protonet_render_prototype(t.net, 1, render.data(), render.size()), CBK_STATUS_WRONG_STATE, "removed");
  CHECK_FAILS(cbk_protonet_interpolate(t.net, 0, 1, 4, 0.5f), CBK_STATUS_WRONG_STATE, "removed");
  CHECK_FAILS(cbk_protonet_remove_prototype(t.net, 1), CBK_STATUS_WRONG_STATE, "removed");
  for (uint32_t j : {0u, 2u, 3u}) REQUIRE(cbk_protonet_remove_prototype(t.net, j) == CBK_STATUS_OK);
  CHECK_FAILS(cbk_protonet_remove_prototype(t.net, 4), CBK_STATUS_WRONG_STATE, "last");
  // Replacing a removed prototype brings it back.
  REQUIRE(cbk_protonet_set_prototype(t.net, 1, p4.data(), kLatent) == CBK_STATUS_OK);
  CHECK(classify(t.net, img).n_nearest == 2);

  REQUIRE(cbk_protonet_reset(t.net) == CBK_STATUS_OK);
  const Result after = classify(t.net, img);
  CHECK(after.d == before.d);
  CHECK(after.logits == before.logits);
}

TEST_CASE("protonet: misuse gets a specific status", "[api][protonet]") {
  Net t;
  std::vector<float> img = image(3), out(kImage), latent(kLatent);
  size_t count = 0;
  CHECK_FAILS(cbk_protonet_distances(t.net, out.data(), out.size(), &count), CBK_STATUS_WRONG_STATE, "classify first");
  CHECK_FAILS(cbk_protonet_classify(nullptr, img.data(), img.size(), nullptr), CBK_STATUS_INVALID_ARGUMENT, "net");
  CHECK_FAILS(cbk_protonet_classify(t.net, nullptr, img.size(), nullptr), CBK_STATUS_INVALID_ARGUMENT, "image");
  CHECK_FAILS(cbk_protonet_classify(t.net, img.data(), img.size() - 1, nullptr), CBK_STATUS_INVALID_ARGUMENT, "63 floats");
  img[5] = std::numeric_limits<float>::quiet_NaN();
  CHECK_FAILS(cbk_protonet_classify(t.net, img.data(), img.size(), nullptr), CBK_STATUS_NON_FINITE_VALUE, "NaN");
  img[5] = 0.5f;
  REQUIRE(cbk_protonet_classify(t.net, img.data(), img.size(), nullptr) == CBK_STATUS_OK);
  float small[2];
  CHECK_FAILS(cbk_protonet_distances(t.net, small, 2, &count), CBK_STATUS_BUFFER_TOO_SMALL, "5 are needed");
  CHECK(count == kProtos);
  CHECK_FAILS(cbk_protonet_logits(t.net, nullptr, 3, &count), CBK_STATUS_INVALID_ARGUMENT, "out");
  CHECK_FAILS(cbk_protonet_render_prototype(t.net, 5, out.data(), out.size()), CBK_STATUS_OUT_OF_RANGE, "prototype 5");
  CHECK_FAILS(cbk_protonet_render_prototype(t.net, 0, out.data(), 10), CBK_STATUS_BUFFER_TOO_SMALL, "64 are needed");
  CHECK_FAILS(cbk_protonet_set_prototype_from_image(t.net, 9, img.data(), img.size()), CBK_STATUS_OUT_OF_RANGE, "9");
  CHECK_FAILS(cbk_protonet_interpolate(t.net, 0, 1, 7, 0.5f), CBK_STATUS_OUT_OF_RANGE, "7");
  CHECK_FAILS(cbk_protonet_interpolate(t.net, 0, 1, 2, std::numeric_limits<float>::infinity()),
              CBK_STATUS_NON_FINITE_VALUE, "finite");
  latent.assign(kLatent, 1.0f);
  latent[3] = std::numeric_limits<float>::infinity();
  CHECK_FAILS(cbk_protonet_set_prototype(t.net, 0, latent.data(), kLatent), CBK_STATUS_NON_FINITE_VALUE, "latent");
  CHECK_FAILS(cbk_protonet_decode(t.net, latent.data(), kLatent, out.data(), out.size()), CBK_STATUS_NON_FINITE_VALUE,
              "latent");
  CHECK_FAILS(cbk_protonet_decode(t.net, latent.data(), 7, out.data(), out.size()), CBK_STATUS_INVALID_ARGUMENT, "needs 8");
  const float w[kClasses] = {0.0f, std::nanf(""), 1.0f};
  CHECK_FAILS(cbk_protonet_set_class_weights(t.net, 0, w, kClasses), CBK_STATUS_NON_FINITE_VALUE, "class weight");
  CHECK_FAILS(cbk_protonet_set_class_weights(t.net, 0, w, 2), CBK_STATUS_INVALID_ARGUMENT, "needs 3");
  CHECK_FAILS(cbk_protonet_remove_prototype(nullptr, 0), CBK_STATUS_INVALID_ARGUMENT, "net");
  // A failed edit leaves the last classification readable; a successful one discards it.
  REQUIRE(cbk_protonet_logits(t.net, out.data(), kClasses, &count) == CBK_STATUS_OK);
  REQUIRE(cbk_protonet_remove_prototype(t.net, 0) == CBK_STATUS_OK);
  CHECK_FAILS(cbk_protonet_logits(t.net, out.data(), kClasses, &count), CBK_STATUS_WRONG_STATE, "edits discard it");
  CHECK(std::string(cbk_protonet_last_error(t.net)).find("edits discard it") != std::string::npos);
  cbk_protonet_free(nullptr);
  CHECK(std::string(cbk_protonet_last_error(nullptr)).empty());
}

TEST_CASE("protonet: wrong model kinds and the baseline file", "[api][protonet]") {
  cbk::model_ptr transformer = cbk_api_test::load_fixture();
  cbk_protonet* net = nullptr;
  CHECK_FAILS(cbk_protonet_create(transformer.get(), &net), CBK_STATUS_WRONG_MODEL_KIND, "protonet model");
  CHECK(net == nullptr);
  cbk_protonet_info info{};
  info.struct_size = sizeof(info);
  CHECK_FAILS(cbk_model_protonet_info(transformer.get(), &info), CBK_STATUS_WRONG_MODEL_KIND, "protonet model");
  CHECK_FAILS(cbk_protonet_create(nullptr, &net), CBK_STATUS_INVALID_ARGUMENT, "model");

  Net base("api_protonet_baseline");
  REQUIRE(cbk_model_protonet_info(base.model.get(), &info) == CBK_STATUS_OK);
  CHECK(info.prototypes == 0);
  CHECK(info.latent_dim == kLatent);
  const std::vector<float> img = image(4);
  REQUIRE(cbk_protonet_classify(base.net, img.data(), img.size(), nullptr) == CBK_STATUS_OK);
  size_t count = 99;
  float d[1];
  REQUIRE(cbk_protonet_distances(base.net, d, 1, &count) == CBK_STATUS_OK);
  CHECK(count == 0);
  std::vector<float> out(kImage);
  CHECK_FAILS(cbk_protonet_render_prototype(base.net, 0, out.data(), out.size()), CBK_STATUS_UNSUPPORTED, "baseline");
  CHECK_FAILS(cbk_protonet_reconstruct(base.net, img.data(), img.size(), out.data(), out.size()), CBK_STATUS_UNSUPPORTED,
              "decoder");
  CHECK_FAILS(cbk_protonet_remove_prototype(base.net, 0), CBK_STATUS_UNSUPPORTED, "baseline");
}
