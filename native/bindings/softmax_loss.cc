// softmaxCrossEntropyForward, softmaxCrossEntropyBackward
#include "kernels/softmax_loss.h"

#include "bindings/args.h"
#include "bindings/register.h"
#include "simd/target.h"

SN_BEGIN_TARGET
namespace {

Napi::Value SoftmaxCrossEntropyForward(const Napi::CallbackInfo& info) {
  const char* fn = "softmaxCrossEntropyForward";
  CheckArgCount(info, fn, 5);
  int64_t n = IntArg(info, 2, fn, "n", 1);
  int64_t k = IntArg(info, 3, fn, "k", 1);
  uint64_t nk = Product(info.Env(), fn, {n, k});
  const float* x = F32Arg(info, 0, fn, "x", nk);
  LabelsView labels = LabelsArg(info, 1, fn, n, k);
  float* probs = F32Arg(info, 4, fn, "probs", nk);
  double loss = labels.index ? softmax_cross_entropy_forward_index(x, labels.index, n, k, probs)
                             : softmax_cross_entropy_forward_dense(x, labels.dense, n, k, probs);
  return Napi::Number::New(info.Env(), loss);
}

Napi::Value SoftmaxCrossEntropyBackward(const Napi::CallbackInfo& info) {
  const char* fn = "softmaxCrossEntropyBackward";
  CheckArgCount(info, fn, 6);
  int64_t n = IntArg(info, 2, fn, "n", 1);
  int64_t k = IntArg(info, 3, fn, "k", 1);
  uint64_t nk = Product(info.Env(), fn, {n, k});
  const float* probs = F32Arg(info, 0, fn, "probs", nk);
  LabelsView labels = LabelsArg(info, 1, fn, n, k);
  float scale = float(NumberArg(info, 4, fn, "scale"));
  float* dx = F32Arg(info, 5, fn, "dx", nk);
  if (labels.index) {
    softmax_cross_entropy_backward_index(probs, labels.index, n, k, scale, dx);
  } else {
    softmax_cross_entropy_backward_dense(probs, labels.dense, n, k, scale, dx);
  }
  return info.Env().Undefined();
}

}  // namespace

void RegisterSoftmaxLoss(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "softmaxCrossEntropyForward", SoftmaxCrossEntropyForward);
  Export(env, exports, "softmaxCrossEntropyBackward", SoftmaxCrossEntropyBackward);
}

SN_END_TARGET
