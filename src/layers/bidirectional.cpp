// QBidirectional and Keras Bidirectional (tf-keras layers/rnn/bidirectional.py; QBidirectional
// only adds get_quantizers): two RNN layers over the same input,
//   y     = forward(x)
//   y_rev = backward(x)        backward = the forward config with go_backwards flipped, or the
//                              separately given backward_layer
//   if return_sequences: y_rev = reverse(y_rev, time)
//   concat: [y, y_rev] (last axis) | sum: y + y_rev | ave: (y + y_rev) / 2 | mul: y * y_rev
//   None: two outputs, y (#0) and y_rev (#1)
//   return_state: the outputs above, then the forward layer's final states, then the backward's.
// trace({steps: true}) records each direction's steps under "forward" and "backward", in that
// direction's processing order (the backward outputs before the time reversal).
// Both sublayers get zero_output_for_mask = return_sequences and the same mask. Weights: the
// forward layer's variables, then the backward layer's (file order), each mapped by role.
#include <algorithm>

#include "layers/analysis_rules.h"
#include "layers/layer_config.h"
#include "layers/layer_factories.h"
#include "layers/recurrent.h"

namespace qkw {

namespace {

enum class MergeMode { Concat, Sum, Ave, Mul, None };

class BidirectionalLayer : public Layer {
 public:
  BidirectionalLayer(const LayerContext& ctx, RecurrentSequence fwd, RecurrentSequence bwd, MergeMode mode, bool masked,
                     float maskValue)
      : Layer(ctx.name, ctx.className),
        prefix_(ctx.errorPrefix()),
        fwd_(std::move(fwd)),
        bwd_(std::move(bwd)),
        mode_(mode),
        masked_(masked),
        maskValue_(maskValue) {}

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    if (inputShapes.size() != (masked_ ? 2u : 1u)) throw Error(prefix_ + "expects exactly one input");
    Shape a = fwd_.outputShape(inputShapes[0]);
    Shape b = bwd_.outputShape(inputShapes[0]);
    if (mode_ == MergeMode::Concat) {
      a.back() += b.back();
      return a;
    }
    if (mode_ == MergeMode::None) return a;
    if (a != b)
      throw Error(prefix_ + "forward output " + shapeToString(a) + " and backward output " + shapeToString(b) +
                  " must match for this merge_mode");
    return a;
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& x = *inputs[0];
    std::vector<unsigned char> mask;
    if (masked_) mask = maskFromSource(*inputs[1], x.shape[1], maskValue_);
    const std::vector<unsigned char>* m = masked_ ? &mask : nullptr;
    const int64_t batch = x.shape[0], T = x.shape[1];
    const int64_t uf = fwd_.cell.units, ub = bwd_.cell.units;
    const int64_t rows = fwd_.returnSequences ? batch * T : batch;
    y_.resize(rows * uf);
    yRev_.resize(rows * ub);
    std::vector<std::vector<float>> fs, bs;
    qkw::Json* fwdSteps = nullptr;
    qkw::Json* bwdSteps = nullptr;
    if (recordSteps_) {
      steps_ = {{"forward", fwd_.stepsRecord(batch)}, {"backward", bwd_.stepsRecord(batch)}};
      fwdSteps = &steps_["forward"]["steps"];
      bwdSteps = &steps_["backward"]["steps"];
    }
    fwd_.run(x, m, y_.data(), fwd_.returnState ? &fs : nullptr, fwdSteps);
    bwd_.run(x, m, yRev_.data(), bwd_.returnState ? &bs : nullptr, bwdSteps);
    extras_.clear();
    if (bwd_.returnSequences) {  // reverse the backward sequence in time
      rev_.resize(yRev_.size());
      for (int64_t r = 0; r < batch; ++r)
        for (int64_t t = 0; t < T; ++t)
          std::copy_n(yRev_.data() + (r * T + t) * ub, ub, rev_.data() + (r * T + (T - 1 - t)) * ub);
      yRev_.swap(rev_);
    }
    float* out = output.data.data();
    if (mode_ == MergeMode::None) {
      std::copy(y_.begin(), y_.end(), out);
      Tensor back;
      back.shape = output.shape;
      back.data = yRev_;
      extras_.push_back(std::move(back));
    }
    for (auto* states : {&fs, &bs})
      for (std::vector<float>& st : *states) {
        Tensor t;
        t.shape = {batch, static_cast<int64_t>(st.size()) / batch};
        t.data = std::move(st);
        extras_.push_back(std::move(t));
      }
    if (mode_ == MergeMode::None) return;
    for (int64_t r = 0; r < rows; ++r) {
      const float* a = y_.data() + r * uf;
      const float* b = yRev_.data() + r * ub;
      switch (mode_) {
        case MergeMode::Concat:
          std::copy_n(a, uf, out + r * (uf + ub));
          std::copy_n(b, ub, out + r * (uf + ub) + uf);
          break;
        case MergeMode::Sum:
          for (int64_t j = 0; j < uf; ++j) out[r * uf + j] = a[j] + b[j];
          break;
        case MergeMode::Ave:
          for (int64_t j = 0; j < uf; ++j) out[r * uf + j] = (a[j] + b[j]) / 2.0f;
          break;
        case MergeMode::Mul:
          for (int64_t j = 0; j < uf; ++j) out[r * uf + j] = a[j] * b[j];
          break;
        case MergeMode::None:
          break;
      }
    }
  }

  std::vector<QuantizerSlot> quantizers() const override {
    std::vector<QuantizerSlot> all;
    for (const QuantizerSlot& s : fwd_.cell.slots) all.push_back({"forward_layer." + s.slot, s.quantizer});
    for (const QuantizerSlot& s : bwd_.cell.slots) all.push_back({"backward_layer." + s.slot, s.quantizer});
    return all;
  }
  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override {
    static const char* const kModes[] = {"concat", "sum", "ave", "mul", "None"};
    return recurrentOutputRule(ctx, fwd_, true, kModes[static_cast<int>(mode_)]);
  }
  std::vector<WeightInput> effectiveWeights() const override {
    std::vector<WeightInput> w;
    int index = 0;
    for (const RecurrentSequence* seq : {&fwd_, &bwd_}) {
      const RecurrentCell& c = seq->cell;
      w.push_back({"kernel", index++, c.kernel});
      w.push_back({"recurrent_kernel", index++, c.recurrentKernel});
      if (!c.bias.data.empty()) {
        Tensor b = c.bias;
        if (c.resetAfter) {
          b.shape = {2, b.shape[0]};
          b.data.insert(b.data.end(), c.recurrentBias.data.begin(), c.recurrentBias.data.end());
        }
        w.push_back({"bias", index++, b});
      }
    }
    return w;
  }
  std::vector<std::string> extraOutputNames() const override {
    std::vector<std::string> names;
    if (mode_ == MergeMode::None) names.push_back("backward");
    for (const RecurrentSequence* seq : {&fwd_, &bwd_}) {
      if (!seq->returnState) continue;
      const char* dir = seq == &fwd_ ? "forward_" : "backward_";
      if (seq->cell.kind == CellKind::LSTM) {
        names.push_back(std::string(dir) + "state_h");
        names.push_back(std::string(dir) + "state_c");
      } else {
        names.push_back(std::string(dir) + "state");
      }
    }
    return names;
  }
  Shape extraOutputShape(size_t k, const Shape& mainOutputShape) const override {
    if (mode_ == MergeMode::None && k == 1) return mainOutputShape;
    const size_t firstState = mode_ == MergeMode::None ? 2 : 1;
    const size_t fwdStates = fwd_.returnState ? fwd_.cell.stateCount() : 0;
    return Shape{k - firstState < fwdStates ? fwd_.cell.units : bwd_.cell.units};
  }
  const Tensor* extraOutput(size_t k) const override { return k >= 1 && k <= extras_.size() ? &extras_[k - 1] : nullptr; }

  void setRecordSteps(bool on) const override {
    recordSteps_ = on;
    if (!on) steps_ = nullptr;
  }
  qkw::Json recordedSteps() const override { return recordSteps_ ? steps_ : qkw::Json(); }

  const RecurrentSequence& forwardSequence() const { return fwd_; }
  const RecurrentSequence& backwardSequence() const { return bwd_; }

 private:
  std::string prefix_;
  RecurrentSequence fwd_, bwd_;
  MergeMode mode_;
  bool masked_;
  float maskValue_;
  mutable std::vector<float> y_, yRev_, rev_;
  mutable std::vector<Tensor> extras_;  // extra outputs of the last forward()
  mutable bool recordSteps_ = false;
  mutable qkw::Json steps_;        // trace({steps: true}) record of the last forward()
};

std::string innerClassName(const qkw::Json& inner) {
  std::string c = inner.value("class_name", "");
  const size_t gt = c.rfind('>');
  return gt == std::string::npos ? c : c.substr(gt + 1);
}

}  // namespace

LayerPtr makeBidirectionalLayer(const LayerContext& ctx) {
  const qkw::Json* layer = ctx.find("layer");
  if (!layer || !layer->is_object() || !layer->contains("config") || !(*layer)["config"].is_object())
    throw Error(ctx.errorPrefix() + "config has no wrapped 'layer' with class_name and config");
  const std::string fwdClass = innerClassName(*layer);
  if (!isRecurrentClass(fwdClass))
    throw Unsupported(ctx.errorPrefix() + "wraps a " + fwdClass +
                      "; only SimpleRNN/LSTM/GRU and QSimpleRNN/QLSTM/QGRU are supported inside Bidirectional");
  qkw::Json fwdConfig = (*layer)["config"];
  qkw::Json bwdConfig;
  std::string bwdClass;
  const qkw::Json* backward = ctx.find("backward_layer");
  if (backward && backward->is_object()) {
    if (!backward->contains("config") || !(*backward)["config"].is_object())
      throw Error(ctx.errorPrefix() + "'backward_layer' has no config");
    bwdClass = innerClassName(*backward);
    if (!isRecurrentClass(bwdClass))
      throw Unsupported(ctx.errorPrefix() + "backward_layer is a " + bwdClass + "; only (Q)SimpleRNN/LSTM/GRU are supported");
    bwdConfig = (*backward)["config"];
  } else {
    bwdClass = fwdClass;
    bwdConfig = fwdConfig;
    bwdConfig["go_backwards"] = !fwdConfig.value("go_backwards", false);
  }
  const bool returnSequences = fwdConfig.value("return_sequences", false);
  fwdConfig["zero_output_for_mask"] = returnSequences;
  bwdConfig["zero_output_for_mask"] = bwdConfig.value("return_sequences", false);

  const qkw::Json* mm = ctx.find("merge_mode");
  MergeMode mode = MergeMode::Concat;
  if (mm && mm->is_null()) mode = MergeMode::None;
  else if (mm) {
    const std::string m = mm->is_string() ? mm->get<std::string>() : "";
    if (m == "concat") mode = MergeMode::Concat;
    else if (m == "sum") mode = MergeMode::Sum;
    else if (m == "ave") mode = MergeMode::Ave;
    else if (m == "mul") mode = MergeMode::Mul;
    else throw Error(ctx.errorPrefix() + "unknown merge_mode " + mm->dump() + " (expected concat, sum, ave, mul)");
  }

  // Forward layer's variables first, then the backward layer's (file order).
  std::vector<WeightInput> sorted = ctx.weights;
  std::stable_sort(sorted.begin(), sorted.end(), [](const WeightInput& a, const WeightInput& b) { return a.index < b.index; });
  const size_t nf = sorted.size() / 2;
  std::vector<WeightInput> fw(sorted.begin(), sorted.begin() + nf), bw(sorted.begin() + nf, sorted.end());
  for (size_t i = 0; i < fw.size(); ++i) fw[i].index = static_cast<int>(i);
  for (size_t i = 0; i < bw.size(); ++i) bw[i].index = static_cast<int>(i);
  if (ctx.config.value("qkw_effective_weights", false)) {
    fwdConfig["qkw_effective_weights"] = true;
    bwdConfig["qkw_effective_weights"] = true;
  }

  const std::string fwdName = ctx.name + "/" + fwdConfig.value("name", std::string("forward"));
  const std::string bwdName = ctx.name + "/" + bwdConfig.value("name", std::string("backward"));
  LayerContext fctx{fwdName, fwdClass, fwdConfig, std::move(fw), ctx.quantizerOptions};
  LayerContext bctx{bwdName, bwdClass, bwdConfig, std::move(bw), ctx.quantizerOptions};
  RecurrentSequence fwd = makeRecurrentSequence(fctx);
  RecurrentSequence bwd = makeRecurrentSequence(bctx);
  ctx.adoptUsage(fctx);
  ctx.adoptUsage(bctx);
  if (fwd.goBackwards == bwd.goBackwards)
    throw Error(ctx.errorPrefix() + "forward and backward layers must have opposite go_backwards values");
  if (fwd.returnSequences != bwd.returnSequences)
    throw Error(ctx.errorPrefix() + "forward and backward layers must agree on return_sequences");

  const qkw::Json* mv = ctx.find("qkw_mask_value");
  const bool masked = mv && mv->is_number();
  return std::make_unique<BidirectionalLayer>(ctx, std::move(fwd), std::move(bwd), mode, masked,
                                              masked ? mv->get<float>() : 0.0f);
}

}  // namespace qkw
