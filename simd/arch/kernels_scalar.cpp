// The portable table: the search/linear bodies instantiated on ScalarArch (one float per "vector",
// separate multiply and add, i.e. exactly the reference in `separate` mode) and the reference
// elementwise kernels. Compiled without any ISA flags and without xsimd (CBK_SIMD_SCALAR_ONLY).
#include "simd/arch/arch_tables.hpp"
#include "simd/kernels/table.hpp"
#include "simd/ref/ops_ref.hpp"

namespace cbk::simd::detail {
namespace {

struct ScalarElementwise {
  using Arch = ScalarArch;
  static constexpr LayerNormFn f32_layernorm = &ref::layernorm;
  static constexpr SoftmaxFn f32_softmax = &ref::softmax;
  static constexpr UnaryFn f32_gelu_erf = &ref::gelu_erf;
  static constexpr UnaryFn f32_gelu_tanh = &ref::gelu_tanh;
  static constexpr UnaryFn f32_relu = &ref::relu;
  static constexpr UnaryFn f32_sigmoid = &ref::sigmoid;
  static constexpr BinaryFn f32_add = &ref::add;
  static constexpr RotaryFn f32_rotary_neox = &ref::rotary_neox;
  static constexpr AttentionDecodeFn f32_attention_decode = &ref::attention_decode;
  static constexpr AttentionPrefillFn f32_attention_prefill = &ref::attention_prefill;
};

}  // namespace

const Kernels& kernels_table_scalar() noexcept {
  static constexpr Kernels table =
      make_table<Entries<ScalarArch, ScalarElementwise>>(Isa::scalar);
  return table;
}

}  // namespace cbk::simd::detail
