/*
 * fuzz_msg_seeds.c — writes the seed corpus for fuzz_msg: valid messages of every type in
 * PZ_MSGTYPES (random values from the schemas' fill_random, several seeds each, with and
 * without the reply and error flags), in fuzz_msg's input layout: one byte of envelope length,
 * the envelope frame, the body frame. Starting from valid messages lets the fuzzer reach deep
 * decoder paths at once instead of discovering msgpack from nothing.
 *
 *     fuzz_msg_seeds DIR      (DIR must exist; files are named seed-<type>-<n>)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phantomzero/codec.h"
#include "phantomzero/kv.h"
#include "phantomzero/msg.h"

#define S_SEEDS_PER_TYPE 12

static int s_write(const char *dir, const char *name, int n, const uint8_t *env, size_t env_len,
                   const uint8_t *body, size_t body_len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/seed-%s-%02d", dir, name, n);
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    uint8_t len8 = (uint8_t)env_len;
    int ok = fwrite(&len8, 1, 1, f) == 1 && fwrite(env, 1, env_len, f) == env_len &&
             (body_len == 0 || fwrite(body, 1, body_len, f) == body_len);
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* One message: envelope (short addresses, so its length fits the one-byte prefix) + body. */
static int s_emit(const char *dir, const char *name, int n, pz_out_t *o, uint8_t flags)
{
    pz_envelope_t e;
    memset(&e, 0, sizeof e);
    e.proto_version = PZ_PROTO_VERSION;
    e.type = pz_out_type(o);
    e.type_version = pz_msg_type_version(e.type);
    e.flags = flags;
    e.corr = (uint64_t)n + 1;
    strcpy(e.to, "storage");
    strcpy(e.from, n % 2 ? "repl@tcp://127.0.0.1:26357" : "dist");
    uint8_t env[PZ_ENVELOPE_BYTES_MAX];
    size_t env_len = 0;
    if (pz_envelope_encode(&e, env, sizeof env, &env_len) != 0 || env_len > 255) {
        return -1;
    }
    size_t body_len = 0;
    uint8_t *body = pz__out_take(o, &body_len);
    if (body == NULL) {
        return -1;
    }
    int rc = s_write(dir, name, n, env, env_len, body, body_len);
    free(body);
    return rc;
}

#define S_TYPE_(name, id, ver, schema)                                                           \
    for (int n = 0; n < S_SEEDS_PER_TYPE && rc == 0; n++) {                                      \
        pz_arena_t *a = pz_arena_new();                                                          \
        uint64_t seed = (uint64_t)id * 1000 + (uint64_t)n;                                       \
        schema##_t v;                                                                            \
        schema##_fill_random(&v, a, &seed, 0);                                                   \
        pz_out_t *o = NULL;                                                                      \
        uint8_t flags = (uint8_t)(n % 3 == 1 ? PZ_MSGF_REPLY : 0);                               \
        if (id == PZ_MSG_ERROR) {                                                                \
            flags = (uint8_t)(flags | PZ_MSGF_ERROR);                                            \
        }                                                                                        \
        rc = a && schema##_to_out(&v, id, &o) == 0 ? s_emit(dir, #name, n, o, flags) : -1;       \
        pz_out_free(&o);                                                                         \
        pz_arena_destroy(&a);                                                                    \
    }

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    int rc = 0;
    PZ_MSGTYPES(S_TYPE_)
    if (rc != 0) {
        fprintf(stderr, "fuzz_msg_seeds: could not write the corpus into %s\n", dir);
        return 1;
    }
    return 0;
}
