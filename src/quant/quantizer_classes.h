// The class descriptions every quantizer family file provides to the spec parser.
#pragma once
#include <vector>

#include "quant/quantizer_base.h"

namespace qkw::quant {

const ClassInfo& quantizedBitsClass();
const ClassInfo& quantizedHswishClass();
const ClassInfo& quantizedLinearClass();
const ClassInfo& quantizedReluClass();
const ClassInfo& quantizedUlawClass();
const ClassInfo& quantizedTanhClass();
const ClassInfo& quantizedSigmoidClass();
const ClassInfo& quantizedPo2Class();
const ClassInfo& quantizedReluPo2Class();
const ClassInfo& binaryClass();
const ClassInfo& stochasticBinaryClass();
const ClassInfo& ternaryClass();
const ClassInfo& stochasticTernaryClass();
const ClassInfo& bernoulliClass();
// hard_sigmoid, smooth_sigmoid, binary_sigmoid, hard_tanh, smooth_tanh, binary_tanh.
const std::vector<const ClassInfo*>& sigmoidFunctionClasses();

}  // namespace qkw::quant
