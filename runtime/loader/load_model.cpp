#include "runtime/loader/load_model.hpp"

#include <new>

#include "runtime/loader/file_bytes.hpp"
#include "runtime/loader/loader_internal.hpp"

namespace cbk {
namespace {

Error load_from_bytes(std::shared_ptr<const FileBytes> bytes, const LoadOptions& options,
                      std::shared_ptr<const Model>* out) {
  using namespace loader;
  ModelContents contents;
  if (Error e = verify_structure(bytes->data(), bytes->size(), &contents.file); !e.ok()) return e;
  contents.file.memory_mapped = bytes->memory_mapped();
  const std::uint8_t* data_section = bytes->data() + contents.file.data_offset;
  // The data CRC is checked in verify_data, after the header has been validated; a corrupted data
  // section still wins over the header's semantic errors, as when the CRC was checked first.
  auto data_first = [&](Error e) {
    if (!e.ok() && options.verify_data_checksum)
      if (Error crc = data_crc_error(data_section, contents.file); !crc.ok()) return crc;
    return e;
  };
  std::vector<TensorLocation> locations;
  if (Error e = convert_header(bytes->data(), &contents, &locations); !e.ok()) return data_first(e);
  const bool transformer = contents.kind == ModelKind::transformer;
  if (transformer)
    if (Error e = validate_architecture(contents.architecture); !e.ok()) return data_first(e);
  if (Error e = validate_tensor_locations(locations, contents.file.data_size); !e.ok()) return data_first(e);
  if (transformer) {
    if (Error e = validate_base_tensors(contents); !e.ok()) return data_first(e);
    if (Error e = validate_codebooks(contents); !e.ok()) return data_first(e);
  } else if (Error e = contents.kind == ModelKind::dkvb ? validate_dkvb(contents) : validate_protonet(contents);
             !e.ok()) {
    return data_first(e);
  }
  bind_tensor_data(locations, data_section, contents.file.data_offset);
  if (Error e = verify_data(contents, data_section, options.verify_data_checksum, &contents.file); !e.ok()) return e;
  if (!transformer) {  // a DKVB model or a prototype network: its tensors are listed for the tensor table
    if (contents.kind == ModelKind::dkvb)
      if (Error e = validate_dkvb_data(contents); !e.ok()) return e;
    for (const TensorView* t : contents.kind == ModelKind::dkvb ? dkvb_tensors(contents) : protonet_tensors(contents))
      contents.tensors.push_back(*t);
    *out = std::make_shared<const Model>(std::move(bytes), std::move(contents));
    return Error();
  }
  if (Error e = validate_annotations(contents); !e.ok()) return e;
  if (Error e = validate_tokenizer(contents); !e.ok()) return e;
  if (Error e = validate_generation(contents.generation); !e.ok()) return e;
  if (contents.architecture.layer_attention.empty())
    contents.architecture.layer_attention.assign(contents.architecture.n_layers, AttentionKind::global);
  *out = std::make_shared<const Model>(std::move(bytes), std::move(contents));
  return Error();
}

// Loading allocates (strings, vectors); a hostile file must not turn an allocation failure into
// a crash, so bad_alloc becomes a status here, at the loader's boundary.
template <class F>
Error guarded(F&& f) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return Error(Status::out_of_memory, "out of memory while loading the model");
  } catch (...) {
    return Error(Status::internal, "unexpected exception while loading the model");
  }
}

}  // namespace

Error load_model_file(const std::string& path, const LoadOptions& options, std::shared_ptr<const Model>* out) {
  if (!out) return Error(Status::invalid_argument, "out must not be NULL");
  out->reset();
  return guarded([&] {
    std::shared_ptr<const FileBytes> bytes;
    if (Error e = FileBytes::open_file(path, options.allow_mmap, &bytes); !e.ok()) return e;
    Error e = load_from_bytes(std::move(bytes), options, out);
    if (!e.ok()) e.message = path + ": " + e.message;
    return e;
  });
}

Error load_model_memory(const void* data, std::size_t size, BufferMode mode, const LoadOptions& options,
                        std::shared_ptr<const Model>* out) {
  if (!out) return Error(Status::invalid_argument, "out must not be NULL");
  out->reset();
  return guarded([&] {
    std::shared_ptr<const FileBytes> bytes;
    Error e = mode == BufferMode::borrow ? FileBytes::borrow(data, size, &bytes) : FileBytes::copy(data, size, &bytes);
    if (!e.ok()) return e;
    return load_from_bytes(std::move(bytes), options, out);
  });
}

}  // namespace cbk
