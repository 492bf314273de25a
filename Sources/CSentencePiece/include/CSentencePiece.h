// A small C face on Debian's libsentencepiece (C++), so Swift needs no C++ interop.
#ifndef CSENTENCEPIECE_H
#define CSENTENCEPIECE_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef struct spm_processor spm_processor;

/// Loads a `.model` file. Returns NULL and writes a message into `error` (if non-NULL) on failure.
spm_processor *spm_load(const char *path, char *error, size_t error_capacity);
void spm_free(spm_processor *p);
/// Encodes UTF-8 text into piece ids. Returns the number of ids (may exceed `capacity`:
/// then only `capacity` were written and the caller retries with a larger buffer), or -1 on error.
int64_t spm_encode(const spm_processor *p, const char *text, size_t length, int32_t *ids, size_t capacity);
int32_t spm_vocab_size(const spm_processor *p);
/// Copies piece `id` as a NUL-terminated string; returns its length or -1.
int64_t spm_id_to_piece(const spm_processor *p, int32_t id, char *out, size_t capacity);
int32_t spm_piece_to_id(const spm_processor *p, const char *piece);

#ifdef __cplusplus
}
#endif
#endif
