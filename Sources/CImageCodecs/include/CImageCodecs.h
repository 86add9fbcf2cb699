#ifndef CIMAGECODECS_H
#define CIMAGECODECS_H
/* Safe wrappers around libjpeg and libpng: every libjpeg/libpng error returns through setjmp/longjmp
   as an error code and message instead of calling exit(). */
#endif
