#include "CSentencePiece.h"
#include <sentencepiece_processor.h>
#include <cstring>
#include <string>
#include <vector>

struct spm_processor {
    sentencepiece::SentencePieceProcessor processor;
};

static void copy_message(const std::string &message, char *out, size_t capacity) {
    if (!out || capacity == 0) return;
    size_t n = message.size() < capacity - 1 ? message.size() : capacity - 1;
    std::memcpy(out, message.data(), n);
    out[n] = 0;
}

extern "C" spm_processor *spm_load(const char *path, char *error, size_t error_capacity) {
    auto *p = new spm_processor();
    auto status = p->processor.Load(path);
    if (!status.ok()) {
        copy_message(status.ToString(), error, error_capacity);
        delete p;
        return nullptr;
    }
    return p;
}

extern "C" void spm_free(spm_processor *p) { delete p; }

extern "C" int64_t spm_encode(const spm_processor *p, const char *text, size_t length, int32_t *ids, size_t capacity) {
    std::vector<int> out;
    auto status = p->processor.Encode(std::string(text, length), &out);
    if (!status.ok()) return -1;
    for (size_t i = 0; i < out.size() && i < capacity; i++) ids[i] = out[i];
    return (int64_t)out.size();
}

extern "C" int32_t spm_vocab_size(const spm_processor *p) { return p->processor.GetPieceSize(); }

extern "C" int64_t spm_id_to_piece(const spm_processor *p, int32_t id, char *out, size_t capacity) {
    if (id < 0 || id >= p->processor.GetPieceSize()) return -1;
    const std::string &piece = p->processor.IdToPiece(id);
    copy_message(piece, out, capacity);
    return (int64_t)piece.size();
}

extern "C" int32_t spm_piece_to_id(const spm_processor *p, const char *piece) {
    return p->processor.PieceToId(piece);
}
