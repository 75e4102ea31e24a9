// Each bindings/*.cc file adds its functions to the exports object; addon.cc calls them all.
#pragma once
#include <napi.h>

namespace sn {
void RegisterThreads(Napi::Env env, Napi::Object exports);      // threads.cc: setNumThreads, getNumThreads, info
void RegisterIm2col(Napi::Env env, Napi::Object exports);       // im2col.cc: im2col, col2im
void RegisterConvolution(Napi::Env env, Napi::Object exports);  // convolution.cc: convForward, convBackward
void RegisterConvReluPool(Napi::Env env, Napi::Object exports);  // conv_relu_pool.cc: convReluPool*
void RegisterAffine(Napi::Env env, Napi::Object exports);       // affine.cc: affineForward, affineBackward
void RegisterPooling(Napi::Env env, Napi::Object exports);      // pooling.cc: poolForward, poolBackward
void RegisterActivation(Napi::Env env, Napi::Object exports);   // activation.cc: relu*, sigmoid*
void RegisterSoftmaxLoss(Napi::Env env, Napi::Object exports);  // softmax_loss.cc
void RegisterDropout(Napi::Env env, Napi::Object exports);      // dropout.cc
void RegisterBatchNorm(Napi::Env env, Napi::Object exports);    // batchnorm.cc
void RegisterElementwise(Napi::Env env, Napi::Object exports);  // elementwise.cc: axpy, scale
void RegisterGather(Napi::Env env, Napi::Object exports);       // gather.cc: gatherBytes
void RegisterOptimizers(Napi::Env env, Napi::Object exports);   // optimizers.cc: *Update
}  // namespace sn
