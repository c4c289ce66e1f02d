// QSimpleRNN / QLSTM / QGRU (qkeras/qrecurrent.py, semantics §4.7) and Keras SimpleRNN / LSTM /
// GRU (tf-keras layers/rnn) at inference. Weights: K = q_k(kernel) (in, n·u), U = q_r(recurrent)
// (u, n·u), b = q_b(bias); q_k and q_r get the §1.6 alpha rewrite, q_b does not. Every product
// x·K and h·U is a float32 sum in ascending input index (dense_f32_reference), then:
//
//   h', c' = state_q(h), state_q(c)                          (QKeras only; previous states)
//   SimpleRNN:  h = act((x·K + b) + h'·U)
//   LSTM impl 1 (QLSTM default):  z = (x·K + b) + h'·U     impl 2 (Keras LSTM default): z = (x·K + h'·U) + b
//               i, f, g, o = ract(z_i), ract(z_f), act(z_c), ract(z_o)    (gate order i, f, c, o)
//               c = f·c' + i·g ;  h = o·act(c)             (h is a float product: not on a grid)
//   GRU (gate order z, r, h; both implementations give the same numbers):
//               xz, xr, xh = x·K + b_in
//               reset_after:  u = h'·U + b_rec ; z = ract(xz + u_z) ; r = ract(xr + u_r) ; hh = act(xh + r·u_h)
//               reset_before: z = ract(xz + (h'·U)_z) ; r = ract(xr + (h'·U)_r) ; hh = act(xh + (r·h')·U_h)
//               h = z·h' + (1 − z)·hh
//
// Defaults: QKeras act = quantized_tanh, ract = QKeras hard_sigmoid (slope 0.5), QLSTM/QGRU
// implementation 1, QGRU reset_after False. Keras act = tanh, ract = sigmoid, implementation 2,
// GRU reset_after True. A Keras LSTM with tanh/sigmoid/use_bias runs TF's standard_lstm, which
// is the implementation-2 order whatever the config says.
// QGRU quirk (qrecurrent.py, QGRUCell.call): without a recurrent_quantizer it multiplies h by
// the unquantized *input* kernel instead of the recurrent kernel; that runs only when
// input_dim == units and is replicated (with a warning note), otherwise QKeras fails and so do we.
//
// Sequence loop (tf-keras backend.rnn): zero initial states; go_backwards walks time in reverse
// and returns outputs in processing order; at a masked step the states stay, and the output is
// the previous step's output (zeros before any unmasked step) or zeros when zero_output_for_mask
// (set by Bidirectional to return_sequences). return_sequences gives (T, u), else the last output.
#include "layers/recurrent.h"

#include <algorithm>
#include <map>

#include "kernels/dense_f32_reference.h"
#include "layers/analysis_rules.h"
#include "layers/layer_config.h"
#include "layers/layer_factories.h"
#include "layers/layer_weights.h"

namespace qkw {

namespace {

void addInPlace(float* a, const float* b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) a[i] = a[i] + b[i];
}

// Adds bias (cols) to every row of m (rows, cols).
void addBiasRows(float* m, int64_t rows, int64_t cols, const float* bias) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) m[r * cols + c] = m[r * cols + c] + bias[c];
}

// Copies columns [c0, c0+n) of m (rows, cols) into dst (rows, n).
void copyColumns(const float* m, int64_t rows, int64_t cols, int64_t c0, int64_t n, float* dst) {
  for (int64_t r = 0; r < rows; ++r) std::copy(m + r * cols + c0, m + r * cols + c0 + n, dst + r * n);
}

void applyActivation(const ActivationFunction& f, float* data, int64_t rows, int64_t cols) {
  f.apply(data, data, Shape{rows, cols});
}

}  // namespace

void RecurrentCell::step(const float* x, int64_t batch, std::vector<std::vector<float>>& states, float* out,
                         Scratch& s) const {
  const int64_t u = units, G = static_cast<int64_t>(gates) * u, bu = batch * u;
  s.xk.resize(batch * G);
  s.hu.resize(batch * G);
  s.t.resize(batch * G);
  for (auto* v : {&s.g0, &s.g1, &s.g2, &s.g3, &s.q0, &s.q1, &s.rh}) v->resize(bu);

  // Previous states through the state quantizer (QKeras quantizes the whole (batch, units) tensor).
  const float* h = states[0].data();
  const float* c = kind == CellKind::LSTM ? states[1].data() : nullptr;
  if (stateQuantizer) {
    stateQuantizer->apply(states[0].data(), s.q0.data(), Shape{batch, u});
    h = s.q0.data();
    if (c) {
      stateQuantizer->apply(states[1].data(), s.q1.data(), Shape{batch, u});
      c = s.q1.data();
    }
  }

  dense_f32_reference(x, batch, inputDim, kernel.data.data(), G, nullptr, s.xk.data());
  dense_f32_reference(h, batch, u, recurrentKernel.data.data(), G, nullptr, s.hu.data());
  const float* b = bias.data.empty() ? nullptr : bias.data.data();

  switch (kind) {
    case CellKind::SimpleRNN: {
      if (b) addBiasRows(s.xk.data(), batch, u, b);
      addInPlace(s.xk.data(), s.hu.data(), bu);
      applyActivation(activation, s.xk.data(), batch, u);
      std::copy(s.xk.begin(), s.xk.begin() + bu, out);
      std::copy(out, out + bu, states[0].begin());
      return;
    }
    case CellKind::LSTM: {
      float* z = s.xk.data();
      if (implementation == 1) {
        if (b) addBiasRows(z, batch, G, b);
        addInPlace(z, s.hu.data(), batch * G);
      } else {
        addInPlace(z, s.hu.data(), batch * G);
        if (b) addBiasRows(z, batch, G, b);
      }
      copyColumns(z, batch, G, 0, u, s.g0.data());
      copyColumns(z, batch, G, u, u, s.g1.data());
      copyColumns(z, batch, G, 2 * u, u, s.g2.data());
      copyColumns(z, batch, G, 3 * u, u, s.g3.data());
      applyActivation(recurrentActivation, s.g0.data(), batch, u);  // i
      applyActivation(recurrentActivation, s.g1.data(), batch, u);  // f
      applyActivation(activation, s.g2.data(), batch, u);           // candidate
      applyActivation(recurrentActivation, s.g3.data(), batch, u);  // o
      std::vector<float>& cNew = states[1];
      for (int64_t k = 0; k < bu; ++k) {
        const float fc = s.g1[k] * c[k];
        const float ig = s.g0[k] * s.g2[k];
        s.rh[k] = fc + ig;
      }
      std::copy(s.rh.begin(), s.rh.end(), cNew.begin());
      std::copy(s.rh.begin(), s.rh.end(), s.t.begin());
      applyActivation(activation, s.t.data(), batch, u);
      for (int64_t k = 0; k < bu; ++k) out[k] = s.g3[k] * s.t[k];
      std::copy(out, out + bu, states[0].begin());
      return;
    }
    case CellKind::GRU: {
      float* xz = s.xk.data();
      if (b) addBiasRows(xz, batch, G, b);
      if (resetAfter && !recurrentBias.data.empty()) addBiasRows(s.hu.data(), batch, G, recurrentBias.data.data());
      for (int64_t r = 0; r < batch; ++r)
        for (int64_t j = 0; j < u; ++j) {
          s.g0[r * u + j] = xz[r * G + j] + s.hu[r * G + j];
          s.g1[r * u + j] = xz[r * G + u + j] + s.hu[r * G + u + j];
        }
      applyActivation(recurrentActivation, s.g0.data(), batch, u);  // z
      applyActivation(recurrentActivation, s.g1.data(), batch, u);  // r
      if (resetAfter) {
        for (int64_t r = 0; r < batch; ++r)
          for (int64_t j = 0; j < u; ++j) s.rh[r * u + j] = s.g1[r * u + j] * s.hu[r * G + 2 * u + j];
      } else {
        for (int64_t k = 0; k < bu; ++k) s.g3[k] = s.g1[k] * h[k];
        dense_f32_reference(s.g3.data(), batch, u, recurrentKernelH.data.data(), u, nullptr, s.rh.data());
      }
      for (int64_t r = 0; r < batch; ++r)
        for (int64_t j = 0; j < u; ++j) s.g2[r * u + j] = xz[r * G + 2 * u + j] + s.rh[r * u + j];
      applyActivation(activation, s.g2.data(), batch, u);  // hh
      for (int64_t k = 0; k < bu; ++k) {
        const float zh = s.g0[k] * h[k];
        const float oneMinusZ = 1.0f - s.g0[k];
        out[k] = zh + oneMinusZ * s.g2[k];
      }
      std::copy(out, out + bu, states[0].begin());
      return;
    }
  }
}

int64_t RecurrentSequence::timeSteps(const Shape& in) const { return in.at(0); }

Shape RecurrentSequence::outputShape(const Shape& in) const {
  if (in.size() != 2)
    throw Error(cell.layerPrefix + "expects input (time, features), got " + shapeToString(in));
  if (in[1] != cell.inputDim)
    throw Error(cell.layerPrefix + "input shape " + shapeToString(in) + " does not end in the kernel's input size " +
                std::to_string(cell.inputDim));
  if (returnSequences) return Shape{in[0], cell.units};
  return Shape{cell.units};
}

void RecurrentSequence::run(const Tensor& x, const std::vector<unsigned char>* mask, float* out,
                            std::vector<std::vector<float>>* finalStates, qkw::Json* steps) const {
  const int64_t batch = x.shape[0], T = x.shape[1], in = x.shape[2], u = cell.units;
  std::vector<std::vector<float>> states(cell.stateCount(), std::vector<float>(batch * u, 0.0f));
  std::vector<std::vector<float>> saved;
  std::vector<float> xt(batch * in), y(batch * u), prev(batch * u, 0.0f);
  RecurrentCell::Scratch scratch;
  for (int64_t s = 0; s < T; ++s) {
    const int64_t t = goBackwards ? T - 1 - s : s;
    for (int64_t r = 0; r < batch; ++r) std::copy_n(x.data.data() + (r * T + t) * in, in, xt.data() + r * in);
    if (mask) saved = states;
    cell.step(xt.data(), batch, states, y.data(), scratch);
    if (mask) {
      for (int64_t r = 0; r < batch; ++r) {
        if ((*mask)[r * T + t]) continue;
        for (int64_t j = 0; j < u; ++j) y[r * u + j] = zeroOutputForMask ? 0.0f : prev[r * u + j];
        for (size_t k = 0; k < states.size(); ++k)
          std::copy_n(saved[k].data() + r * u, u, states[k].data() + r * u);
      }
    }
    prev = y;
    if (steps) {
      const bool lstm = cell.kind == CellKind::LSTM;
      qkw::Json step = {{"t", t}, {"output", y}, {"h", states[0]}};
      if (lstm) step["c"] = states[1];
      if (cell.stateQuantizer) {  // what the state quantizer made of the previous states
        step["hPrevQuantized"] = std::vector<float>(scratch.q0.begin(), scratch.q0.begin() + batch * u);
        if (lstm) step["cPrevQuantized"] = std::vector<float>(scratch.q1.begin(), scratch.q1.begin() + batch * u);
      }
      steps->push_back(std::move(step));
    }
    if (returnSequences)
      for (int64_t r = 0; r < batch; ++r) std::copy_n(y.data() + r * u, u, out + (r * T + s) * u);
  }
  if (!returnSequences) std::copy(prev.begin(), prev.end(), out);
  if (finalStates) *finalStates = std::move(states);
}

qkw::Json RecurrentSequence::stepsRecord(int64_t batch) const {
  return {{"batch", batch}, {"units", cell.units}, {"goBackwards", goBackwards},
          {"stateQuantizer", cell.stateQuantizer ? qkw::Json(cell.stateQuantizer->str()) : qkw::Json()},
          {"steps", qkw::Json::array()}};
}

std::vector<unsigned char> maskFromSource(const Tensor& source, int64_t timeSteps, float maskValue) {
  const int64_t batch = source.shape.at(0);
  const int64_t per = source.size() / (batch * timeSteps);
  std::vector<unsigned char> mask(batch * timeSteps, 0);
  for (int64_t i = 0; i < batch * timeSteps; ++i) {
    const float* v = source.data.data() + i * per;
    for (int64_t k = 0; k < per; ++k)
      if (v[k] != maskValue) {
        mask[i] = 1;
        break;
      }
  }
  return mask;
}

bool isRecurrentClass(const std::string& c) {
  return c == "QSimpleRNN" || c == "QLSTM" || c == "QGRU" || c == "SimpleRNN" || c == "LSTM" || c == "GRU";
}

RecurrentSequence makeRecurrentSequence(const LayerContext& ctx) {
  RecurrentSequence seq;
  RecurrentCell& cell = seq.cell;
  const std::string& cls = ctx.className;
  const bool quantized = cls[0] == 'Q';
  seq.className = cls;
  cell.layerPrefix = ctx.errorPrefix();
  cell.kind = (cls == "QLSTM" || cls == "LSTM") ? CellKind::LSTM
              : (cls == "QGRU" || cls == "GRU") ? CellKind::GRU
                                                : CellKind::SimpleRNN;
  cell.gates = cell.kind == CellKind::LSTM ? 4 : cell.kind == CellKind::GRU ? 3 : 1;
  cell.units = requiredInt(ctx, "units");
  if (cell.units < 1) throw Error(ctx.errorPrefix() + "'units' must be positive, got " + std::to_string(cell.units));
  seq.returnSequences = configBool(ctx, "return_sequences", false);
  seq.returnState = configBool(ctx, "return_state", false);
  seq.goBackwards = configBool(ctx, "go_backwards", false);
  seq.zeroOutputForMask = configBool(ctx, "zero_output_for_mask", false);
  if (configBool(ctx, "stateful", false))
    throw Unsupported(ctx.errorPrefix() +
                      "stateful=True carries states across predict() calls and batches; only stateful=False is "
                      "supported (re-save the model with stateful=False for inference)");
  if (configBool(ctx, "time_major", false))
    throw Unsupported(ctx.errorPrefix() + "time_major=True is not supported (inputs must be (batch, time, features))");
  const bool useBias = configBool(ctx, "use_bias", true);
  cell.resetAfter = cell.kind == CellKind::GRU && configBool(ctx, "reset_after", !quantized);
  const int defaultImpl = quantized ? 1 : 2;
  cell.implementation = configInt(ctx, "implementation", defaultImpl) == 2 ? 2 : 1;

  const int64_t G = static_cast<int64_t>(cell.gates) * cell.units;
  const std::vector<std::string> order = weightOrder({"kernel", "recurrent_kernel"}, useBias);
  Tensor kernel = ctx.weight("kernel", order);
  if (kernel.rank() != 2 || kernel.shape[1] != G)
    throw Error(ctx.errorPrefix() + "weight 'kernel' has shape " + shapeToString(kernel.shape) + ", expected (in, " +
                std::to_string(G) + ")");
  cell.inputDim = static_cast<int>(kernel.shape[0]);
  Tensor recurrent = ctx.weight("recurrent_kernel", order);
  checkWeightShape(ctx, "recurrent_kernel", recurrent, Shape{cell.units, G});
  Tensor bias;
  if (useBias) {
    bias = ctx.weight("bias", order);
    if (cell.resetAfter)
      checkWeightShape(ctx, "bias", bias, Shape{2, G});
    else
      checkWeightShape(ctx, "bias", bias, Shape{G});
  }

  // The QGRU quirk: no recurrent_quantizer => the raw input kernel stands in for the recurrent one.
  const bool effective = usesEffectiveWeights(ctx);
  if (quantized && cell.kind == CellKind::GRU && !effective) {
    const qkw::Json* rq = ctx.find("recurrent_quantizer");
    const bool hasRq = rq && !rq->is_null() && !(rq->is_string() && rq->get<std::string>().empty());
    if (!hasRq) {
      if (cell.inputDim != cell.units)
        throw Unsupported(ctx.errorPrefix() +
                          "QGRU without a recurrent_quantizer multiplies the state by its input kernel instead of "
                          "the recurrent kernel (qkeras/qrecurrent.py QGRUCell.call); with input size " +
                          std::to_string(cell.inputDim) + " != units " + std::to_string(cell.units) +
                          " QKeras itself fails on this model. Give the layer a recurrent_quantizer.");
      recurrent = kernel;  // unquantized, as QKeras uses it
      cell.recurrentKernelNote =
          "QKeras's QGRU without recurrent_quantizer uses the unquantized input kernel as its recurrent kernel "
          "(qrecurrent.py QGRUCell.call); replicated";
    }
  }

  if (quantized) {
    WeightSlotQuantization weights(ctx);
    weights.add("kernel_quantizer", /*weightSlot=*/true, &kernel);
    weights.add("recurrent_quantizer", /*weightSlot=*/true, cell.recurrentKernelNote.empty() ? &recurrent : nullptr);
    weights.add("bias_quantizer", /*weightSlot=*/false, useBias ? &bias : nullptr);
    cell.slots = weights.quantize();
    cell.stateQuantizer = makeSlotQuantizer(ctx, "state_quantizer", /*weightSlot=*/false);
    if (cell.stateQuantizer) cell.slots.push_back({"state_quantizer", cell.stateQuantizer});
  }
  cell.kernel = std::move(kernel);
  cell.recurrentKernel = std::move(recurrent);
  if (useBias) {
    if (cell.resetAfter) {
      cell.bias.shape = {G};
      cell.bias.data.assign(bias.data.begin(), bias.data.begin() + G);
      cell.recurrentBias.shape = {G};
      cell.recurrentBias.data.assign(bias.data.begin() + G, bias.data.end());
    } else {
      cell.bias = std::move(bias);
    }
  }
  if (cell.kind == CellKind::GRU && !cell.resetAfter) {
    const int64_t u = cell.units;
    cell.recurrentKernelH.shape = {u, u};
    cell.recurrentKernelH.data.resize(u * u);
    copyColumns(cell.recurrentKernel.data.data(), u, G, 2 * u, u, cell.recurrentKernelH.data.data());
  }

  // Activations: QKeras resolves them through get_quantizer (quantized_tanh / 0.5-slope hard_sigmoid).
  const ActivationFlavor flavor = quantized ? ActivationFlavor::QKeras : ActivationFlavor::Keras;
  const qkw::Json defaultAct = quantized ? "quantized_tanh" : "tanh";
  const qkw::Json defaultRecAct = quantized ? "hard_sigmoid" : "sigmoid";
  const qkw::Json* act = ctx.config.contains("activation") ? ctx.find("activation") : &defaultAct;
  cell.activation = ActivationFunction::resolve(act, ctx, flavor, "activation");
  if (cell.kind != CellKind::SimpleRNN) {
    const qkw::Json* ract =
        ctx.config.contains("recurrent_activation") ? ctx.find("recurrent_activation") : &defaultRecAct;
    cell.recurrentActivation = ActivationFunction::resolve(ract, ctx, flavor, "recurrent_activation");
  }
  if (quantized) {
    if (cell.activation.quantizer()) cell.slots.push_back({"activation", cell.activation.quantizer()});
    if (cell.recurrentActivation.quantizer())
      cell.slots.push_back({"recurrent_activation", cell.recurrentActivation.quantizer()});
  }
  // tf-keras LSTM runs standard_lstm (implementation-2 order) when it could use cuDNN.
  if (!quantized && !configBool(ctx, "qkw_cell_path", false) && cell.kind == CellKind::LSTM && cell.activation.kind() == ActivationFunction::Kind::Tanh &&
      cell.recurrentActivation.kind() == ActivationFunction::Kind::Sigmoid && useBias && !configBool(ctx, "unroll", false) &&
      configFloat(ctx, "recurrent_dropout", 0.0f) == 0.0f)
    cell.implementation = 2;
  return seq;
}

namespace {

// The RNN layer: one cell over the sequence. An optional second input is the mask source that
// the graph wires in when a Masking layer (or Embedding(mask_zero)) precedes it.
class RecurrentLayer : public Layer {
 public:
  RecurrentLayer(const LayerContext& ctx, RecurrentSequence seq, bool masked, float maskValue)
      : Layer(ctx.name, ctx.className), seq_(std::move(seq)), masked_(masked), maskValue_(maskValue) {}

  Shape outputShape(const std::vector<Shape>& inputShapes) const override {
    if (inputShapes.size() != (masked_ ? 2u : 1u))
      throw Error(seq_.cell.layerPrefix + "expects exactly one input");
    return seq_.outputShape(inputShapes[0]);
  }

  void forward(const std::vector<const Tensor*>& inputs, Tensor& output) const override {
    const Tensor& x = *inputs[0];
    std::vector<unsigned char> mask;
    if (masked_) mask = maskFromSource(*inputs[1], x.shape[1], maskValue_);
    qkw::Json* steps = nullptr;
    if (recordSteps_) {
      steps_ = seq_.stepsRecord(x.shape[0]);
      steps = &steps_["steps"];
    }
    if (!seq_.returnState) {
      seq_.run(x, masked_ ? &mask : nullptr, output.data.data(), nullptr, steps);
      return;
    }
    std::vector<std::vector<float>> states;
    seq_.run(x, masked_ ? &mask : nullptr, output.data.data(), &states, steps);
    states_.resize(states.size());
    for (size_t k = 0; k < states.size(); ++k) {
      states_[k].shape = {x.shape[0], seq_.cell.units};
      states_[k].data = std::move(states[k]);
    }
  }

  // return_state: [output, h] (SimpleRNN, GRU) or [output, h, c] (LSTM), the final states before
  // any state quantizer (QKeras quantizes the previous state inside the next step only).
  std::vector<std::string> extraOutputNames() const override {
    if (!seq_.returnState) return {};
    if (seq_.cell.kind == CellKind::LSTM) return {"state_h", "state_c"};
    return {"state"};
  }
  Shape extraOutputShape(size_t, const Shape&) const override { return Shape{seq_.cell.units}; }
  const Tensor* extraOutput(size_t k) const override {
    return k >= 1 && k <= states_.size() ? &states_[k - 1] : nullptr;
  }

  std::vector<QuantizerSlot> quantizers() const override { return seq_.cell.slots; }
  // h is o·act(c) for LSTM and a z-blend for GRU: never the activation's grid. SimpleRNN's output
  // is act(...), on the activation quantizer's grid when it is one.
  QuantizerPtr outputQuantizer() const override {
    return seq_.cell.kind == CellKind::SimpleRNN ? seq_.cell.activation.quantizer() : nullptr;
  }
  std::vector<WeightInput> effectiveWeights() const override {
    std::vector<WeightInput> w{{"kernel", 0, seq_.cell.kernel}, {"recurrent_kernel", 1, seq_.cell.recurrentKernel}};
    if (!seq_.cell.bias.data.empty()) {
      Tensor b = seq_.cell.bias;
      if (seq_.cell.resetAfter) {
        b.shape = {2, b.shape[0]};
        b.data.insert(b.data.end(), seq_.cell.recurrentBias.data.begin(), seq_.cell.recurrentBias.data.end());
      }
      w.push_back({"bias", 2, b});
    }
    return w;
  }
  const RecurrentSequence& sequence() const { return seq_; }
  void setRecordSteps(bool on) const override {
    recordSteps_ = on;
    if (!on) steps_ = nullptr;
  }
  qkw::Json recordedSteps() const override { return recordSteps_ ? steps_ : qkw::Json(); }

  TensorAnalysis analyzeOutput(const AnalysisContext& ctx) const override {
    if (QuantizerPtr q = outputQuantizer()) return ctx.quantizedBy(q, "activation ");
    return recurrentOutputRule(ctx, seq_, className()[0] == 'Q', "");
  }

 private:
  RecurrentSequence seq_;
  bool masked_;
  float maskValue_;
  mutable std::vector<Tensor> states_;  // return_state outputs of the last forward()
  mutable bool recordSteps_ = false;
  mutable qkw::Json steps_;        // trace({steps: true}) record of the last forward()
};

}  // namespace

// Keras RNN(cell=...) over one of the six cells: the cell's config plus the RNN's sequence options.
RecurrentSequence makeGenericRnnSequence(const LayerContext& ctx) {
  const qkw::Json* cell = ctx.find("cell");
  if (!cell || !cell->is_object() || !cell->contains("config") || !(*cell)["config"].is_object())
    throw Error(ctx.errorPrefix() + "config has no 'cell' with class_name and config");
  std::string cellClass = cell->value("class_name", "");
  if (cellClass.rfind('>') != std::string::npos) cellClass = cellClass.substr(cellClass.rfind('>') + 1);
  static const std::map<std::string, std::string> layerOfCell = {
      {"QSimpleRNNCell", "QSimpleRNN"}, {"QLSTMCell", "QLSTM"}, {"QGRUCell", "QGRU"},
      {"SimpleRNNCell", "SimpleRNN"},   {"LSTMCell", "LSTM"},   {"GRUCell", "GRU"}};
  auto it = layerOfCell.find(cellClass);
  if (it == layerOfCell.end())
    throw Unsupported(ctx.errorPrefix() + "RNN over a " + cellClass +
                      " cell; supported cells: (Q)SimpleRNNCell, (Q)LSTMCell, (Q)GRUCell");
  qkw::Json merged = (*cell)["config"];
  for (const char* key : {"return_sequences", "return_state", "go_backwards", "stateful", "unroll", "time_major",
                          "zero_output_for_mask", "qkw_mask_value", "qkw_effective_weights"})
    if (ctx.config.contains(key)) merged[key] = ctx.config[key];
  merged["qkw_cell_path"] = true;  // RNN(LSTMCell) runs the cell's own code, never standard_lstm
  LayerContext inner{ctx.name, it->second, merged, ctx.weights, ctx.quantizerOptions};
  RecurrentSequence seq = makeRecurrentSequence(inner);
  ctx.adoptUsage(inner);
  seq.className = ctx.className;
  return seq;
}

LayerPtr makeRecurrentLayer(const LayerContext& ctx) {
  if (ctx.className.size() > 4 && ctx.className.compare(ctx.className.size() - 4, 4, "Cell") == 0)
    throw Unsupported(ctx.errorPrefix() + "a recurrent cell used as a layer on its own (one step on explicit "
                                          "states) is not supported; inside RNN(cell=...) or as the matching "
                                          "sequence layer (QSimpleRNN, QLSTM, QGRU, ...) it is");
  RecurrentSequence seq = ctx.className == "RNN" ? makeGenericRnnSequence(ctx) : makeRecurrentSequence(ctx);
  const qkw::Json* mv = ctx.find("qkw_mask_value");
  const bool masked = mv && mv->is_number();
  return std::make_unique<RecurrentLayer>(ctx, std::move(seq), masked, masked ? mv->get<float>() : 0.0f);
}

// ---- Analysis rule (recurrent.h) ----

namespace {

const QuantizerPtr* findSlot(const std::vector<QuantizerSlot>& slots, const std::string& suffix) {
  for (const QuantizerSlot& s : slots)
    if (s.slot.size() >= suffix.size() && s.slot.compare(s.slot.size() - suffix.size(), suffix.size(), suffix) == 0)
      return &s.quantizer;
  return nullptr;
}

// Accumulator bound of x·K (or h'·U) for a grid input: K is (in, gates*units), one channel per column.
std::optional<AccumulatorBound> productBound(const Tensor& kernel, const GridSummary& g) {
  if (kernel.rank() != 2 || g.kind != Grid::Kind::Uniform) return std::nullopt;
  KernelView v{&kernel, kernel.shape[1], 1};
  return boundLinear(v, nullptr, sumStep(g), g.min, g.max, false);
}

}  // namespace

TensorAnalysis recurrentOutputRule(const AnalysisContext& ctx, const RecurrentSequence& seq, bool quantizedClass,
                                   const std::string& mergeMode) {
  const RecurrentCell& cell = seq.cell;
  const std::string& cellClass = seq.className;
  const QuantizerPtr* stateQ = findSlot(cell.slots, "state_quantizer");
  const QuantizerPtr* actQ = findSlot(cell.slots, "activation");
  const QuantizerPtr* kernelQ = findSlot(cell.slots, "kernel_quantizer");
  const QuantizerPtr* recurrentQ = findSlot(cell.slots, "recurrent_quantizer");
  const bool gated = cell.kind != CellKind::SimpleRNN;

  std::string reason;
  if (cell.kind == CellKind::LSTM)
    reason = cellClass + " output h = o · act(c) is a float product of the output gate and the activated cell "
             "state, even when every gate is quantized: it is on no grid";
  else if (cell.kind == CellKind::GRU)
    reason = cellClass + " output h = z · h' + (1 − z) · hh is a float blend of the previous state and the "
             "candidate: it is on no grid";
  else
    reason = cellClass + " output act(x·K + b + h'·U) with a float activation: it is on no grid";
  if (actQ && *actQ && gated) reason += " (its activation " + (*actQ)->str() + " quantizes act(c) / hh, not h)";
  if (!mergeMode.empty())
    reason += "; " + ctx.className() + " merges the two directions with merge_mode " + quote(mergeMode);
  if (stateQ && *stateQ)
    reason += ". state_quantizer " + (*stateQ)->str() +
              " puts the previous h (and c) on its grid inside each step only; the layer's outputs and returned "
              "states are not quantized";
  else if (quantizedClass)
    reason += ". No state_quantizer: the recurrent state stays float";

  // Accumulator widths of the input and recurrent products (integer sums when both sides are on grids).
  std::optional<int> accBits;
  const TensorAnalysis& in = ctx.input(0);
  if (in.grid && (!kernelQ || *kernelQ)) {
    if (auto b = productBound(cell.kernel, *in.grid)) {
      if (kernelQ) {
        accBits = b->accumulatorBits;
        reason += ". Input product x·K: " + std::to_string(b->accumulatorBits) + "-bit accumulator";
      }
    }
  } else {
    reason += ". Input product x·K is float (" + std::string(in.grid ? "float kernel" : "float input " + quote(in.name)) + ")";
  }
  if (stateQ && *stateQ && recurrentQ && *recurrentQ) {
    if (std::optional<Grid> g = (*stateQ)->grid()) {
      if (auto b = productBound(cell.recurrentKernel, gridFromQuantizer(*g, stateQ->get()))) {
        reason += "; recurrent product h'·U: " + std::to_string(b->accumulatorBits) + "-bit accumulator";
        accBits = std::max(accBits.value_or(0), b->accumulatorBits);
      }
    }
  } else {
    reason += "; recurrent product h'·U is float (" +
              std::string(!(stateQ && *stateQ) ? "no state_quantizer" : "no recurrent_quantizer") + ")";
  }
  reason += ". Add a QActivation after it to quantize the output.";
  TensorAnalysis t = ctx.floatResult(reason);
  t.accumulatorBits = accBits;
  return t;
}

}  // namespace qkw
