/* Safe libjpeg(-turbo) / libpng wrappers: errors longjmp back to the caller, never exit(). See CImageCodecs.h. */
#include "CImageCodecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#include <webp/decode.h>

static void set_err(char *err, size_t errlen, const char *msg) {
    if (err && errlen > 0) {
        strncpy(err, msg, errlen - 1);
        err[errlen - 1] = 0;
    }
}

/* Pillow's exact rounding of a / 255 for a in [0, 255 * 255] (DIV255 in libImaging). */
static inline unsigned div255(unsigned a) {
    unsigned t = a + 128;
    return ((t >> 8) + t) >> 8;
}

/* ------------------------------------------------------------------------------------------------ JPEG */

/* Progressive JPEGs normally have about 10 scans; a crafted file with thousands of them makes the decoder
   redo the whole image each time (a CPU denial of service). Refuse more than this many, as djpeg -maxscans. */
#define VZ_JPEG_MAX_SCANS 256

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    int hit_eof;          /* the memory source ran out of data (libjpeg only warns and pads with EOI) */
    char message[JMSG_LENGTH_MAX];
} vz_jpeg_error;

static void vz_jpeg_error_exit(j_common_ptr cinfo) {
    vz_jpeg_error *e = (vz_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->message);
    longjmp(e->jump, 1);
}

/* Warnings (level -1) are recorded; premature end of data becomes a hard "truncated" error. Trace messages
   (level >= 0) are ignored. Nothing is printed. */
static void vz_jpeg_emit_message(j_common_ptr cinfo, int msg_level) {
    vz_jpeg_error *e = (vz_jpeg_error *)cinfo->err;
    if (msg_level >= 0) return;
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
        e->hit_eof = 1;
        (*cinfo->err->format_message)(cinfo, e->message);
        longjmp(e->jump, 1);
    }
    cinfo->err->num_warnings++;
}

static void vz_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void vz_jpeg_progress(j_common_ptr cinfo) {
    if (!cinfo->is_decompressor) return;
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (d->input_scan_number > VZ_JPEG_MAX_SCANS) {
        vz_jpeg_error *e = (vz_jpeg_error *)cinfo->err;
        snprintf(e->message, sizeof e->message, "more than %d scans (refused: crafted progressive JPEG)",
                 VZ_JPEG_MAX_SCANS);
        longjmp(e->jump, 1);
    }
}

static void vz_jpeg_setup_errors(struct jpeg_decompress_struct *cinfo, vz_jpeg_error *jerr) {
    cinfo->err = jpeg_std_error(&jerr->pub);
    jerr->pub.error_exit = vz_jpeg_error_exit;
    jerr->pub.emit_message = vz_jpeg_emit_message;
    jerr->pub.output_message = vz_jpeg_output_message;
    jerr->hit_eof = 0;
    jerr->message[0] = 0;
}

static int jpeg_fail(vz_jpeg_error *jerr, char *err, size_t errlen) {
    set_err(err, errlen, jerr->message[0] ? jerr->message : "JPEG error");
    if (jerr->hit_eof) return VZ_ERR_TRUNCATED;
    if (jerr->pub.msg_code == JERR_EMPTY_IMAGE) return VZ_ERR_ZERO_SIZE;  /* SOF with a zero dimension */
    return VZ_ERR_CORRUPT;
}

int vz_jpeg_info(const uint8_t *data, size_t size, vz_jpeg_info_t *info, char *err, size_t errlen) {
    struct jpeg_decompress_struct cinfo;
    vz_jpeg_error jerr;
    if (!data || size == 0 || !info) { set_err(err, errlen, "no data"); return VZ_ERR_ARGUMENT; }
    memset(info, 0, sizeof(*info));
    vz_jpeg_setup_errors(&cinfo, &jerr);
    jpeg_create_decompress(&cinfo);
    if (setjmp(jerr.jump)) {
        int status = jpeg_fail(&jerr, err, errlen);
        jpeg_destroy_decompress(&cinfo);
        return status;
    }
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    info->width = (int)cinfo.image_width;
    info->height = (int)cinfo.image_height;
    info->components = cinfo.num_components;
    info->jpeg_color_space = (int)cinfo.jpeg_color_space;
    info->progressive = cinfo.progressive_mode ? 1 : 0;
    info->adobe = cinfo.saw_Adobe_marker ? 1 : 0;
    jpeg_destroy_decompress(&cinfo);
    if (info->width == 0 || info->height == 0) {
        set_err(err, errlen, "JPEG header declares a zero width or height");
        return VZ_ERR_ZERO_SIZE;
    }
    return VZ_OK;
}

int vz_jpeg_decode_rgb(const uint8_t *data, size_t size, int width, int height, uint8_t *rgb,
                       char *err, size_t errlen) {
    struct jpeg_decompress_struct cinfo;
    vz_jpeg_error jerr;
    struct jpeg_progress_mgr progress;
    uint8_t *volatile cmyk_row = NULL;
    if (!data || size == 0 || !rgb) { set_err(err, errlen, "no data or no output buffer"); return VZ_ERR_ARGUMENT; }
    vz_jpeg_setup_errors(&cinfo, &jerr);
    jpeg_create_decompress(&cinfo);
    memset(&progress, 0, sizeof progress);
    progress.progress_monitor = vz_jpeg_progress;
    cinfo.progress = &progress;
    if (setjmp(jerr.jump)) {
        int status = jpeg_fail(&jerr, err, errlen);
        jpeg_destroy_decompress(&cinfo);
        free(cmyk_row);
        return status;
    }
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    if ((int)cinfo.image_width != width || (int)cinfo.image_height != height) {
        jpeg_destroy_decompress(&cinfo);
        set_err(err, errlen, "JPEG size differs from the expected size");
        return VZ_ERR_ARGUMENT;
    }
    int is_cmyk = 0;
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: case JCS_YCbCr: case JCS_RGB:
        cinfo.out_color_space = JCS_RGB;  /* libjpeg-turbo replicates gray, converts YCbCr */
        break;
    case JCS_CMYK: case JCS_YCCK:
        cinfo.out_color_space = JCS_CMYK; /* libjpeg converts YCCK to CMYK; we convert CMYK to RGB */
        is_cmyk = 1;
        break;
    default:
        jpeg_destroy_decompress(&cinfo);
        set_err(err, errlen, "unsupported JPEG colour space");
        return VZ_ERR_UNSUPPORTED;
    }
    jpeg_start_decompress(&cinfo);
    if ((int)cinfo.output_width != width || (int)cinfo.output_height != height ||
        cinfo.output_components != (is_cmyk ? 4 : 3)) {
        jpeg_destroy_decompress(&cinfo);
        set_err(err, errlen, "unexpected JPEG output geometry");
        return VZ_ERR_UNSUPPORTED;
    }
    const size_t stride = (size_t)width * 3;
    if (is_cmyk) {
        cmyk_row = (uint8_t *)malloc((size_t)width * 4);
        if (!cmyk_row) { jpeg_destroy_decompress(&cinfo); set_err(err, errlen, "out of memory"); return VZ_ERR_NOMEM; }
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JDIMENSION y = cinfo.output_scanline;
        JSAMPROW row = is_cmyk ? cmyk_row : rgb + (size_t)y * stride;
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {   /* cannot happen with a memory source; never spin */
            jpeg_destroy_decompress(&cinfo);
            free(cmyk_row);
            set_err(err, errlen, "JPEG decoder returned no scanline");
            return VZ_ERR_CORRUPT;
        }
        if (is_cmyk) {
            uint8_t *out = rgb + (size_t)y * stride;
            for (int x = 0; x < width; x++) {
                /* Pillow reads CMYK JPEGs as Adobe-inverted ("CMYK;I"): stored value = 255 - ink. */
                const uint8_t *p = cmyk_row + (size_t)x * 4;
                unsigned nk = p[3];            /* 255 - K(ink) */
                for (int c = 0; c < 3; c++) {
                    unsigned ink = 255u - p[c];
                    int v = (int)nk - (int)div255(ink * nk);
                    out[x * 3 + c] = (uint8_t)(v < 0 ? 0 : v);
                }
            }
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(cmyk_row);
    return VZ_OK;
}

/* A growable malloc'ed output buffer for the JPEG encoder (we own it, so an error path can free it safely). */
typedef struct {
    struct jpeg_destination_mgr pub;
    uint8_t *data;
    size_t capacity;
} vz_jpeg_dest;

static void vz_jpeg_dest_init(j_compress_ptr cinfo) {
    vz_jpeg_dest *d = (vz_jpeg_dest *)cinfo->dest;
    d->pub.next_output_byte = d->data;
    d->pub.free_in_buffer = d->capacity;
}

static boolean vz_jpeg_dest_empty(j_compress_ptr cinfo) {
    vz_jpeg_dest *d = (vz_jpeg_dest *)cinfo->dest;
    size_t used = d->capacity;  /* libjpeg calls this only when the buffer is full */
    if (d->capacity > (SIZE_MAX >> 1)) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 10);
    uint8_t *p = (uint8_t *)realloc(d->data, d->capacity * 2);
    if (!p) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 11);
    d->data = p;
    d->capacity *= 2;
    d->pub.next_output_byte = d->data + used;
    d->pub.free_in_buffer = d->capacity - used;
    return TRUE;
}

static void vz_jpeg_dest_term(j_compress_ptr cinfo) { (void)cinfo; }

int vz_jpeg_encode_rgb(const uint8_t *rgb, int width, int height, int quality, uint8_t **out, size_t *out_size,
                       char *err, size_t errlen) {
    struct jpeg_compress_struct cinfo;
    vz_jpeg_error jerr;
    vz_jpeg_dest dest;
    if (!rgb || !out || !out_size || width <= 0 || height <= 0 || width > 65500 || height > 65500) {
        set_err(err, errlen, "JPEG encode: bad size (1...65500 per side) or null buffer");
        return VZ_ERR_ARGUMENT;
    }
    if (quality < 1 || quality > 100) { set_err(err, errlen, "JPEG quality must be 1...100"); return VZ_ERR_ARGUMENT; }
    *out = NULL; *out_size = 0;
    memset(&dest, 0, sizeof dest);
    dest.capacity = 16384;
    dest.data = (uint8_t *)malloc(dest.capacity);
    if (!dest.data) { set_err(err, errlen, "out of memory"); return VZ_ERR_NOMEM; }
    dest.pub.init_destination = vz_jpeg_dest_init;
    dest.pub.empty_output_buffer = vz_jpeg_dest_empty;
    dest.pub.term_destination = vz_jpeg_dest_term;
    cinfo.err = jpeg_std_error(&jerr.pub);
    jerr.pub.error_exit = vz_jpeg_error_exit;
    jerr.pub.emit_message = vz_jpeg_emit_message;
    jerr.pub.output_message = vz_jpeg_output_message;
    jerr.hit_eof = 0;
    jerr.message[0] = 0;
    jpeg_create_compress(&cinfo);
    if (setjmp(jerr.jump)) {
        set_err(err, errlen, jerr.message[0] ? jerr.message : "JPEG encode error");
        jpeg_destroy_compress(&cinfo);
        free(dest.data);
        return VZ_ERR_CORRUPT;
    }
    cinfo.dest = &dest.pub;
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    const size_t stride = (size_t)width * 3;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    *out = dest.data;
    *out_size = dest.capacity - dest.pub.free_in_buffer;
    jpeg_destroy_compress(&cinfo);
    return VZ_OK;
}

/* ------------------------------------------------------------------------------------------------- PNG */

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t pos;
    int truncated;
    int zero_size;        /* libpng warned "Image width/height is zero in IHDR" before failing */
    char message[256];
} vz_png_reader;

static void vz_png_error(png_structp png, png_const_charp msg) {
    vz_png_reader *r = (vz_png_reader *)png_get_error_ptr(png);
    if (r && !r->truncated) set_err(r->message, sizeof r->message, msg ? msg : "PNG error");
    png_longjmp(png, 1);
}

static void vz_png_warning(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

/* Read-side warnings are ignored except the one that explains an "Invalid IHDR data" error as a zero size. */
static void vz_png_read_warning(png_structp png, png_const_charp msg) {
    vz_png_reader *r = (vz_png_reader *)png_get_error_ptr(png);
    if (r && msg && strstr(msg, "is zero in IHDR")) r->zero_size = 1;
}

static void vz_png_read(png_structp png, png_bytep out, png_size_t length) {
    vz_png_reader *r = (vz_png_reader *)png_get_io_ptr(png);
    if (length > r->size - r->pos) {
        r->truncated = 1;
        set_err(r->message, sizeof r->message, "PNG data ends early (truncated)");
        png_error(png, "truncated");
    }
    memcpy(out, r->data + r->pos, length);
    r->pos += length;
}

static int png_fail(vz_png_reader *r, char *err, size_t errlen) {
    set_err(err, errlen, r->message[0] ? r->message : "PNG error");
    if (r->truncated) return VZ_ERR_TRUNCATED;
    return r->zero_size ? VZ_ERR_ZERO_SIZE : VZ_ERR_CORRUPT;
}

/* Creates the read struct; libpng's own dimension limit is raised to PNG's maximum (2^31-1) so that the
   pixel limit is enforced by the caller with a specific error, not by libpng with a generic one. */
static png_structp vz_png_create_read(vz_png_reader *r, png_infop *info) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r, vz_png_error, vz_png_read_warning);
    if (!png) return NULL;
    *info = png_create_info_struct(png);
    if (!*info) { png_destroy_read_struct(&png, NULL, NULL); return NULL; }
    png_set_read_fn(png, r, vz_png_read);
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    return png;
}

int vz_png_info(const uint8_t *data, size_t size, vz_png_info_t *out, char *err, size_t errlen) {
    vz_png_reader r = { data, size, 0, 0, 0, {0} };
    png_infop info = NULL;
    if (!data || size == 0 || !out) { set_err(err, errlen, "no data"); return VZ_ERR_ARGUMENT; }
    memset(out, 0, sizeof(*out));
    png_structp png = vz_png_create_read(&r, &info);
    if (!png) { set_err(err, errlen, "out of memory"); return VZ_ERR_NOMEM; }
    if (setjmp(png_jmpbuf(png))) {
        int status = png_fail(&r, err, errlen);
        png_destroy_read_struct(&png, &info, NULL);
        return status;
    }
    png_read_info(png, info);
    out->width = (int)png_get_image_width(png, info);
    out->height = (int)png_get_image_height(png, info);
    out->bit_depth = png_get_bit_depth(png, info);
    out->color_type = png_get_color_type(png, info);
    out->interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
    out->has_trns = png_get_valid(png, info, PNG_INFO_tRNS) ? 1 : 0;
    png_destroy_read_struct(&png, &info, NULL);
    return VZ_OK;
}

static void composite_row(const uint8_t *rgba, uint8_t *rgb, int width, unsigned br, unsigned bg, unsigned bb) {
    for (int x = 0; x < width; x++) {
        const uint8_t *p = rgba + (size_t)x * 4;
        unsigned a = p[3], ia = 255u - a;
        uint8_t *q = rgb + (size_t)x * 3;
        q[0] = (uint8_t)div255(p[0] * a + br * ia);
        q[1] = (uint8_t)div255(p[1] * a + bg * ia);
        q[2] = (uint8_t)div255(p[2] * a + bb * ia);
    }
}

int vz_png_decode_rgb(const uint8_t *data, size_t size, int width, int height, uint8_t *rgb,
                      uint8_t bg_r, uint8_t bg_g, uint8_t bg_b, char *err, size_t errlen) {
    vz_png_reader r = { data, size, 0, 0, 0, {0} };
    png_infop info = NULL;
    uint8_t *volatile scratch = NULL;     /* one RGBA row, or the whole RGBA image when interlaced */
    png_bytep *volatile rows = NULL;
    if (!data || size == 0 || !rgb) { set_err(err, errlen, "no data or no output buffer"); return VZ_ERR_ARGUMENT; }
    png_structp png = vz_png_create_read(&r, &info);
    if (!png) { set_err(err, errlen, "out of memory"); return VZ_ERR_NOMEM; }
    if (setjmp(png_jmpbuf(png))) {
        int status = png_fail(&r, err, errlen);
        png_destroy_read_struct(&png, &info, NULL);
        free(scratch);
        free(rows);
        return status;
    }
    png_read_info(png, info);
    if ((int)png_get_image_width(png, info) != width || (int)png_get_image_height(png, info) != height) {
        png_destroy_read_struct(&png, &info, NULL);
        set_err(err, errlen, "PNG size differs from the expected size");
        return VZ_ERR_ARGUMENT;
    }
    int color_type = png_get_color_type(png, info);
    int interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
    png_set_expand(png);            /* palette → RGB, low-bit gray → 8 bit, tRNS → alpha */
    png_set_strip_16(png);          /* 16 → 8 bit by keeping the high byte (as Pillow's ";16B" unpackers) */
    if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int channels = png_get_channels(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if (png_get_bit_depth(png, info) != 8 || (channels != 3 && channels != 4) ||
        rowbytes != (size_t)width * (size_t)channels) {
        png_destroy_read_struct(&png, &info, NULL);
        set_err(err, errlen, "unexpected PNG row layout after transforms");
        return VZ_ERR_UNSUPPORTED;
    }
    const size_t stride = (size_t)width * 3;
    if (channels == 3) {
        if (interlaced) {
            rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)height);
            if (!rows) png_error(png, "out of memory");
            for (int y = 0; y < height; y++) rows[y] = rgb + (size_t)y * stride;
            png_read_image(png, rows);
        } else {
            for (int y = 0; y < height; y++) png_read_row(png, rgb + (size_t)y * stride, NULL);
        }
    } else if (!interlaced) {
        scratch = (uint8_t *)malloc(rowbytes);
        if (!scratch) png_error(png, "out of memory");
        for (int y = 0; y < height; y++) {
            png_read_row(png, scratch, NULL);
            composite_row(scratch, rgb + (size_t)y * stride, width, bg_r, bg_g, bg_b);
        }
    } else {
        scratch = (uint8_t *)malloc(rowbytes * (size_t)height);
        rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)height);
        if (!scratch || !rows) png_error(png, "out of memory");
        for (int y = 0; y < height; y++) rows[y] = scratch + (size_t)y * rowbytes;
        (void)passes;
        png_read_image(png, rows);
        for (int y = 0; y < height; y++) composite_row(rows[y], rgb + (size_t)y * stride, width, bg_r, bg_g, bg_b);
    }
    /* The trailing chunks (after the image data) are not read: like Pillow, a file whose pixel data is
       complete decodes even if IEND is missing. */
    png_destroy_read_struct(&png, &info, NULL);
    free(scratch);
    free(rows);
    return VZ_OK;
}

int vz_png_decode_labels(const uint8_t *data, size_t size, int width, int height, uint8_t *labels,
                         char *err, size_t errlen) {
    vz_png_reader r = { data, size, 0, 0, 0, {0} };
    png_infop info = NULL;
    png_bytep *volatile rows = NULL;
    if (!data || size == 0 || !labels) { set_err(err, errlen, "no data or no output buffer"); return VZ_ERR_ARGUMENT; }
    png_structp png = vz_png_create_read(&r, &info);
    if (!png) { set_err(err, errlen, "out of memory"); return VZ_ERR_NOMEM; }
    if (setjmp(png_jmpbuf(png))) {
        int status = png_fail(&r, err, errlen);
        png_destroy_read_struct(&png, &info, NULL);
        free(rows);
        return status;
    }
    png_read_info(png, info);
    if ((int)png_get_image_width(png, info) != width || (int)png_get_image_height(png, info) != height) {
        png_destroy_read_struct(&png, &info, NULL);
        set_err(err, errlen, "PNG size differs from the expected size");
        return VZ_ERR_ARGUMENT;
    }
    int color_type = png_get_color_type(png, info);
    if (color_type != PNG_COLOR_TYPE_PALETTE && color_type != PNG_COLOR_TYPE_GRAY) {
        png_destroy_read_struct(&png, &info, NULL);
        set_err(err, errlen, "a label map must be a gray or palette PNG (one class index per pixel)");
        return VZ_ERR_UNSUPPORTED;
    }
    int bit_depth = png_get_bit_depth(png, info);
    if (bit_depth == 16) {
        png_destroy_read_struct(&png, &info, NULL);
        set_err(err, errlen, "16-bit label maps are not supported (class indices must fit 8 bits)");
        return VZ_ERR_UNSUPPORTED;
    }
    if (bit_depth < 8) png_set_packing(png);   /* 1/2/4-bit indices or gray values to one byte each, unscaled */
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)width) {
        png_destroy_read_struct(&png, &info, NULL);
        set_err(err, errlen, "unexpected PNG row layout after transforms");
        return VZ_ERR_UNSUPPORTED;
    }
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)height);
    if (!rows) png_error(png, "out of memory");
    for (int y = 0; y < height; y++) rows[y] = labels + (size_t)y * (size_t)width;
    png_read_image(png, rows);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    return VZ_OK;
}

typedef struct {
    uint8_t *data;
    size_t size, capacity;
    int failed;
} vz_png_writer;

static void vz_png_write(png_structp png, png_bytep in, png_size_t length) {
    vz_png_writer *w = (vz_png_writer *)png_get_io_ptr(png);
    if (length > w->capacity - w->size) {
        size_t cap = w->capacity ? w->capacity : 4096;
        while (cap - w->size < length) {
            if (cap > (SIZE_MAX >> 1)) { w->failed = 1; png_error(png, "out of memory"); }
            cap *= 2;
        }
        uint8_t *p = (uint8_t *)realloc(w->data, cap);
        if (!p) { w->failed = 1; png_error(png, "out of memory"); }
        w->data = p;
        w->capacity = cap;
    }
    memcpy(w->data + w->size, in, length);
    w->size += length;
}

static void vz_png_flush(png_structp png) { (void)png; }

static void vz_png_write_error(png_structp png, png_const_charp msg) {
    char *buf = (char *)png_get_error_ptr(png);
    if (buf) set_err(buf, 256, msg ? msg : "PNG encode error");
    png_longjmp(png, 1);
}

int vz_png_encode_rgb(const uint8_t *rgb, int width, int height, uint8_t **out, size_t *out_size,
                      char *err, size_t errlen) {
    char message[256] = {0};
    vz_png_writer w = { NULL, 0, 0, 0 };
    png_infop info = NULL;
    if (!rgb || !out || !out_size || width <= 0 || height <= 0) {
        set_err(err, errlen, "PNG encode: zero size or null buffer");
        return VZ_ERR_ARGUMENT;
    }
    *out = NULL; *out_size = 0;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, message, vz_png_write_error, vz_png_warning);
    if (!png) { set_err(err, errlen, "out of memory"); return VZ_ERR_NOMEM; }
    info = png_create_info_struct(png);
    if (!info) { png_destroy_write_struct(&png, NULL); set_err(err, errlen, "out of memory"); return VZ_ERR_NOMEM; }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(w.data);
        set_err(err, errlen, message[0] ? message : "PNG encode error");
        return w.failed ? VZ_ERR_NOMEM : VZ_ERR_CORRUPT;
    }
    png_set_write_fn(png, &w, vz_png_write, vz_png_flush);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 6);
    png_write_info(png, info);
    const size_t stride = (size_t)width * 3;
    for (int y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(rgb + (size_t)y * stride));
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    *out = w.data;
    *out_size = w.size;
    return VZ_OK;
}

void vz_free(void *p) { free(p); }

/* ---- WebP (libwebp) ---- */

int vz_webp_info(const uint8_t *data, size_t size, vz_webp_info_t *out, char *err, size_t errlen) {
    WebPBitstreamFeatures f;
    VP8StatusCode s = WebPGetFeatures(data, size, &f);
    if (s == VP8_STATUS_NOT_ENOUGH_DATA) { set_err(err, errlen, "WebP header truncated"); return VZ_ERR_TRUNCATED; }
    if (s == VP8_STATUS_UNSUPPORTED_FEATURE) { set_err(err, errlen, "unsupported WebP feature"); return VZ_ERR_UNSUPPORTED; }
    if (s != VP8_STATUS_OK) { set_err(err, errlen, "not a valid WebP header"); return VZ_ERR_CORRUPT; }
    out->width = f.width;
    out->height = f.height;
    out->has_alpha = f.has_alpha;
    out->has_animation = f.has_animation;
    out->lossless = f.format == 2;
    return VZ_OK;
}

int vz_webp_decode_rgb(const uint8_t *data, size_t size, int width, int height, uint8_t *rgb,
                       uint8_t bg_r, uint8_t bg_g, uint8_t bg_b, char *err, size_t errlen) {
    vz_webp_info_t info;
    int st = vz_webp_info(data, size, &info, err, errlen);
    if (st != VZ_OK) return st;
    if (info.width != width || info.height != height || !rgb) { set_err(err, errlen, "size mismatch"); return VZ_ERR_ARGUMENT; }
    if (info.has_animation) { set_err(err, errlen, "animated WebP is not supported"); return VZ_ERR_UNSUPPORTED; }
    size_t stride = (size_t)width * 3;
    if (!info.has_alpha) {
        if (!WebPDecodeRGBInto(data, size, rgb, stride * (size_t)height, (int)stride)) {
            set_err(err, errlen, "WebP data corrupt or truncated");
            return VZ_ERR_CORRUPT;
        }
        return VZ_OK;
    }
    uint8_t *rgba = malloc((size_t)width * height * 4);
    if (!rgba) { set_err(err, errlen, "out of memory"); return VZ_ERR_NOMEM; }
    if (!WebPDecodeRGBAInto(data, size, rgba, (size_t)width * height * 4, width * 4)) {
        free(rgba);
        set_err(err, errlen, "WebP data corrupt or truncated");
        return VZ_ERR_CORRUPT;
    }
    for (int y = 0; y < height; y++)
        composite_row(rgba + (size_t)y * width * 4, rgb + (size_t)y * stride, width, bg_r, bg_g, bg_b);
    free(rgba);
    return VZ_OK;
}
