// SIFT keypoints and RootSIFT descriptors through Debian's OpenCV (features2d), behind a plain C
// ABI. C++ exceptions never cross into Rust: every entry point catches them and reports the
// message through `err`.
#include <opencv2/core.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>

// `scale` resizes the image before detection (keypoints come back in the input's pixels).
extern "C" int glint_sift_extract(const unsigned char* gray, int width, int height, float scale,
                                  int max_features, float* points, float* descriptors, char* err,
                                  int err_len) {
    try {
        // The pixels are borrowed, not copied: the Mat does not own `gray`.
        cv::Mat input(height, width, CV_8UC1, const_cast<unsigned char*>(gray));
        cv::Mat image = input;
        if (scale != 1.0f) {
            cv::resize(input, image, cv::Size(), scale, scale, scale > 1.0f ? cv::INTER_CUBIC : cv::INTER_AREA);
        }
        cv::Ptr<cv::SIFT> sift = cv::SIFT::create(max_features);
        std::vector<cv::KeyPoint> keypoints;
        cv::Mat desc;
        sift->detectAndCompute(image, cv::noArray(), keypoints, desc);
        int n = std::min<int>(static_cast<int>(keypoints.size()), max_features);
        for (int i = 0; i < n; ++i) {
            points[2 * i] = keypoints[i].pt.x / scale;
            points[2 * i + 1] = keypoints[i].pt.y / scale;
            // RootSIFT (Arandjelovic & Zisserman 2012): L1-normalise, then square-root; the
            // result has unit L2 norm, so Euclidean distance compares Hellinger kernels.
            const float* row = desc.ptr<float>(i);
            float sum = 1e-7f;
            for (int j = 0; j < 128; ++j) sum += std::fabs(row[j]);
            for (int j = 0; j < 128; ++j) descriptors[128 * i + j] = std::sqrt(std::fabs(row[j]) / sum);
        }
        return n;
    } catch (const std::exception& e) {
        std::strncpy(err, e.what(), err_len - 1);
        err[err_len - 1] = 0;
        return -1;
    } catch (...) {
        std::strncpy(err, "unknown C++ exception", err_len - 1);
        err[err_len - 1] = 0;
        return -1;
    }
}
