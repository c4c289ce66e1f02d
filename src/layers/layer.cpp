#include "layers/layer.h"

#include <algorithm>

namespace qkw {

namespace {

std::string describeAvailable(const std::vector<WeightInput>& weights) {
  if (weights.empty()) return "the file has no weights for this layer";
  std::string s = "the file has: ";
  for (size_t i = 0; i < weights.size(); ++i) {
    if (i) s += ", ";
    s += weights[i].role.empty() ? "#" + std::to_string(weights[i].index) : weights[i].role;
    s += " " + shapeToString(weights[i].tensor.shape);
  }
  return s;
}

bool hasRoles(const std::vector<WeightInput>& weights) {
  return std::any_of(weights.begin(), weights.end(), [](const WeightInput& w) { return !w.role.empty(); });
}

}  // namespace

const Tensor* LayerContext::optionalWeight(const std::string& role, const std::vector<std::string>& order) const {
  knownRoles_.push_back(role);
  knownRoles_.insert(knownRoles_.end(), order.begin(), order.end());
  knownPositions_ = std::max(knownPositions_, order.size());
  if (hasRoles(weights)) {
    for (const WeightInput& w : weights)
      if (w.role == role) return &w.tensor;
    return nullptr;
  }
  // Position-only formats (Keras 3 .keras): `order` is the layer's variable list as the
  // factory expects it for this config (optional variables already left out).
  auto it = std::find(order.begin(), order.end(), role);
  if (it == order.end()) return nullptr;
  const int position = static_cast<int>(it - order.begin());
  for (const WeightInput& w : weights)
    if (w.index == position) return &w.tensor;
  return nullptr;
}

const Tensor& LayerContext::weight(const std::string& role, const std::vector<std::string>& order) const {
  const Tensor* t = optionalWeight(role, order);
  if (!t) throw Error(errorPrefix() + "missing weight '" + role + "' (" + describeAvailable(weights) + ")");
  return *t;
}

void LayerContext::adoptUsage(const LayerContext& inner) const {
  delegated_ = true;
  for (std::string& u : inner.unusedWeights()) unusedByInner_.push_back(std::move(u));
}

std::vector<std::string> LayerContext::unusedWeights() const {
  if (delegated_) return unusedByInner_;
  std::vector<std::string> unused;
  const bool byRole = hasRoles(weights);
  for (const WeightInput& w : weights) {
    const bool known = byRole ? std::find(knownRoles_.begin(), knownRoles_.end(), w.role) != knownRoles_.end()
                              : w.index >= 0 && static_cast<size_t>(w.index) < knownPositions_;
    if (!known) unused.push_back((byRole ? "'" + w.role + "'" : "#" + std::to_string(w.index)) + " " + shapeToString(w.tensor.shape));
  }
  return unused;
}

const qkw::Json* LayerContext::find(const std::string& key) const {
  if (!config.is_object()) return nullptr;
  auto it = config.find(key);
  if (it == config.end()) return nullptr;
  return &*it;
}

const LayerRegistry& LayerRegistry::instance() {
  static const LayerRegistry registry = [] {
    LayerRegistry r;
    registerQKerasLayers(r);
    registerKerasLayers(r);
    return r;
  }();
  return registry;
}

const LayerFactory* LayerRegistry::find(const std::string& className) const {
  auto it = factories_.find(className);
  return it == factories_.end() ? nullptr : &it->second;
}

std::vector<std::string> LayerRegistry::classNames() const {
  std::vector<std::string> names;
  names.reserve(factories_.size());
  for (const auto& entry : factories_) names.push_back(entry.first);
  return names;
}

}  // namespace qkw
