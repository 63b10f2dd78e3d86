// The prototype-network engine, through the C API, against goldens written by the Python trainer
// (tools/python/export_protonet.py: torch in float64 on the shipped model's float32 weights) for a
// few Fashion-MNIST test images: logits within 1e-4 (absolute), identical nearest prototypes (the full ranking),
// distances, latents, reconstructions and every decoded prototype.
// CBK_PROTONET_MODEL / CBK_PROTONET_GOLDENS override the shipped model and the committed goldens.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "bindings/c/include/cbk.h"
#include "tests/common/json_reader.hpp"

namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// |got - want| <= tol * max(1, |want|): absolute near zero, relative for the large distances.
void require_close(const std::vector<float>& got, const cbk_test::Json& want, double tol, const char* what) {
  REQUIRE(got.size() == want.array.size());
  for (size_t i = 0; i < got.size(); ++i) {
    const double w = want.array[i].number;
    INFO(what << "[" << i << "]: got " << got[i] << " want " << w);
    REQUIRE(std::fabs(got[i] - w) <= tol * std::max(1.0, std::fabs(w)));
  }
}

// The bar for the logits: |got - want| <= tol, absolute.
void require_close_abs(const std::vector<float>& got, const cbk_test::Json& want, double tol, const char* what) {
  REQUIRE(got.size() == want.array.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO(what << "[" << i << "]: got " << got[i] << " want " << want.array[i].number);
    REQUIRE(std::fabs(got[i] - want.array[i].number) <= tol);
  }
}

struct Loaded {
  cbk_model* model = nullptr;
  cbk_protonet* net = nullptr;
  cbk_test::Json goldens;
  Loaded() {
    const std::string path = env_or("CBK_PROTONET_MODEL", CBK_PROTONET_MODEL_DEFAULT);
    REQUIRE(cbk_model_load_file(path.c_str(), nullptr, &model) == CBK_STATUS_OK);
    REQUIRE(cbk_protonet_create(model, &net) == CBK_STATUS_OK);
    goldens = cbk_test::parse_json(cbk_test::read_file(env_or("CBK_PROTONET_GOLDENS", CBK_PROTONET_GOLDENS_DEFAULT)));
  }
  ~Loaded() {
    cbk_protonet_free(net);
    cbk_model_free(model);
  }
};

}  // namespace

TEST_CASE("protonet parity: logits, distances, nearest prototypes, latents and reconstructions",
          "[parity][protonet]") {
  Loaded t;
  cbk_protonet_info info{};
  info.struct_size = sizeof(info);
  REQUIRE(cbk_model_protonet_info(t.model, &info) == CBK_STATUS_OK);
  const auto& images = t.goldens["images_u8"].array;
  REQUIRE(images.size() >= 8);
  for (size_t n = 0; n < images.size(); ++n) {
    INFO("test image " << n);
    std::vector<float> image;
    for (const auto& px : images[n].array) image.push_back(static_cast<float>(px.number / 255.0));
    int32_t predicted = -1;
    REQUIRE(cbk_protonet_classify(t.net, image.data(), image.size(), &predicted) == CBK_STATUS_OK);
    std::vector<float> logits(info.classes), dist(info.prototypes), latent(info.latent_dim);
    std::vector<int32_t> nearest(info.prototypes);
    size_t count = 0;
    REQUIRE(cbk_protonet_logits(t.net, logits.data(), logits.size(), &count) == CBK_STATUS_OK);
    REQUIRE(cbk_protonet_distances(t.net, dist.data(), dist.size(), &count) == CBK_STATUS_OK);
    REQUIRE(cbk_protonet_latent(t.net, latent.data(), latent.size(), &count) == CBK_STATUS_OK);
    REQUIRE(cbk_protonet_nearest(t.net, nearest.data(), nearest.size(), &count) == CBK_STATUS_OK);
    REQUIRE(count == info.prototypes);
    require_close_abs(logits, t.goldens["logits"].array[n], 1e-4, "logits");
    require_close(dist, t.goldens["distances"].array[n], 1e-5, "distances");
    require_close(latent, t.goldens["latents"].array[n], 1e-5, "latent");
    const auto& want_nearest = t.goldens["nearest"].array[n].array;
    for (size_t j = 0; j < count; ++j) REQUIRE(nearest[j] == want_nearest[j].as_int());
    std::vector<float> recon(image.size());
    REQUIRE(cbk_protonet_reconstruct(t.net, image.data(), image.size(), recon.data(), recon.size()) == CBK_STATUS_OK);
    require_close(recon, t.goldens["reconstructions"].array[n], 1e-5, "reconstruction");
  }
  const auto& protos = t.goldens["decoded_prototypes"].array;
  REQUIRE(protos.size() == info.prototypes);
  for (uint32_t j = 0; j < info.prototypes; ++j) {
    INFO("prototype " << j);
    std::vector<float> img(size_t{info.image_channels} * info.image_height * info.image_width);
    REQUIRE(cbk_protonet_render_prototype(t.net, j, img.data(), img.size()) == CBK_STATUS_OK);
    require_close(img, protos[j], 1e-5, "decoded prototype");
  }
}
