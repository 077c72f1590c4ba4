// dlib's own face landmark pipeline, as in dlib's
// examples/face_landmark_detection_ex.cpp: load each image with dlib's image
// loader, detect faces with the HOG frontal face detector (no upsampling),
// fit the 68-point shape predictor on the best detection, print JSON.
// Used to produce the reference landmarks that LGFaceLandmarksTests compare
// the Swift pipeline against (see README.md next to this file).
#include <dlib/image_io.h>
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>

#include <algorithm>
#include <iostream>

int main(int argc, char **argv) {
    if (argc < 3) {
        std::cerr << "usage: landmarks shape_predictor_68_face_landmarks.dat IMAGE.png...\n";
        return 2;
    }
    dlib::frontal_face_detector detector = dlib::get_frontal_face_detector();
    dlib::shape_predictor sp;
    dlib::deserialize(argv[1]) >> sp;
    std::cout << "[\n";
    for (int i = 2; i < argc; ++i) {
        dlib::array2d<dlib::rgb_pixel> img;
        dlib::load_image(img, argv[i]);
        std::vector<dlib::rect_detection> dets;
        detector(img, dets, 0.0);
        std::sort(dets.begin(), dets.end(), [](const auto &a, const auto &b) {
            return a.detection_confidence > b.detection_confidence;
        });
        std::string name = argv[i];
        name = name.substr(name.find_last_of('/') + 1);
        std::cout << "  {\"image\": \"" << name << "\", \"faces\": " << dets.size();
        if (!dets.empty()) {
            const auto &r = dets[0].rect;
            std::cout << ", \"rect\": [" << r.left() << ", " << r.top() << ", " << r.right() << ", " << r.bottom()
                      << "], \"landmarks\": [";
            dlib::full_object_detection shape = sp(img, r);
            for (unsigned long k = 0; k < shape.num_parts(); ++k) {
                std::cout << (k ? ", " : "") << "[" << shape.part(k).x() << ", " << shape.part(k).y() << "]";
            }
            std::cout << "]";
        }
        std::cout << "}" << (i + 1 < argc ? "," : "") << "\n";
    }
    std::cout << "]\n";
    return 0;
}
