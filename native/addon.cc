// Registers the exports and nothing more: the kernels live in kernels/, argument checking in bindings/.
#include <napi.h>

#include "bindings/register.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  sn::RegisterThreads(env, exports);
  sn::RegisterIm2col(env, exports);
  sn::RegisterConvolution(env, exports);
  sn::RegisterConvReluPool(env, exports);
  sn::RegisterAffine(env, exports);
  sn::RegisterPooling(env, exports);
  sn::RegisterActivation(env, exports);
  sn::RegisterSoftmaxLoss(env, exports);
  sn::RegisterDropout(env, exports);
  sn::RegisterBatchNorm(env, exports);
  sn::RegisterElementwise(env, exports);
  sn::RegisterGather(env, exports);
  sn::RegisterOptimizers(env, exports);
  return exports;
}

NODE_API_MODULE(scratchnet_native, Init)
