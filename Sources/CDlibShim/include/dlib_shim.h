// A small C interface to dlib's HOG frontal face detector and its
// regression-tree shape predictor (the 68-point landmark model).
// No C++ exception crosses this boundary: every call reports failures through
// its return value and an error buffer.
#ifndef LG_DLIB_SHIM_H
#define LG_DLIB_SHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lg_dlib_landmarker lg_dlib_landmarker;

/// Loads a shape predictor (.dat) and builds the frontal face detector.
/// Returns NULL and writes a message into `err` when the file cannot be read.
lg_dlib_landmarker *lg_dlib_create(const char *predictor_path, char *err, size_t err_len);

void lg_dlib_destroy(lg_dlib_landmarker *handle);

/// Number of landmark points of the loaded model (68 for the iBUG model).
int lg_dlib_num_parts(const lg_dlib_landmarker *handle);

/// Detects faces in an RGB image (h x w x 3, row-major, 8-bit), upsampling the
/// image `upsample` times first (as dlib's examples do). Writes up to
/// `max_faces` rectangles (left, top, right, bottom, inclusive pixel
/// coordinates) into `rects` (4 per face) and their detection scores into
/// `scores`, best first. Returns the number of faces found (may exceed
/// max_faces), or -1 on error (message in `err`).
int lg_dlib_detect(lg_dlib_landmarker *handle, const unsigned char *rgb, int h, int w, int upsample,
                   double *rects, double *scores, int max_faces, char *err, size_t err_len);

/// Fits the landmarks inside `rect` (left, top, right, bottom). Writes
/// 2 * num_parts values (x0, y0, x1, y1, ...) in pixel coordinates into `xy`.
/// Returns 0, or -1 on error (message in `err`).
int lg_dlib_landmarks(lg_dlib_landmarker *handle, const unsigned char *rgb, int h, int w,
                      const double *rect, double *xy, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif
