// Each bindings/*.cc file adds its functions to an exports object. threads.cc is compiled once
// and fills the addon's own exports; the others are compiled once per SIMD target and fill
// that target's object (bindings/target.cc gathers them); addon.cc calls both.
#pragma once
#include <napi.h>

namespace sn {
void RegisterThreads(Napi::Env env, Napi::Object exports);  // threads.cc: setNumThreads, getNumThreads, targets
}  // namespace sn

#if defined(SN_TARGET)
#include "simd/target.h"

SN_BEGIN_TARGET
Napi::Object RegisterTarget(Napi::Env env);                     // target.cc: all of the below, plus info, setGemm, fmaPeak
void RegisterIm2col(Napi::Env env, Napi::Object exports);       // im2col.cc: im2col, col2im
void RegisterConvolution(Napi::Env env, Napi::Object exports);  // convolution.cc: convForward, convBackward
void RegisterConvReluPool(Napi::Env env, Napi::Object exports);  // conv_relu_pool.cc: convReluPool*
void RegisterConvRelu(Napi::Env env, Napi::Object exports);     // conv_relu.cc: convReluForward, convReluBackward
void RegisterConvChain(Napi::Env env, Napi::Object exports);    // conv_chain.cc: convChainForward
void RegisterAffine(Napi::Env env, Napi::Object exports);       // affine.cc: affineForward, affineBackward
void RegisterPooling(Napi::Env env, Napi::Object exports);      // pooling.cc: poolForward, poolBackward
void RegisterActivation(Napi::Env env, Napi::Object exports);   // activation.cc: relu*, sigmoid*
void RegisterSoftmaxLoss(Napi::Env env, Napi::Object exports);  // softmax_loss.cc
void RegisterDropout(Napi::Env env, Napi::Object exports);      // dropout.cc
void RegisterBatchNorm(Napi::Env env, Napi::Object exports);    // batchnorm.cc
void RegisterElementwise(Napi::Env env, Napi::Object exports);  // elementwise.cc: axpy, scale
void RegisterGather(Napi::Env env, Napi::Object exports);       // gather.cc: gatherBytes
void RegisterAugment(Napi::Env env, Napi::Object exports);      // augment.cc: augmentBytes
void RegisterOptimizers(Napi::Env env, Napi::Object exports);   // optimizers.cc: *Update
SN_END_TARGET
#endif
