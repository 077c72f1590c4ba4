// dlib behind a C interface (see include/dlib_shim.h).
#include "dlib_shim.h"

#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct lg_dlib_landmarker {
    dlib::shape_predictor predictor;           // read-only once loaded
    dlib::frontal_face_detector prototype;
    std::vector<dlib::frontal_face_detector *> idle; // the detector keeps scratch state:
    std::mutex pool_lock;                            // one per concurrent caller

    ~lg_dlib_landmarker() {
        for (auto *d : idle) delete d;
    }
    dlib::frontal_face_detector *take() {
        std::lock_guard<std::mutex> guard(pool_lock);
        if (idle.empty()) return new dlib::frontal_face_detector(prototype);
        auto *d = idle.back();
        idle.pop_back();
        return d;
    }
    void give(dlib::frontal_face_detector *d) {
        std::lock_guard<std::mutex> guard(pool_lock);
        idle.push_back(d);
    }
};

namespace {

void set_error(char *err, size_t len, const std::string &message) {
    if (!err || len == 0) return;
    size_t n = std::min(len - 1, message.size());
    std::memcpy(err, message.data(), n);
    err[n] = 0;
}

dlib::array2d<dlib::rgb_pixel> to_image(const unsigned char *rgb, int h, int w) {
    dlib::array2d<dlib::rgb_pixel> img(h, w);
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
            const unsigned char *p = rgb + (static_cast<size_t>(y) * w + x) * 3;
            img[y][x] = dlib::rgb_pixel(p[0], p[1], p[2]);
        }
    }
    return img;
}

} // namespace

extern "C" lg_dlib_landmarker *lg_dlib_create(const char *predictor_path, char *err, size_t err_len) {
    try {
        auto *h = new lg_dlib_landmarker();
        h->prototype = dlib::get_frontal_face_detector();
        dlib::deserialize(predictor_path) >> h->predictor;
        if (h->predictor.num_parts() == 0) {
            delete h;
            set_error(err, err_len, "the shape predictor has no parts");
            return nullptr;
        }
        return h;
    } catch (const std::exception &e) {
        set_error(err, err_len, e.what());
    } catch (...) {
        set_error(err, err_len, "unknown dlib error");
    }
    return nullptr;
}

extern "C" void lg_dlib_destroy(lg_dlib_landmarker *handle) { delete handle; }

extern "C" int lg_dlib_num_parts(const lg_dlib_landmarker *handle) {
    return static_cast<int>(handle->predictor.num_parts());
}

extern "C" int lg_dlib_detect(lg_dlib_landmarker *handle, const unsigned char *rgb, int h, int w, int upsample,
                              double *rects, double *scores, int max_faces, char *err, size_t err_len) {
    try {
        auto img = to_image(rgb, h, w);
        dlib::pyramid_down<2> pyr;
        for (int i = 0; i < upsample; ++i) dlib::pyramid_up(img, pyr);
        std::vector<dlib::rect_detection> found;
        {
            std::unique_ptr<dlib::frontal_face_detector, std::function<void(dlib::frontal_face_detector *)>> detector(
                handle->take(), [handle](dlib::frontal_face_detector *d) { handle->give(d); });
            (*detector)(img, found, 0.0);
        }
        std::sort(found.begin(), found.end(),
                  [](const dlib::rect_detection &a, const dlib::rect_detection &b) {
                      return a.detection_confidence > b.detection_confidence;
                  });
        int n = static_cast<int>(found.size());
        for (int i = 0; i < std::min(n, max_faces); ++i) {
            // Map back to the input image as dlib's Python binding does.
            const dlib::rectangle r = upsample > 0 ? dlib::rectangle(pyr.rect_down(found[i].rect, upsample)) : found[i].rect;
            rects[4 * i + 0] = static_cast<double>(r.left());
            rects[4 * i + 1] = static_cast<double>(r.top());
            rects[4 * i + 2] = static_cast<double>(r.right());
            rects[4 * i + 3] = static_cast<double>(r.bottom());
            scores[i] = found[i].detection_confidence;
        }
        return n;
    } catch (const std::exception &e) {
        set_error(err, err_len, e.what());
    } catch (...) {
        set_error(err, err_len, "unknown dlib error");
    }
    return -1;
}

extern "C" int lg_dlib_landmarks(lg_dlib_landmarker *handle, const unsigned char *rgb, int h, int w,
                                 const double *rect, double *xy, char *err, size_t err_len) {
    try {
        auto img = to_image(rgb, h, w);
        dlib::rectangle r(static_cast<long>(std::lround(rect[0])), static_cast<long>(std::lround(rect[1])),
                          static_cast<long>(std::lround(rect[2])), static_cast<long>(std::lround(rect[3])));
        dlib::full_object_detection shape = handle->predictor(img, r);
        for (unsigned long i = 0; i < shape.num_parts(); ++i) {
            xy[2 * i] = static_cast<double>(shape.part(i).x());
            xy[2 * i + 1] = static_cast<double>(shape.part(i).y());
        }
        return 0;
    } catch (const std::exception &e) {
        set_error(err, err_len, e.what());
    } catch (...) {
        set_error(err, err_len, "unknown dlib error");
    }
    return -1;
}
