// Recurrent cells and the sequence loop shared by QSimpleRNN/QLSTM/QGRU, Keras
// SimpleRNN/LSTM/GRU and (Q)Bidirectional. The math is in recurrent.cpp's header comment.
#pragma once
#include <string>
#include <vector>

#include "layers/activation_function.h"
#include "layers/layer.h"

namespace qkw {

enum class CellKind { SimpleRNN, LSTM, GRU };

// One cell with its effective (already quantized) weights, built once.
struct RecurrentCell {
  CellKind kind = CellKind::SimpleRNN;
  std::string layerPrefix;  // "layer 'name' (Class): " for errors
  int units = 0;
  int inputDim = 0;
  int gates = 1;             // 1 SimpleRNN, 4 LSTM (i,f,c,o), 3 GRU (z,r,h)
  int implementation = 1;    // LSTM op order: 1 = (x·W + b) + h·U, 2 = (x·W + h·U) + b
  bool resetAfter = false;   // GRU
  Tensor kernel;             // (in, gates*units)
  Tensor recurrentKernel;    // (units, gates*units)
  Tensor bias;               // (gates*units) input bias, empty without use_bias
  Tensor recurrentBias;      // (gates*units) GRU reset_after only
  Tensor recurrentKernelH;   // GRU reset_after=False: columns 2u..3u of recurrentKernel, contiguous
  ActivationFunction activation, recurrentActivation;
  QuantizerPtr stateQuantizer;  // applied to the previous states at every step (QKeras only)
  std::vector<QuantizerSlot> slots;
  std::string recurrentKernelNote;  // non-empty when the QGRU quirk replaced the recurrent kernel

  int stateCount() const { return kind == CellKind::LSTM ? 2 : 1; }

  // Scratch buffers for one batch size (resized by step when the batch grows).
  struct Scratch {
    std::vector<float> xk, hu, t, g0, g1, g2, g3, q0, q1, rh;
  };
  // One time step for `batch` rows: x (batch, in) contiguous; states[k] (batch, units) in/out
  // (replaced by the new states); `out` (batch, units) gets the step's output.
  void step(const float* x, int64_t batch, std::vector<std::vector<float>>& states, float* out,
            Scratch& scratch) const;
};

// The sequence loop of Keras's RNN layer (backend.rnn) over one cell.
struct RecurrentSequence {
  RecurrentCell cell;
  bool returnSequences = false;
  bool returnState = false;
  bool goBackwards = false;
  bool zeroOutputForMask = false;  // Bidirectional forces it to return_sequences
  std::string className;           // of the (inner) layer

  int64_t timeSteps(const Shape& in) const;
  Shape outputShape(const Shape& in) const;
  // x (batch, T, in); mask (batch*T) 1/0 or nullptr. `out` gets (batch, T, u) or (batch, u).
  // finalStates (optional) gets the final states, each (batch, units). steps (optional) gets,
  // per step in processing order, the time index, the states after the step and the previous
  // states as the state quantizer gave them to the step.
  void run(const Tensor& x, const std::vector<unsigned char>* mask, float* out,
           std::vector<std::vector<float>>* finalStates, qkw::Json* steps = nullptr) const;
  // The trace({steps: true}) record of one run over `batch` samples: batch, units, goBackwards,
  // stateQuantizer and an empty "steps" list that run() fills.
  qkw::Json stepsRecord(int64_t batch) const;
};

// Builds the cell and sequence options of an RNN layer config (QSimpleRNN, QLSTM, QGRU,
// SimpleRNN, LSTM, GRU). Throws Unsupported for stateful=True, time_major=True.
RecurrentSequence makeRecurrentSequence(const LayerContext& ctx);
bool isRecurrentClass(const std::string& className);

// The analysis rule of a recurrent output (RecurrentLayer, and (Q)Bidirectional with its forward
// sequence and `mergeMode` text; empty for a single RNN): float, saying why h is on no grid, where
// a state quantizer acts, and the accumulator widths of the input and recurrent products.
// `quantizedClass`: a QKeras layer (or a Bidirectional), whose missing state_quantizer is named.
TensorAnalysis recurrentOutputRule(const AnalysisContext& ctx, const RecurrentSequence& seq, bool quantizedClass,
                                   const std::string& mergeMode);

// The Keras mask of each (sample, step) from a mask source tensor (batch, T, ...): true where
// any value of the step differs from `maskValue` (Masking; Embedding(mask_zero) with 0).
std::vector<unsigned char> maskFromSource(const Tensor& source, int64_t timeSteps, float maskValue);

}  // namespace qkw
