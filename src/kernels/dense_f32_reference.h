// Plain reference kernel for Keras Dense / tf.matmul on the last axis.
#pragma once
#include <cstdint>

namespace qkw {

// y[r][u] = (sum_{i=0..in-1} x[r][i] * kernel[i][u]) + bias[u]
// The sum starts from 0 and adds products in ascending i (float32, sequential); the bias is
// added to the finished sum, as tf.matmul followed by bias_add does. bias may be nullptr.
// kernel is Keras's (in, units) layout. y must not alias x.
void dense_f32_reference(const float* x, int64_t rows, int64_t in, const float* kernel, int64_t units,
                         const float* bias, float* y);

}  // namespace qkw
