#ifndef CIMAGECODECS_H
#define CIMAGECODECS_H
/* Safe wrappers around libjpeg(-turbo) and libpng.
 *
 * Neither library may terminate the process: every libjpeg error goes through a custom error_exit that
 * longjmps back here, every libpng error through png_set_error_fn + setjmp. Each function returns a
 * vz_status code and writes a NUL-terminated message into `err` (at most `errlen` bytes).
 *
 * Decoding is two-phase so the caller can refuse huge images BEFORE any pixel memory is allocated:
 * `*_info` reads only the header; `*_decode_rgb` re-reads the header, checks it matches the expected size,
 * and decodes into a caller-owned RGB8 buffer of `width * height * 3` bytes (rows top to bottom, no padding).
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    VZ_OK = 0,
    VZ_ERR_CORRUPT = 1,      /* the library rejected the data (message says why) */
    VZ_ERR_TRUNCATED = 2,    /* the data ended before the image did */
    VZ_ERR_UNSUPPORTED = 3,  /* valid but unsupported variant (e.g. 12-bit JPEG, unknown colour space) */
    VZ_ERR_NOMEM = 4,        /* an allocation failed */
    VZ_ERR_ARGUMENT = 5,     /* bad argument from the caller (size mismatch, null buffer, bad quality) */
    VZ_ERR_ZERO_SIZE = 6     /* the header declares a zero width or height */
} vz_status;

/* Header facts about a JPEG stream. */
typedef struct {
    int width, height;
    int components;        /* 1 (gray), 3 (YCbCr/RGB) or 4 (CMYK/YCCK) */
    int jpeg_color_space;  /* libjpeg J_COLOR_SPACE of the stream */
    int progressive;       /* 1 if progressive (SOF2) */
    int adobe;             /* 1 if an Adobe APP14 marker was seen */
} vz_jpeg_info_t;

/* Header facts about a PNG stream. */
typedef struct {
    int width, height;
    int bit_depth;    /* 1, 2, 4, 8 or 16 */
    int color_type;   /* PNG_COLOR_TYPE_* */
    int interlaced;   /* 1 for Adam7 */
    int has_trns;     /* 1 if a tRNS chunk is present */
} vz_png_info_t;

int vz_jpeg_info(const uint8_t *data, size_t size, vz_jpeg_info_t *info, char *err, size_t errlen);

/* Decodes to RGB8. Gray is replicated; CMYK/YCCK are read as Adobe-inverted CMYK (as Pillow does) and
 * converted with Pillow's integer formula: R = (255-K') - round((C' * (255-K'))/255) with C' = 255 - C_stored. */
int vz_jpeg_decode_rgb(const uint8_t *data, size_t size, int width, int height, uint8_t *rgb,
                       char *err, size_t errlen);

int vz_png_info(const uint8_t *data, size_t size, vz_png_info_t *info, char *err, size_t errlen);

/* Decodes to RGB8: palette expanded (tRNS → alpha), gray replicated, 16-bit reduced to its high byte,
 * Adam7 de-interlaced, and any alpha composited onto (bg_r, bg_g, bg_b):
 * out = (src * a + bg * (255 - a) + 127) / 255 rounded to nearest (Pillow's paste-with-mask arithmetic). */
int vz_png_decode_rgb(const uint8_t *data, size_t size, int width, int height, uint8_t *rgb,
                      uint8_t bg_r, uint8_t bg_g, uint8_t bg_b, char *err, size_t errlen);

/* Decodes a gray or palette PNG as one byte per pixel WITHOUT colour conversion: the palette index or the gray
 * value (1/2/4-bit unpacked, not rescaled) — a segmentation label map. RGB(A), gray+alpha and 16-bit are refused. */
int vz_png_decode_labels(const uint8_t *data, size_t size, int width, int height, uint8_t *labels,
                         char *err, size_t errlen);

/* Header facts about a WebP stream (RIFF "WEBP", VP8 / VP8L / VP8X). */
typedef struct {
    int width, height;
    int has_alpha;
    int has_animation;  /* animated WebP: refused (a detector reads one frame; say so rather than guess) */
    int lossless;       /* 1 for VP8L */
} vz_webp_info_t;

int vz_webp_info(const uint8_t *data, size_t size, vz_webp_info_t *info, char *err, size_t errlen);

/* Decodes a still WebP to RGB8 with libwebp; alpha (if any) is composited onto (bg_r, bg_g, bg_b) with the
 * PNG path's arithmetic. */
int vz_webp_decode_rgb(const uint8_t *data, size_t size, int width, int height, uint8_t *rgb,
                       uint8_t bg_r, uint8_t bg_g, uint8_t bg_b, char *err, size_t errlen);

/* Encoders: on success `*out` is a malloc'ed buffer of `*out_size` bytes that the caller frees with vz_free. */
int vz_png_encode_rgb(const uint8_t *rgb, int width, int height, uint8_t **out, size_t *out_size,
                      char *err, size_t errlen);
int vz_jpeg_encode_rgb(const uint8_t *rgb, int width, int height, int quality, uint8_t **out, size_t *out_size,
                       char *err, size_t errlen);
void vz_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
