/* cbk.h — the stable C API of codebook.cpp (C99).
 *
 * codebook.cpp runs *codebook models*: transformers whose hidden states pass through
 * vector-quantization bottlenecks ("codebooks"). Every token selects k code ids per codebook group;
 * this API reads those ids (and their similarity scores) and steers them.
 *
 * Usage (error handling shortened to CHECK; every call below returns a cbk_status):
 *
 *   #define CHECK(x) do { cbk_status st_ = (x); if (st_ != CBK_STATUS_OK) {               \
 *       fprintf(stderr, "%s: %s\n", cbk_status_string(st_), cbk_last_error_message());   \
 *       return 1; } } while (0)
 *
 *   if (cbk_check_api_version(CBK_API_VERSION) != CBK_STATUS_OK) return 1;
 *   cbk_model* model = NULL;
 *   cbk_model_params mp = cbk_model_default_params();
 *   CHECK(cbk_model_load_file("models/tokfsm.cbk", &mp, &model));
 *   int32_t prompt[64]; size_t n_prompt = 0;
 *   CHECK(cbk_tokenize(model, "0123", 4, 0, prompt, 64, &n_prompt));
 *   cbk_session_params sp = cbk_session_default_params();
 *   sp.trace = 1;                                        // record the codes of every token
 *   cbk_session* s = NULL;
 *   CHECK(cbk_session_create(model, &sp, &s));
 *   CHECK(cbk_session_prefill(s, prompt, n_prompt));
 *   cbk_sampling_params greedy = cbk_sampling_default_params();
 *   greedy.temperature = 0.0f;
 *   for (int i = 0; i < 8; ++i) {
 *     int32_t next;
 *     CHECK(cbk_session_sample(s, &greedy, &next));
 *     CHECK(cbk_session_decode(s, next));
 *   }
 *   const int32_t* ids; const float* scores; size_t n_slots;   // codes of token 0, codebook 0
 *   CHECK(cbk_session_codes(s, 0, 0, 0, &ids, &scores, &n_slots));
 *   cbk_session_free(s);                                 // free(NULL) is always a no-op
 *   cbk_model_free(model);
 *
 * Conventions, for every function unless its comment says otherwise:
 *  - Fallible calls return cbk_status (CBK_STATUS_OK = 0) and write results through *_out style
 *    pointers. On failure nothing is written to the outputs (except the sizes of the two-call buffer
 *    pattern below) and the handle is unchanged.
 *  - Error details: every failing call stores a message naming the offending argument or value in
 *    a thread-local slot read by cbk_last_error_message(); calls on a session also keep it in the
 *    session (cbk_session_last_error()). No call aborts, exits, or lets a C++ exception escape.
 *  - Thread-safety: a cbk_model is immutable once loaded and may be used from any number of
 *    threads at once. A cbk_session must be used by one thread at a time (different sessions may
 *    run concurrently, also on one model).
 *  - Strings are NUL-terminated UTF-8. Returned `const char*` and array pointers are owned by the
 *    library: they stay valid as long as the documented owner (model or session) and must not be
 *    freed.
 *  - Two-call buffer pattern (tokenize, detokenize): pass a NULL buffer with capacity 0 to learn
 *    the size; a too-small buffer returns CBK_STATUS_BUFFER_TOO_SMALL with the needed size
 *    written to the size output.
 *  - Params structs start with `struct_size`; always obtain them from cbk_*_default_params() and
 *    then change fields, so that a program built against this header keeps working with later
 *    library versions (which only append fields). Output structs filled by the library (e.g.
 *    cbk_architecture) also start with struct_size: set it to sizeof(the struct) before the call.
 */
#ifndef CBK_H
#define CBK_H

#include <stddef.h>
#include <stdint.h>

/* ---- Visibility ---------------------------------------------------------------------------- */
/* Define CBK_SHARED when linking against the shared library (needed on Windows only). The library
 * itself is built with CBK_BUILD. */
#if defined(_WIN32) && defined(CBK_SHARED)
#  if defined(CBK_BUILD)
#    define CBK_API __declspec(dllexport)
#  else
#    define CBK_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) || defined(__clang__)
#  define CBK_API __attribute__((visibility("default")))
#else
#  define CBK_API
#endif

/* Enums are int-sized in C. C++ sees them with an explicit `int` base, so any int a C caller passes
 * (e.g. an unknown value from a newer header) is a valid value there and is refused with a status
 * instead of being undefined behaviour. */
#ifdef __cplusplus
#  define CBK_ENUM_BASE : int
#else
#  define CBK_ENUM_BASE
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Versions --------------------------------------------------------------------------------
 * Three versions, checked separately:
 *  - the library version (these macros at compile time, cbk_version() at run time);
 *  - the API version: CBK_API_VERSION grows whenever functions or struct fields are appended;
 *    a program checks at start-up that the library it runs with is at least as new as its header;
 *  - the model file's schema version, per model (cbk_model_schema_version). */
#define CBK_VERSION_MAJOR 0
#define CBK_VERSION_MINOR 1
#define CBK_VERSION_PATCH 0
#define CBK_VERSION_NUMBER (CBK_VERSION_MAJOR * 10000 + CBK_VERSION_MINOR * 100 + CBK_VERSION_PATCH)
#define CBK_VERSION_STRING "0.1.0"
#define CBK_API_VERSION 6  /* 2: file facts, parameter counts, tensors, generation defaults,
                              prompt logits (cbk_session_prefill_logits);
                              3: tensor data (cbk_model_find_tensor, cbk_model_tensor_data),
                              activation captures (cbk_session_set_capture, ...);
                              4: padding ids detokenize to nothing (cbk_detokenize_ex,
                              CBK_DETOKENIZE_STRICT), per-layer attention scale
                              (cbk_model_layer_attention_scale), session memory cap and figures
                              (cbk_session_params.max_memory_bytes, cbk_session_memory_estimate,
                              cbk_session_memory), code vectors and their direct logit effect
                              (cbk_model_code_vector, cbk_model_code_logits);
                              5: worker threads per session (cbk_session_params.n_threads),
                              exact quantized codebooks (cbk_model_codebook_exact);
                              6: model kinds (cbk_model_kind, CBK_STATUS_WRONG_MODEL_KIND,
                              CBK_STATUS_UNSUPPORTED_MODEL_KIND), DKVB classifiers (cbk_dkvb_*),
                              prototype networks (cbk_protonet_*) */

/* The library's version as "MAJOR.MINOR.PATCH" (static storage). */
CBK_API const char* cbk_version(void);
/* The library's version as MAJOR * 10000 + MINOR * 100 + PATCH. */
CBK_API unsigned cbk_version_number(void);
/* The library's API version (CBK_API_VERSION it was built with). */
CBK_API unsigned cbk_api_version(void);
/* The newest model-file schema version this library reads (files with a newer major are refused
 * with CBK_STATUS_UNSUPPORTED_VERSION). Either pointer may be NULL. */
CBK_API void cbk_supported_schema_version(uint32_t* major, uint32_t* minor);

/* ---- Status ----------------------------------------------------------------------------------
 * Values are pinned and append-only: a value's meaning never changes. They equal the C++
 * runtime's cbk::Status (runtime/status.hpp). */
typedef enum cbk_status CBK_ENUM_BASE {
  CBK_STATUS_OK = 0,
  CBK_STATUS_INVALID_ARGUMENT = 1,     /* wrong API use: NULL pointer, bad option value, ... */
  CBK_STATUS_OUT_OF_MEMORY = 2,        /* an allocation failed; nothing the caller owned was lost */
  CBK_STATUS_IO_ERROR = 3,             /* the file could not be opened, mapped or read */
  CBK_STATUS_BAD_IDENTIFIER = 4,       /* not a .cbk file */
  CBK_STATUS_UNSUPPORTED_VERSION = 5,  /* schema major version newer than this library */
  CBK_STATUS_TRUNCATED = 6,            /* the file ends early */
  CBK_STATUS_VERIFY_FAILED = 7,        /* the header structure is invalid */
  CBK_STATUS_CHECKSUM_MISMATCH = 8,    /* header or data bytes do not match their CRC-32 */
  CBK_STATUS_BAD_DATA_SECTION = 9,     /* data section placement/size inconsistent */
  CBK_STATUS_TENSOR_OUT_OF_RANGE = 10, /* a tensor lies outside the data section */
  CBK_STATUS_TENSOR_MISALIGNED = 11,   /* a tensor (or a borrowed buffer) is misaligned */
  CBK_STATUS_SHAPE_OVERFLOW = 12,      /* a shape product overflows 64 bits */
  CBK_STATUS_SHAPE_MISMATCH = 13,      /* a tensor's shape disagrees with the architecture */
  CBK_STATUS_BAD_DTYPE = 14,           /* a dtype not allowed for this tensor */
  CBK_STATUS_MISSING_TENSOR = 15,      /* a tensor the architecture needs is absent */
  CBK_STATUS_DUPLICATE_TENSOR = 16,    /* two tensors share a name */
  CBK_STATUS_BAD_ARCHITECTURE = 17,    /* inconsistent or unsupported architecture */
  CBK_STATUS_BAD_CODEBOOK = 18,        /* invalid codebook parameters */
  CBK_STATUS_BAD_TOKENIZER = 19,       /* invalid tokenizer tables */
  CBK_STATUS_BAD_ANNOTATION = 20,      /* an annotation names a code that does not exist */
  CBK_STATUS_NON_FINITE_VALUE = 21,    /* NaN or infinity where only finite values are allowed */
  CBK_STATUS_OUT_OF_RANGE = 22,        /* an index (layer, group, code, position, token) */
  CBK_STATUS_CONTEXT_FULL = 23,        /* the session's context window is exhausted */
  CBK_STATUS_WRONG_STATE = 24,         /* a call in the wrong order (e.g. decode before prefill) */
  CBK_STATUS_CANCELLED = 25,           /* the cancel callback stopped the work */
  CBK_STATUS_UNSUPPORTED = 26,         /* a valid request this build does not implement */
  CBK_STATUS_INTERNAL = 27,            /* a bug in codebook.cpp; please report it */
  CBK_STATUS_BUFFER_TOO_SMALL = 28,    /* an output buffer is too small; the size was reported */
  /* ---- API version 6 ---- */
  CBK_STATUS_WRONG_MODEL_KIND = 29,    /* a function of one model kind (see cbk_kind) called on a model
                                          of another, e.g. cbk_session_create on a DKVB model */
  CBK_STATUS_UNSUPPORTED_MODEL_KIND = 30  /* the file holds a model kind this library does not run */
} cbk_status;

/* Pass CBK_API_VERSION. CBK_STATUS_OK when the library provides every function and struct field
 * of that API version; CBK_STATUS_UNSUPPORTED (with a message naming both versions) when the
 * library is older than the header the program was compiled with. */
CBK_API cbk_status cbk_check_api_version(unsigned header_api_version);

/* Stable lower-case name of a status ("out_of_range"); "unknown" for values this library does not
 * know. Static storage; never NULL. */
CBK_API const char* cbk_status_string(int status);

/* The message of the last failing call made on this thread (any function, any handle), or "" if
 * none has failed yet. Valid until the next failing call on this thread. Never NULL. */
CBK_API const char* cbk_last_error_message(void);

/* ---- Logging ---------------------------------------------------------------------------------
 * Optional. Without a callback nothing is printed. The callback may be called from any thread that
 * uses the library, so it must be thread-safe; `message` is valid only during the call. */
typedef enum cbk_log_level CBK_ENUM_BASE {
  CBK_LOG_DEBUG = 0,
  CBK_LOG_INFO = 1,
  CBK_LOG_WARN = 2,
  CBK_LOG_ERROR = 3
} cbk_log_level;
typedef void (*cbk_log_callback)(cbk_log_level level, const char* message, void* user_data);
/* Installs (or with NULL removes) the process-wide log callback. Every failing call logs its error
 * message at CBK_LOG_ERROR; loading logs a summary at CBK_LOG_INFO. Not to be called while other
 * threads are inside the library. */
CBK_API void cbk_set_log_callback(cbk_log_callback callback, void* user_data);

/* ---- Opaque handles ------------------------------------------------------------------------ */
/* A loaded and prepared model: immutable, shareable across threads. */
typedef struct cbk_model cbk_model;
/* One conversation with a model: KV cache, code trace, steering, RNG. One thread at a time. */
typedef struct cbk_session cbk_session;

/* ---- Loading a model ------------------------------------------------------------------------
 * Every load verifies the file completely (structure, checksums, every index and shape) before
 * anything reads tensor data; untrusted bytes are safe to load. Memory: besides the file itself
 * (mapped, or one copy), loading allocates in proportion to the file's header, never to sizes the
 * header merely declares. Every count and size (tensor shapes and names, vocabulary, merges,
 * annotations and their contexts, metadata, layers) is checked before anything is allocated for
 * it: the library's copy of the header may take at most 8 x the header's bytes + 1 MiB (a header
 * that would expand further, e.g. one string shared by a million references, is refused with
 * VERIFY_FAILED: "... may expand to ..."), and later tables (tokenizer, per-layer views) are
 * proportional to that copy. Sessions are where large allocations happen (the KV cache grows with
 * max_context): see cbk_session_params.max_memory_bytes. */
typedef struct cbk_model_params {
  size_t struct_size;     /* sizeof(cbk_model_params); set by cbk_model_default_params() */
  int use_mmap;           /* file loads: nonzero maps the file read-only (default 1); 0 reads it */
  int verify_checksum;    /* nonzero CRCs the whole data section (default 1) */
} cbk_model_params;

CBK_API cbk_model_params cbk_model_default_params(void);

/* Loads and prepares the model at `path`. `params` may be NULL (defaults).
 * On success *model_out owns a new model; free it with cbk_model_free().
 * Errors: INVALID_ARGUMENT (NULL path/model_out, bad struct_size), IO_ERROR, and every model-file
 * status (BAD_IDENTIFIER ... BAD_ANNOTATION) naming the field and value at fault. */
CBK_API cbk_status cbk_model_load_file(const char* path, const cbk_model_params* params,
                                       cbk_model** model_out);

typedef enum cbk_memory_mode CBK_ENUM_BASE {
  /* Zero-copy: the model reads `data` in place. `data` must be 64-byte aligned (else
   * INVALID_ARGUMENT), must not change and must outlive the model AND every session created from
   * it. */
  CBK_MEMORY_BORROW = 0,
  /* The library keeps its own aligned copy; `data` may be freed when the call returns. */
  CBK_MEMORY_COPY = 1
} cbk_memory_mode;

/* Loads a model from the `size` bytes at `data`; see cbk_memory_mode for ownership. Errors as for
 * cbk_model_load_file (INVALID_ARGUMENT also for NULL data, size 0 or an unknown mode). */
CBK_API cbk_status cbk_model_load_memory(const void* data, size_t size, cbk_memory_mode mode,
                                         const cbk_model_params* params, cbk_model** model_out);

/* Releases the caller's reference. Sessions created from the model keep the model's data alive,
 * so freeing the model before its sessions is allowed. NULL is a no-op. */
CBK_API void cbk_model_free(cbk_model* model);

/* ---- Model introspection --------------------------------------------------------------------
 * All pointers returned here are owned by the model and valid until it and every session created
 * from it are freed. */

/* ---- Model kinds (API version 6) ------------------------------------------------------------
 * A .cbk file holds one model family (schema 1.3). Loading, freeing, the schema version, metadata,
 * file facts and the tensor tables (for a DKVB model: its encoder, projection, keys, values,
 * used-pair mask and decoder tensors; for a prototype network: its encoder, prototypes, class
 * weights, decoder and linear-head tensors) work for every kind. Everything else before the DKVB
 * and prototype-network sections at the end of this header (architecture, codebooks,
 * annotations, tokenizer, parameter counts, layer attention, code vectors, generation defaults,
 * sessions, captures, steering) is for
 * transformer (codebook-features) models: on a model of another kind those functions return
 * CBK_STATUS_WRONG_MODEL_KIND, and the counting ones (cbk_model_codebook_count,
 * cbk_model_annotation_count) return 0. The cbk_dkvb_* functions need a DKVB model, the
 * cbk_protonet_* ones (and cbk_model_protonet_info) a prototype network. A file whose
 * kind this library does not run is refused at load with CBK_STATUS_UNSUPPORTED_MODEL_KIND. */
typedef enum cbk_kind CBK_ENUM_BASE {
  CBK_KIND_TRANSFORMER = 0,  /* a transformer with codebooks (sessions, tokenizer, steering) */
  CBK_KIND_DKVB = 1,         /* a Discrete Key-Value Bottleneck classifier (cbk_dkvb_*) */
  CBK_KIND_PROTONET = 2      /* a prototype network (cbk_protonet_*) */
} cbk_kind;

/* "transformer", "dkvb", "protonet"; "unknown" for another value. Static storage. */
CBK_API const char* cbk_kind_name(cbk_kind kind);
/* The kind of a loaded model. Errors: INVALID_ARGUMENT (NULL model or kind_out). */
CBK_API cbk_status cbk_model_kind(const cbk_model* model, cbk_kind* kind_out);

/* Schema version of the loaded file. Errors: INVALID_ARGUMENT for a NULL argument. */
CBK_API cbk_status cbk_model_schema_version(const cbk_model* model, uint32_t* major, uint32_t* minor);

typedef struct cbk_architecture {
  size_t struct_size;      /* caller sets sizeof(cbk_architecture) */
  const char* family;      /* "gpt_neox", "gpt2", "gpt_neo" */
  uint32_t vocab_size;
  uint32_t d_model;
  uint32_t n_layers;
  uint32_t n_heads;
  uint32_t head_dim;
  uint32_t d_mlp;
  uint32_t max_positions;  /* the largest context a session may have */
  uint32_t rotary_dims;    /* 0 for learned positions */
  uint32_t local_window;   /* 0 when every layer attends globally */
  float norm_eps;
  float rotary_base;
  const char* activation;  /* "gelu", "gelu_new", "relu" */
  const char* positions;   /* "learned", "rotary" */
  int parallel_residual;
  int tied_embeddings;
} cbk_architecture;

/* Fills *out (whose struct_size the caller set). Errors: INVALID_ARGUMENT (NULL, struct_size
 * smaller than version 1's). */
CBK_API cbk_status cbk_model_architecture(const cbk_model* model, cbk_architecture* out);

/* Codebook sites, equal to the file schema's values. */
typedef enum cbk_site CBK_ENUM_BASE {
  CBK_SITE_ATTN_PREPROJ = 0,
  CBK_SITE_ATTN = 1,
  CBK_SITE_MLP = 2,
  CBK_SITE_MLP_MID = 3,
  CBK_SITE_QKV = 4,
  CBK_SITE_ATTN_PLUS_MLP = 5,
  CBK_SITE_TRANSFORMER_BLOCK = 6
} cbk_site;

/* "attn_preproj", "mlp", ...; "unknown" for a bad value. Static storage. */
CBK_API const char* cbk_site_name(cbk_site site);
/* Parses a site name. Errors: INVALID_ARGUMENT for NULL or an unknown name. */
CBK_API cbk_status cbk_site_from_name(const char* name, cbk_site* site_out);

typedef enum cbk_metric CBK_ENUM_BASE {
  CBK_METRIC_INNER_PRODUCT = 0,
  CBK_METRIC_EUCLIDEAN = 1
} cbk_metric;

typedef struct cbk_codebook_info {
  size_t struct_size;  /* caller sets sizeof(cbk_codebook_info) */
  uint32_t layer;
  cbk_site site;
  uint32_t groups;     /* groups (e.g. attention heads); each selects its own codes */
  uint32_t codes;      /* codes per group */
  uint32_t dim;        /* dimension of one code; groups * dim = the site's width */
  uint32_t k;          /* codes selected per token and group (this library runs k <= 128;
                          a model with a larger k is refused with CBK_STATUS_UNSUPPORTED) */
  cbk_metric metric;
} cbk_codebook_info;

/* Number of codebooks (0 for NULL). Codebooks are indexed 0..count-1 in file order. */
CBK_API size_t cbk_model_codebook_count(const cbk_model* model);
/* Errors: INVALID_ARGUMENT (NULL, bad struct_size), OUT_OF_RANGE (index >= count). */
CBK_API cbk_status cbk_model_codebook_info(const cbk_model* model, size_t index, cbk_codebook_info* out);
/* Index of the codebook at (layer, site). Errors: OUT_OF_RANGE when there is none. */
CBK_API cbk_status cbk_model_find_codebook(const cbk_model* model, uint32_t layer, cbk_site site,
                                           size_t* index_out);

/* A human annotation of one code (from the model file). */
typedef struct cbk_code_annotation {
  size_t struct_size;       /* caller sets sizeof(cbk_code_annotation) */
  size_t codebook;
  uint32_t group;
  uint32_t code;
  const char* label;        /* short label, possibly "" */
  const char* description;  /* possibly "" */
  float frequency;          /* fraction of tokens on which the code fires (0 when unknown) */
  size_t n_contexts;        /* top contexts, read with cbk_model_annotation_context() */
} cbk_code_annotation;

/* Number of annotations in the file (0 for NULL). */
CBK_API size_t cbk_model_annotation_count(const cbk_model* model);
/* Annotation number `index`. Errors: INVALID_ARGUMENT, OUT_OF_RANGE (index >= count). */
CBK_API cbk_status cbk_model_annotation(const cbk_model* model, size_t index, cbk_code_annotation* out);
/* Finds the annotation of (codebook, group, code) and writes its index. Errors: OUT_OF_RANGE when
 * codebook/group/code do not exist (the message says which), or when that code has no annotation
 * (then *index_out is SIZE_MAX). */
CBK_API cbk_status cbk_model_find_annotation(const cbk_model* model, size_t codebook, uint32_t group,
                                             uint32_t code, size_t* index_out);

/* One top-activating context of an annotated code: token ids, with [highlight_start,
 * highlight_end) the tokens where the code fired. */
typedef struct cbk_code_context {
  size_t struct_size;       /* caller sets sizeof(cbk_code_context) */
  const int32_t* tokens;
  size_t n_tokens;
  uint32_t highlight_start;
  uint32_t highlight_end;
  float score;
} cbk_code_context;

/* Errors: INVALID_ARGUMENT, OUT_OF_RANGE (annotation or context index). */
CBK_API cbk_status cbk_model_annotation_context(const cbk_model* model, size_t annotation,
                                                size_t context, cbk_code_context* out);

typedef struct cbk_tokenizer_info {
  size_t struct_size;   /* caller sets sizeof(cbk_tokenizer_info) */
  int has_tokenizer;    /* 0: the file has none; tokenize/detokenize return UNSUPPORTED */
  const char* kind;     /* "byte_bpe", "vocab", or "" without a tokenizer */
  uint32_t vocab_size;  /* tokens the tokenizer knows (may be below the model's vocab_size) */
  int32_t bos;          /* -1 when absent */
  int32_t eos;
  int32_t pad;
  int add_bos;          /* the model expects BOS first (cbk_tokenize adds it with CBK_TOKENIZE_ADD_BOS) */
} cbk_tokenizer_info;

CBK_API cbk_status cbk_model_tokenizer_info(const cbk_model* model, cbk_tokenizer_info* out);

/* Metadata strings: the keys "name", "description", "license", "source_checkpoint", "converter",
 * "converter_version" always exist (possibly ""), followed by the file's extra keys. */
CBK_API size_t cbk_model_metadata_count(const cbk_model* model);
/* Key and value of entry `index`. Errors: INVALID_ARGUMENT, OUT_OF_RANGE. */
CBK_API cbk_status cbk_model_metadata_at(const cbk_model* model, size_t index, const char** key_out,
                                         const char** value_out);
/* The value of `key`. Errors: INVALID_ARGUMENT (NULL, or no such key — the message names it). */
CBK_API cbk_status cbk_model_metadata(const cbk_model* model, const char* key, const char** value_out);

/* ---- File facts (API version 2) --------------------------------------------------------------
 * What `cbk info` reports about the file itself. Output structs: the caller sets struct_size. */
typedef struct cbk_file_info {
  size_t struct_size;          /* caller sets sizeof(cbk_file_info) */
  uint64_t file_size;          /* bytes of the file (or memory buffer) */
  uint32_t schema_major;
  uint32_t schema_minor;
  uint64_t header_size;        /* bytes of the FlatBuffers header */
  uint64_t data_offset;        /* absolute offset of the tensor data section */
  uint64_t data_size;
  uint32_t header_crc32;
  uint32_t data_crc32;         /* as stored in the file */
  int data_crc_verified;       /* 0 when loaded with verify_checksum = 0 */
  int memory_mapped;           /* nonzero when the model reads a read-only file mapping */
} cbk_file_info;

/* Errors: INVALID_ARGUMENT (NULL, struct_size smaller than this struct). */
CBK_API cbk_status cbk_model_file_info(const cbk_model* model, cbk_file_info* out);

/* Parameters (elements, not bytes) by kind; total is their sum. */
typedef struct cbk_parameter_counts {
  size_t struct_size;   /* caller sets sizeof(cbk_parameter_counts) */
  uint64_t embeddings;  /* token and position embeddings */
  uint64_t attention;   /* QKV and output projections with biases */
  uint64_t mlp;         /* up and down projections with biases */
  uint64_t norms;       /* LayerNorm weights and biases of the base model */
  uint64_t lm_head;     /* 0 when tied to the token embedding */
  uint64_t codebooks;   /* code vectors plus the codebooks' own LayerNorms */
  uint64_t total;
} cbk_parameter_counts;

/* Errors: INVALID_ARGUMENT (NULL, struct_size). */
CBK_API cbk_status cbk_model_parameter_counts(const cbk_model* model, cbk_parameter_counts* out);

/* Attention of one layer: *local_out is nonzero when it attends within the local window
 * (cbk_architecture.local_window) only; *scaled_out (model-wide) is nonzero when scores are scaled
 * by 1/sqrt(head_dim). Either output may be NULL. Errors: INVALID_ARGUMENT, OUT_OF_RANGE (layer). */
CBK_API cbk_status cbk_model_layer_attention(const cbk_model* model, uint32_t layer, int* local_out,
                                             int* scaled_out);

/* The factor layer `layer` multiplies its attention scores by before the softmax: 1/sqrt(head_dim)
 * when scaled (see cbk_model_layer_attention), else 1, and further divided by (layer + 1) when
 * *inverse_layer_out is nonzero (a GPT-2 model converted with scale_attn_by_inverse_layer_idx; a
 * schema-1.1 file). Either output may be NULL. (API version 4.) Errors: INVALID_ARGUMENT (NULL
 * model), OUT_OF_RANGE (layer). */
CBK_API cbk_status cbk_model_layer_attention_scale(const cbk_model* model, uint32_t layer, float* scale_out,
                                                   int* inverse_layer_out);

/* How codebook `index` is stored: *dtype_out "f32"/"f16"/"bf16"/"int8" (static storage), the dtype
 * of the table the search scans, and *bytes_out the bytes it occupies in the file (codes, int8 row
 * scales, f32 exact codes, its LayerNorms). Either output may be NULL. Errors: INVALID_ARGUMENT,
 * OUT_OF_RANGE (index). */
CBK_API cbk_status cbk_model_codebook_storage(const cbk_model* model, size_t index, const char** dtype_out,
                                              uint64_t* bytes_out);

/* (API version 5.) *exact_out = 1 when codebook `index` is an exact quantized codebook (an f16/int8
 * table stored with its f32 originals, schema 1.2; convert.py --codebook-dtype f16|int8): the
 * search scans the quantized table and rescores in f32, so code ids, scores and outputs equal those
 * of the f32 table, and the gather and cbk_model_code_vector use the f32 codes. 0 for an f32
 * codebook and for a lossy quantized one (ranked and gathered as dequantized). Errors:
 * INVALID_ARGUMENT (NULL model or exact_out), OUT_OF_RANGE (index). */
CBK_API cbk_status cbk_model_codebook_exact(const cbk_model* model, size_t index, int* exact_out);

/* ---- Code vectors and their direct logit effect (API version 4) -----------------------------
 * What one code writes, read from the model alone (no session). Thread-safe. */

/* The vector of `code` in `group` of codebook `codebook`: exactly the floats the engine adds into
 * the mean that replaces the group's slice (f16 and int8 tables dequantized as the engine's gather
 * does: an int8 code is its row scale times each entry). Two-call pattern: *dim_out receives the
 * codebook's dim; with a smaller `capacity` nothing is written and BUFFER_TOO_SMALL is returned
 * (`out` may be NULL when capacity is 0). (API version 4.) Errors: INVALID_ARGUMENT (NULL
 * model/dim_out/out), OUT_OF_RANGE (codebook, group or code), BUFFER_TOO_SMALL. */
CBK_API cbk_status cbk_model_code_vector(const cbk_model* model, size_t codebook, uint32_t group, uint32_t code,
                                         float* out, size_t capacity, size_t* dim_out);

/* The code's direct effect on the next-token logits, vocab_size floats:
 *   logits = U * LN_f(r)
 * where r (d_model floats) is the code's contribution to the residual stream on its own:
 *  - attn, mlp, attn_plus_mlp, transformer_block: s, the site vector with the code vector in its
 *    group's slice [group * dim, (group + 1) * dim) and zeros elsewhere;
 *  - attn_preproj: W_O s, the layer's attention output projection applied to that site vector
 *    (d_model wide: the code in its head's slice), without the projection's bias;
 *  - mlp_mid: W_down s, the layer's MLP down projection applied to the site vector (d_mlp wide),
 *    without its bias;
 * LN_f is the final LayerNorm applied to r alone as if r were the whole residual stream: mean and
 * biased variance over r's d_model entries, eps = cbk_architecture.norm_eps, then the learned gain
 * and bias (so a zero r gives U * bias). U is the unembedding (lm_head, or the token embedding when
 * tied), no bias. Every product uses the engine's kernels for the stored weight dtype, so the
 * values are those a forward pass would compute for that residual vector. The tokens a code
 * "promotes" are the largest entries. Two-call pattern as cbk_model_code_vector, with *n_out =
 * vocab_size. (API version 4.) Errors: INVALID_ARGUMENT (NULL model/n_out/logits), OUT_OF_RANGE
 * (codebook, group or code), UNSUPPORTED (a qkv codebook: its codes feed attention, not the
 * residual stream), BUFFER_TOO_SMALL, OUT_OF_MEMORY. */
CBK_API cbk_status cbk_model_code_logits(const cbk_model* model, size_t codebook, uint32_t group, uint32_t code,
                                         float* logits, size_t capacity, size_t* n_out);

/* Tensor tables: the architecture's tensors (for a DKVB model: its tensors, encoder first), and the
 * file's extra (unused by the engine) tensors. A DKVB model's used-pair mask has dtype "u8". */
typedef enum cbk_tensor_list CBK_ENUM_BASE {
  CBK_TENSORS_MODEL = 0,
  CBK_TENSORS_EXTRA = 1
} cbk_tensor_list;

typedef struct cbk_tensor_info {
  size_t struct_size;      /* caller sets sizeof(cbk_tensor_info) */
  const char* name;        /* owned by the model */
  const char* dtype;       /* "f32", "f16", "bf16", "int8" (static storage) */
  const uint64_t* shape;   /* [n_dims], owned by the model */
  size_t n_dims;
  uint64_t file_offset;    /* absolute offset of the data in the file */
  uint64_t bytes;
  uint64_t elements;       /* product of the shape */
} cbk_tensor_info;

/* Number of tensors in a list (0 for NULL or an unknown list). */
CBK_API size_t cbk_model_tensor_count(const cbk_model* model, cbk_tensor_list list);
/* Errors: INVALID_ARGUMENT (NULL, struct_size, unknown list), OUT_OF_RANGE (index >= count). */
CBK_API cbk_status cbk_model_tensor_info(const cbk_model* model, cbk_tensor_list list, size_t index,
                                         cbk_tensor_info* out);
/* Index of the tensor called `name` in a list (e.g. an extra such as "fsm.transitions").
 * (API version 3.) Errors: INVALID_ARGUMENT (NULL, unknown list), OUT_OF_RANGE (no such tensor). */
CBK_API cbk_status cbk_model_find_tensor(const cbk_model* model, cbk_tensor_list list, const char* name,
                                         size_t* index_out);
/* The stored bytes of a tensor: *data_out points at cbk_tensor_info.bytes bytes, row-major in the
 * file's little-endian layout and aligned for the dtype (an "f32" tensor reads as `const float*`).
 * *scales_out (may be NULL) receives the per-row f32 scales of an "int8" tensor, NULL otherwise.
 * Read-only; owned by the model and valid until cbk_model_free (sessions keep it alive too).
 * (API version 3.) Errors: INVALID_ARGUMENT (NULL model/data_out, unknown list), OUT_OF_RANGE. */
CBK_API cbk_status cbk_model_tensor_data(const cbk_model* model, cbk_tensor_list list, size_t index,
                                         const void** data_out, const float** scales_out);

/* The file's default sampling settings (what a frontend uses when the user gives none). */
typedef struct cbk_generation_defaults {
  size_t struct_size;       /* caller sets sizeof(cbk_generation_defaults) */
  uint32_t max_new_tokens;
  float temperature;
  uint32_t top_k;
  float top_p;
  uint64_t seed;
} cbk_generation_defaults;

/* Errors: INVALID_ARGUMENT (NULL, struct_size). */
CBK_API cbk_status cbk_model_generation_defaults(const cbk_model* model, cbk_generation_defaults* out);

/* Sizes of the tokenizer tables: tokens it knows and BPE merges (0 for a vocabulary tokenizer).
 * Either output may be NULL. Errors: INVALID_ARGUMENT (NULL model), UNSUPPORTED (no tokenizer). */
CBK_API cbk_status cbk_model_tokenizer_sizes(const cbk_model* model, size_t* n_tokens_out, size_t* n_merges_out);

/* ---- Tokenizer ------------------------------------------------------------------------------
 * Thread-safe (the tokenizer is part of the immutable model). */
#define CBK_TOKENIZE_ADD_BOS 1u        /* prepend the BOS token (when the model has one) */
#define CBK_TOKENIZE_ALLOW_SPECIAL 2u  /* text such as "<|endoftext|>" becomes its special token */

/* Tokenizes `text_len` bytes of UTF-8 `text` (need not be NUL-terminated; NULL allowed when
 * text_len is 0). Two-call pattern: *n_tokens_out receives the number of ids; if `capacity` is
 * smaller, nothing is written to `tokens` and BUFFER_TOO_SMALL is returned (`tokens` may be NULL
 * when capacity is 0). Errors: INVALID_ARGUMENT (NULL model/n_tokens_out, unknown flag bits, text
 * a vocabulary tokenizer cannot match), UNSUPPORTED (no tokenizer), BUFFER_TOO_SMALL. */
CBK_API cbk_status cbk_tokenize(const cbk_model* model, const char* text, size_t text_len, uint32_t flags,
                                int32_t* tokens, size_t capacity, size_t* n_tokens_out);

/* The bytes that `n_tokens` ids stand for, NUL-terminated. *length_out receives the length
 * without the terminator, so the buffer needs *length_out + 1 bytes; with less, nothing is written
 * and BUFFER_TOO_SMALL is returned (`text` may be NULL when capacity is 0). The bytes need not be
 * valid UTF-8 when a character is split across tokens. A padding id (see cbk_detokenize_ex) adds
 * no bytes. Errors: INVALID_ARGUMENT, OUT_OF_RANGE (an id outside the model's vocabulary),
 * UNSUPPORTED (no tokenizer), BUFFER_TOO_SMALL. Same as cbk_detokenize_ex with flags 0. */
CBK_API cbk_status cbk_detokenize(const cbk_model* model, const int32_t* tokens, size_t n_tokens, char* text,
                                  size_t capacity, size_t* length_out);

/* Padded vocabularies: a model may have more embedding rows (cbk_architecture.vocab_size) than its
 * tokenizer has tokens (cbk_tokenizer_info.vocab_size), e.g. Pythia's 50,304 rows for 50,277
 * tokens, and sampling can still pick the ids in between. Such a padding id has no token text: by
 * default it decodes to nothing (as Hugging Face tokenizers do), so a generated run always decodes
 * and keeps every other token. (Before API version 4 it was OUT_OF_RANGE.) */
#define CBK_DETOKENIZE_STRICT 1u  /* a padding id is OUT_OF_RANGE (naming it) instead */

/* cbk_detokenize with `flags` (CBK_DETOKENIZE_*). Ids below 0 or at or above the model's
 * vocab_size are always OUT_OF_RANGE. (API version 4.) Errors: as cbk_detokenize, plus
 * INVALID_ARGUMENT (unknown flag bits) and OUT_OF_RANGE (a padding id with CBK_DETOKENIZE_STRICT). */
CBK_API cbk_status cbk_detokenize_ex(const cbk_model* model, const int32_t* tokens, size_t n_tokens, uint32_t flags,
                                     char* text, size_t capacity, size_t* length_out);

/* ---- Sessions -------------------------------------------------------------------------------- */

/* Asked before every prefill chunk (prefill_chunk prompt rows), so a long prompt can be stopped
 * part-way; return nonzero to stop: cbk_session_prefill then returns CANCELLED and the session is
 * back in its empty state (as after cbk_session_reset). Runs on the thread that called prefill. */
typedef int (*cbk_cancel_callback)(void* user_data);

typedef struct cbk_session_params {
  size_t struct_size;       /* sizeof(cbk_session_params); set by cbk_session_default_params() */
  uint32_t max_context;     /* tokens the KV cache holds; 0 = the model's max_positions */
  uint32_t prefill_chunk;   /* prompt rows per batched pass (default 64; must be >= 1) */
  int trace;                /* nonzero: record every token's code ids and scores (default 0) */
  uint64_t seed;            /* RNG seed for cbk_session_sample (default 0) */
  cbk_cancel_callback cancel;  /* optional, default NULL */
  void* cancel_user_data;
  /* ---- API version 4 ---- */
  uint64_t max_memory_bytes;  /* cap on the session's memory (cbk_session_memory_estimate, plus
                                 steering growth); 0 = no cap (default). Set it when the model or
                                 max_context come from untrusted input. */
  /* ---- API version 5 ---- */
  uint32_t n_threads;         /* threads for the session's prefill/decode: the calling thread plus
                                 n_threads - 1 workers started by cbk_session_create and joined by
                                 cbk_session_free. 0 or 1 = the calling thread only (default); at
                                 most 256. The matrix products (the LM head included), the codebook
                                 searches and the prompt's attention are split over them; logits,
                                 code ids and sampled tokens are bit-identical for every count. Each
                                 worker adds its own scratch (a prefill_chunk of codebook rows and
                                 max_context attention scores) to the memory estimate. Builds
                                 without threads (the WebAssembly module) run on the calling thread
                                 whatever the count. */
} cbk_session_params;

CBK_API cbk_session_params cbk_session_default_params(void);

/* Creates a session on `model`; all memory (KV cache for max_context tokens, trace for
 * max_context tokens, scratch) is computed first (cbk_session_memory_estimate) and allocated here,
 * so prefill/decode allocate nothing and never fail for lack of memory; the trace does not grow
 * with tokens. `params` may be NULL (defaults). The session keeps the model's data alive.
 * A struct_size from an older header (API version 1-4, without max_memory_bytes or n_threads) is
 * accepted; the missing fields take their defaults.
 * Errors: INVALID_ARGUMENT (NULL, bad struct_size, prefill_chunk 0, n_threads above 256),
 * OUT_OF_RANGE (max_context above the model's max_positions), OUT_OF_MEMORY (the estimate exceeds
 * max_memory_bytes, or the address space: the message gives the needed bytes, split into KV cache,
 * scratch and trace, and the allowed bytes; or an allocation failed; or the system refused to start
 * a worker thread). On OUT_OF_MEMORY nothing is kept. */
CBK_API cbk_status cbk_session_create(const cbk_model* model, const cbk_session_params* params,
                                      cbk_session** session_out);
/* NULL is a no-op. */
CBK_API void cbk_session_free(cbk_session* session);

/* ---- Session memory (API version 4) ---- */

/* The bytes cbk_session_create(model, params) would allocate, without allocating:
 * 2 x n_layers x max_context x d_model x 4 (KV cache) + scratch for prefill_chunk rows, logits and
 * sampling (a few vocab-sized arrays) + with the trace, 8 bytes per slot of every codebook group
 * for max_context tokens. max_memory_bytes is not applied. Errors: INVALID_ARGUMENT (NULL, bad
 * struct_size, prefill_chunk 0), OUT_OF_RANGE (max_context above max_positions). */
CBK_API cbk_status cbk_session_memory_estimate(const cbk_model* model, const cbk_session_params* params,
                                               uint64_t* bytes_out);

/* The bytes the session's buffers take now: the estimate at creation, grown by steering (append
 * forces widen the trace; keep-mode disables need per-code scratch; steering that would pass
 * max_memory_bytes fails with OUT_OF_MEMORY and changes nothing). 0 for NULL. */
CBK_API uint64_t cbk_session_memory(const cbk_session* session);

/* The message of the last failing call on this session, or "" if none failed. Valid until the next
 * failing call on the session. "" for NULL. */
CBK_API const char* cbk_session_last_error(const cbk_session* session);

/* Runs the prompt tokens[0..n) at positions 0..n-1 (batched, in chunks of prefill_chunk). Afterwards
 * the logits of the last token are available. Errors: INVALID_ARGUMENT (NULL, n 0), WRONG_STATE (a
 * prompt was already run: cbk_session_reset first), OUT_OF_RANGE (a token id outside the
 * vocabulary), CONTEXT_FULL (n > context size), CANCELLED. */
CBK_API cbk_status cbk_session_prefill(cbk_session* session, const int32_t* tokens, size_t n);

/* As cbk_session_prefill, and also writes the logits of EVERY prompt token: row i of the
 * row-major [n x n_vocab] `logits` (n_vocab = cbk_architecture.vocab_size) predicts token i + 1.
 * `capacity` is the number of floats `logits` holds; below n * n_vocab, BUFFER_TOO_SMALL is
 * returned before anything runs. For scoring a text (loss, accuracy) in one batched pass.
 * (API version 2.) Errors: as cbk_session_prefill, plus INVALID_ARGUMENT (NULL logits),
 * BUFFER_TOO_SMALL. */
CBK_API cbk_status cbk_session_prefill_logits(cbk_session* session, const int32_t* tokens, size_t n,
                                              float* logits, size_t capacity);

/* Runs one more token at position cbk_session_position(). Errors: WRONG_STATE (no prefill yet),
 * OUT_OF_RANGE (bad id), CONTEXT_FULL. On error nothing changes. */
CBK_API cbk_status cbk_session_decode(cbk_session* session, int32_t token);

/* Logits [*n_vocab_out] of the last token run. The pointer is owned by the session and valid
 * until the next prefill/decode/reset/free. Errors: INVALID_ARGUMENT, WRONG_STATE (before prefill). */
CBK_API cbk_status cbk_session_logits(const cbk_session* session, const float** logits_out,
                                      size_t* n_vocab_out);

typedef struct cbk_sampling_params {
  size_t struct_size;  /* set by cbk_sampling_default_params() */
  float temperature;   /* <= 0: greedy (default 1) */
  uint32_t top_k;      /* 0: off (default) */
  float top_p;         /* 1: off (default); must be in (0, 1] */
} cbk_sampling_params;

CBK_API cbk_sampling_params cbk_sampling_default_params(void);

/* Samples the next token from the last logits with the session's seeded RNG (identical results
 * on every platform for the same seed). `params` may be NULL (defaults). Does not run the token:
 * call cbk_session_decode with it. Errors: INVALID_ARGUMENT (NULL, NaN temperature, top_p outside
 * (0, 1]), WRONG_STATE (before prefill). */
CBK_API cbk_status cbk_session_sample(cbk_session* session, const cbk_sampling_params* params,
                                      int32_t* token_out);

/* Restarts the session's RNG from `seed`. Errors: INVALID_ARGUMENT (NULL). */
CBK_API cbk_status cbk_session_set_seed(cbk_session* session, uint64_t seed);

/* Back to the empty state (position 0, trace cleared); steering, trace switch and RNG are kept.
 * Errors: INVALID_ARGUMENT (NULL). */
CBK_API cbk_status cbk_session_reset(cbk_session* session);

/* Tokens run so far; 0 for NULL. */
CBK_API size_t cbk_session_position(const cbk_session* session);
/* Length of the prompt given to prefill (0 before); 0 for NULL. */
CBK_API size_t cbk_session_prompt_length(const cbk_session* session);
/* The context size (max tokens); 0 for NULL. */
CBK_API size_t cbk_session_context_size(const cbk_session* session);

/* ---- Codes (trace) ----------------------------------------------------------------------------
 * Requires cbk_session_params.trace. For each token position, codebook and group the session
 * records `n_slots` code ids in slot order (slot 0 = the most similar code) and each slot's
 * similarity score. n_slots is the codebook's k plus one per active "append" force on it. A slot
 * an append force did not fill at that position has id CBK_NO_SLOT and score NaN; a slot blocked
 * by a zero-mode disable has id -1 and score NaN. Pointers are owned by the session and valid until
 * the next prefill/decode/reset/steering change/free. No copies are made. */
#define CBK_NO_SLOT (-2)

/* The codes of one token. Errors: INVALID_ARGUMENT (NULL outputs), WRONG_STATE (trace off),
 * OUT_OF_RANGE (codebook, group, or position >= cbk_session_position()). `scores_out` may be NULL. */
CBK_API cbk_status cbk_session_codes(const cbk_session* session, size_t codebook, uint32_t group,
                                     size_t position, const int32_t** ids_out, const float** scores_out,
                                     size_t* n_slots_out);

/* The whole trace of one codebook group: row-major [*n_rows_out x *n_slots_out], one row per
 * token run so far. Errors as for cbk_session_codes (no position). `scores_out` may be NULL. */
CBK_API cbk_status cbk_session_trace(const cbk_session* session, size_t codebook, uint32_t group,
                                     const int32_t** ids_out, const float** scores_out, size_t* n_rows_out,
                                     size_t* n_slots_out);

/* ---- Activation captures ---------------------------------------------------------------------
 * A capture copies the vector entering a site (before its codebook, if the site has one) of every
 * token run afterwards into a caller buffer: the token at position p goes to
 * buffer + p * width (width = cbk_model_site_width) for p < rows; later positions are not written.
 * Steered or not, the captured vector is the codebook's input, i.e. what the code search saw. Every
 * site of every layer can be captured, except CBK_SITE_ATTN_PLUS_MLP where the layer has no
 * codebook there. The buffer is owned by the caller and must stay valid (and not be read while a
 * prefill/decode runs on another thread) until the capture is cleared or the session is freed;
 * rows a pass did not reach keep their old contents. cbk_session_reset keeps the captures. With no
 * captures installed the forward pass does no extra work. (API version 3.) */

/* Floats per token at a site: 3 * d_model (qkv), d_mlp (mlp_mid), d_model otherwise.
 * Errors: INVALID_ARGUMENT (NULL, unknown site). */
CBK_API cbk_status cbk_model_site_width(const cbk_model* model, cbk_site site, size_t* width_out);
/* Installs a capture of (layer, site) into buffer[rows x width] floats, replacing any earlier
 * capture of the same (layer, site). Errors: INVALID_ARGUMENT (NULL session/buffer, rows 0),
 * OUT_OF_RANGE (layer, site), OUT_OF_MEMORY. On error the installed captures are unchanged. */
CBK_API cbk_status cbk_session_set_capture(cbk_session* session, uint32_t layer, cbk_site site, float* buffer,
                                           size_t rows);
/* Removes every capture; the buffers are no longer touched. Errors: INVALID_ARGUMENT (NULL). */
CBK_API cbk_status cbk_session_clear_captures(cbk_session* session);

/* ---- Steering ----------------------------------------------------------------------------------
 * Interventions rewrite the code ids a codebook group selects (before the codes are combined).
 * Each cbk_steer_* call adds one intervention to the session's set; the set is validated against
 * the model on every addition (on error the set is unchanged) and affects tokens run afterwards.
 * Positions are absolute session positions (0 = first prompt token). Order at one token: keep-mode
 * disables, zero-mode disables, interchanges, then forces in the order they were added. */

/* Which group(s) an intervention targets: the codebook at (layer, site); group -1 = every group. */
typedef struct cbk_target {
  uint32_t layer;
  cbk_site site;
  int32_t group;
} cbk_target;

typedef enum cbk_positions_kind CBK_ENUM_BASE {
  CBK_POSITIONS_ALL = 0,        /* every position */
  CBK_POSITIONS_GENERATED = 1,  /* positions after the prompt */
  CBK_POSITIONS_RANGE = 2       /* [first, end) */
} cbk_positions_kind;

typedef struct cbk_positions {
  cbk_positions_kind kind;
  uint32_t first;  /* CBK_POSITIONS_RANGE only */
  uint32_t end;    /* exclusive; must be > first */
} cbk_positions;

typedef enum cbk_force_mode CBK_ENUM_BASE {
  CBK_FORCE_SLOT = 0,    /* replace one slot (Python-style index: -1 = the last, least similar) */
  CBK_FORCE_ALL = 1,     /* replace every slot */
  CBK_FORCE_APPEND = 2   /* add an extra slot (the mean runs over k + appended slots) */
} cbk_force_mode;

/* Forces `code` at `positions` (NULL = all). `slot` is used by CBK_FORCE_SLOT only (-k <= slot < k).
 * `strength` scales the forced code's vector (1 = plain forcing). Errors: INVALID_ARGUMENT (NULL
 * session/target, bad mode, non-finite strength, empty range), OUT_OF_RANGE (no codebook at
 * layer/site, group, code or slot out of range), OUT_OF_MEMORY. */
CBK_API cbk_status cbk_steer_force(cbk_session* session, const cbk_target* target, int32_t code,
                                   const cbk_positions* positions, cbk_force_mode mode, int32_t slot,
                                   float strength);

typedef enum cbk_disable_mode CBK_ENUM_BASE {
  CBK_DISABLE_KEEP = 0,  /* disabled codes are skipped by the search; k codes are still chosen */
  CBK_DISABLE_ZERO = 1   /* slots holding disabled codes are blocked (count as zero vectors) */
} cbk_disable_mode;

/* Disables `codes[0..n_codes)` (may be empty) and/or the `top_n` most similar codes at
 * `positions` (NULL = all). Zero mode only: `slots[0..n_slots)` are blocked at every position.
 * Errors: INVALID_ARGUMENT (NULL array with nonzero count, bad mode, slots in keep mode),
 * OUT_OF_RANGE (codebook, group, code, slot, or a keep-mode top_n leaving fewer than k codes). */
CBK_API cbk_status cbk_steer_disable(cbk_session* session, const cbk_target* target, const int32_t* codes,
                                     size_t n_codes, uint32_t top_n, const cbk_positions* positions,
                                     cbk_disable_mode mode, const int32_t* slots, size_t n_slots);

/* Sets all k slots at one `position` to ids[0..n_ids) (each -1 = blocked, or a valid code; e.g. ids
 * copied from another session's trace). Errors: INVALID_ARGUMENT (n_ids != k, NULL ids),
 * OUT_OF_RANGE (codebook, group, code). */
CBK_API cbk_status cbk_steer_interchange(cbk_session* session, const cbk_target* target, uint32_t position,
                                         const int32_t* ids, size_t n_ids);

/* The targeted group(s) pass their input through unchanged (no search, no trace entries).
 * Errors: INVALID_ARGUMENT, OUT_OF_RANGE. */
CBK_API cbk_status cbk_steer_bypass(cbk_session* session, const cbk_target* target);

/* Removes every intervention. Errors: INVALID_ARGUMENT (NULL). */
CBK_API cbk_status cbk_steer_clear(cbk_session* session);

/* Number of interventions currently set (forces + disables + interchanges + bypasses); 0 for NULL. */
CBK_API size_t cbk_steer_count(const cbk_session* session);

#ifdef __cplusplus
}  /* extern "C" */
#endif

/* The other model families' functions (cbk_model_kind says which kind a model is). */
#include "cbk_dkvb.h"
#include "cbk_protonet.h"

#endif /* CBK_H */
