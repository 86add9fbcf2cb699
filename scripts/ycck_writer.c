/* Dev-only fixture helper for scripts/make_image_corpus.py: writes a YCCK JPEG (Adobe APP14 transform 2),
 * which Pillow cannot produce. Usage: ycck_writer WIDTH HEIGHT QUALITY IN.cmyk OUT.jpg
 * IN.cmyk holds WIDTH*HEIGHT*4 bytes of CMYK samples as they are to be stored (Adobe convention: inverted).
 * Build: cc scripts/ycck_writer.c -ljpeg -o /tmp/ycck_writer (libjpeg62-turbo-dev). */
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>

int main(int argc, char **argv) {
    if (argc != 6) { fprintf(stderr, "usage: %s W H QUALITY in.cmyk out.jpg\n", argv[0]); return 2; }
    int w = atoi(argv[1]), h = atoi(argv[2]), q = atoi(argv[3]);
    size_t n = (size_t)w * h * 4;
    unsigned char *buf = malloc(n);
    FILE *in = fopen(argv[4], "rb");
    if (!buf || !in || fread(buf, 1, n, in) != n) { fprintf(stderr, "cannot read %s\n", argv[4]); return 1; }
    fclose(in);
    FILE *out = fopen(argv[5], "wb");
    if (!out) { fprintf(stderr, "cannot write %s\n", argv[5]); return 1; }
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, out);
    c.image_width = w; c.image_height = h; c.input_components = 4; c.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&c);
    jpeg_set_colorspace(&c, JCS_YCCK);
    jpeg_set_quality(&c, q, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = buf + (size_t)c.next_scanline * w * 4;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(out);
    free(buf);
    return 0;
}
